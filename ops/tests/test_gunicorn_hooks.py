"""The gunicorn hooks that let django-prometheus' metrics add up across web workers."""

from types import SimpleNamespace

from ops import gunicorn


def test_starting_empties_the_multiprocess_folder(tmp_path, monkeypatch):
    # given: files a previous run's workers left behind
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "counter_123.db").write_bytes(b"old")
    (tmp_path / "keep.txt").write_text("not ours")
    # when
    gunicorn.on_starting(server=None)
    # then
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_an_exiting_worker_is_marked_dead(tmp_path, monkeypatch):
    # given: a live-gauge file of worker 4242
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"x")
    (tmp_path / "gauge_livesum_4243.db").write_bytes(b"x")
    # when
    gunicorn.child_exit(server=None, worker=SimpleNamespace(pid=4242))
    # then
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gauge_livesum_4243.db"]


def test_without_the_folder_setting_the_hooks_do_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    gunicorn.on_starting(server=None)
    gunicorn.child_exit(server=None, worker=SimpleNamespace(pid=1))
