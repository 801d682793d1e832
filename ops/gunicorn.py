"""Gunicorn hooks that make django-prometheus' per-process metrics add up across web workers.

Use with PROMETHEUS_MULTIPROC_DIR set to a folder only this server writes:
`gunicorn -c python:ops.gunicorn portal.wsgi:application ...`. Each worker then writes its
request and database metrics to that folder and /metrics sums them (ops.metrics). The clinic's
own metrics need none of this: they are read from the database.
"""

import os
from pathlib import Path

from prometheus_client import multiprocess


def on_starting(server) -> None:
    """Start from an empty folder: files left by an earlier run's processes would be summed in."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    """A worker that exits stops counting in the live gauges (its counters stay in the totals)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
