"""Long commands say what they are doing: start, a line per interval with the elapsed time and the current
stage, and the total time; silenced by PYDOJO_NO_PROGRESS=1."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from pydojo import progress

SCRIPT = """
import time
from pydojo.progress import heartbeat, status
with heartbeat("demo", every=0.2):
    status("stage one")
    time.sleep(0.7)
"""


@pytest.mark.timeout(60)
def test_heartbeat_reports_start_stage_elapsed_time_and_end():
    env = {k: v for k, v in os.environ.items() if k != "PYDOJO_NO_PROGRESS"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=50, env=env)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 0 and out.stdout == ""  # progress never mixes into a command's printed tables
    assert lines[0] == "demo: started"
    assert any(line.startswith("demo: still running after 0 s (stage one)") for line in lines[1:-1]), lines
    assert re.fullmatch(r"demo: done in \d+ s", lines[-1]), lines[-1]
    quiet = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=50,
                           env=dict(env, PYDOJO_NO_PROGRESS="1"))
    assert quiet.returncode == 0 and quiet.stderr == ""


@pytest.mark.timeout(30)
def test_a_failure_inside_is_reported_as_stopped_and_raised(capsys, monkeypatch):
    monkeypatch.delenv("PYDOJO_NO_PROGRESS", raising=False)
    with pytest.raises(RuntimeError, match="boom"):
        with progress.heartbeat("work", every=10):
            time.sleep(0.01)
            raise RuntimeError("boom")
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "work: started" and re.fullmatch(r"work: stopped after \d+ s", err[1]) and len(err) == 2
    progress.status("ignored")  # no heartbeat running: nothing to report to, no error
