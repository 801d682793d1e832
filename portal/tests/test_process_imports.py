"""The web process and the worker's task module never import TensorFlow (LiteRT only)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()
from django.urls import resolve
import portal.urls, portal.wsgi, ml.tasks, ml.serving, ml.gate, diagnosis.api, triage.api, chatbot.api
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras"))
print("HEAVY:" + ",".join(heavy))
"""


def test_web_and_worker_modules_do_not_import_tensorflow():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if line.startswith("HEAVY:"))
    assert line == "HEAVY:", f"TensorFlow/Keras imported: {line}"
