"""Version names of exported models are never reused."""

from __future__ import annotations

import json
from pathlib import Path

from ml.training.export import next_version


def test_first_version_of_the_day(tmp_path: Path) -> None:
    assert next_version(tmp_path, day="20261126") == "mnv2-20261126-1"


def test_counts_past_existing_folders_not_into_gaps(tmp_path: Path) -> None:
    (tmp_path / "mnv2-20261126-2").mkdir()  # -1 was removed by an upgrade
    (tmp_path / "mnv2-20261125-7").mkdir()  # another day does not count
    assert next_version(tmp_path, day="20261126") == "mnv2-20261126-3"


def test_names_in_the_experiment_log_stay_used(tmp_path: Path) -> None:
    """A version whose folder is gone but which was shipped (logged) is not handed out again."""
    models = tmp_path / "models"
    models.mkdir()
    log = tmp_path / "experiments.json"
    log.write_text(json.dumps([{"name": "final mnv2-20261126-4 (shipped)"}, {"name": "mnv2-20261126-10x"}]))
    assert next_version(models, log, day="20261126") == "mnv2-20261126-5"
