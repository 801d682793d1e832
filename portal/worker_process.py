"""A `celery worker` child process, for the integration tests, the benchmarks and the load scripts.

    with WorkerProcess(env=env, log_path=folder / "worker.log", name="bench-1@%h") as worker:
        ...  # upload photos; worker.alive() says whether it survived

It runs in its own process group: ``stop()`` asks it to shut down (SIGTERM) and SIGKILLs the group
after ``timeout``; ``kill()`` SIGKILLs the group at once, pool children too, as a crash would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


class WorkerProcess:
    def __init__(
        self,
        *,
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
        queues: str = "default,classify",
        concurrency: int = 1,
        loglevel: str = "WARNING",
        name: str | None = None,
        beat_schedule: Path | None = None,
    ) -> None:
        """``env``: the whole environment (default: this process's); ``log_path``: where its output
        goes (default: this process's stdout); ``beat_schedule``: also run beat (``-B``) with this file."""
        self.env = env
        self.log_path = log_path
        self.args = ["-Q", queues, "-c", str(concurrency), "--loglevel", loglevel]
        if name:
            self.args += ["-n", name]
        if beat_schedule is not None:
            self.args += ["-B", "-s", str(beat_schedule)]
        self.proc: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> WorkerProcess:
        if self.log_path is not None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "celery", "-A", "portal", "worker", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log else None,
            start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        """Ask the worker to shut down (warm shutdown: running tasks finish, then its pool children
        exit); do not wait. The main process only: a SIGTERM to the pool children too would kill
        them mid-task."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the whole process group, as the OOM killer or a crash would."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, then SIGKILL if it is still running after ``timeout`` seconds."""
        self.terminate()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def __enter__(self) -> WorkerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
