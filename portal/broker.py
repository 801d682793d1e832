"""The embedded Celery transport: kombu's file-system transport made safe for several processes.

kombu's own transport creates each message file under its final name and only then writes it, so
a worker listing the folder in between takes an empty or half-written file; `json.loads` then
raises out of the worker's event loop and the worker dies. A publisher killed mid-write (a gunicorn
worker timed out while the database was locked) leaves such a file behind for good.

Here a message is written under a name no reader looks at, flushed to disk and renamed into place
(a rename is atomic on one file system), and a reader claims a file by renaming it too, so two
workers never take the same message. A file that still cannot be decoded is moved to `bad/`
beside the queue with an error in the log, instead of stopping the worker.
"""

import logging
import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        # A leading dot and a suffix: never matched by _get's "<name>.<queue>.msg" test.
        partial = folder / f".{name}.part"
        try:
            with open(partial, "wb") as fh:
                fh.write(str_to_bytes(dumps(payload)))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(partial, folder / name)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise filesystem.ChannelError(f"Cannot add a message to {folder}") from exc

    def _get(self, queue):
        folder = Path(self.data_folder_in)
        wanted = f"{queue}.msg"
        for filename in sorted(os.listdir(folder)):
            if filename.startswith(".") or filename.partition(".")[2] != wanted:
                continue
            claimed = self._side_folder("claimed") / f"{os.getpid()}-{filename}"
            try:
                os.rename(folder / filename, claimed)
            except OSError:
                continue  # another worker took it first
            try:
                raw = claimed.read_bytes()
                payload = loads(bytes_to_str(raw))
            except (OSError, ValueError) as exc:
                bad = self._side_folder("bad") / filename
                os.replace(claimed, bad)
                log.error("unreadable message in the embedded queue moved to %s: %s", bad, exc)
                continue
            if self.store_processed:
                os.replace(claimed, Path(self.processed_folder) / filename)
            else:
                claimed.unlink(missing_ok=True)
            return payload
        raise Empty()

    def _side_folder(self, name: str) -> Path:
        path = Path(self.data_folder_in).parent / name
        path.mkdir(exist_ok=True)
        return path


class Transport(filesystem.Transport):
    Channel = Channel
