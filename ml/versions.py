"""Which shipped model version folder is newest (no TensorFlow, no LiteRT: the registry uses it)."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

_VERSION_RE = re.compile(r"-(\d{8})-(\d+)$")


def version_key(folder: Path) -> tuple[str, str, int, str]:
    """Sort key, oldest first: the card's creation time, then the name's date and counter
    compared as numbers (``-10`` after ``-2``), then the name itself."""
    created = ""
    with contextlib.suppress(OSError, ValueError):
        created = json.loads((folder / "model_card.json").read_text()).get("created", "")
    m = _VERSION_RE.search(folder.name)
    return (created, m.group(1) if m else "", int(m.group(2)) if m else 0, folder.name)
