import pytest

from triage.seed import seed


@pytest.fixture
def levels(db):
    """The four triage levels with TRIAGE.md's target times (15 min, 2 h, 24 h, 72 h)."""
    seed()
