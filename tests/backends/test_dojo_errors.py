"""The clear-error path: backend=dojo where Julia cannot be started.

Each case runs in a fresh interpreter (juliacall and Julia can only be started once per
process), with the real juliacall where it is installed.
"""
import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import sys
    {setup}
    from pydojo.backends import get_backend
    from pydojo.backends._julia import JuliaUnavailableError
    backend = get_backend("dojo")
    for attempt in range(2):  # the second attempt must fail the same way without retrying
        try:
            backend.make_system("ball")
        except JuliaUnavailableError as err:
            print("ERROR:", err)
        else:
            print("STARTED")
    """
)


def _probe(setup: str = "", env=None) -> str:
    result = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup)], capture_output=True, text=True,
                            timeout=240, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr
    return result.stdout


def _check_message(out: str, reason: str):
    errors = [line for line in out.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 2, out
    assert "Julia could not be started for the dojo backend" in out
    assert reason in errors[0] and reason in errors[1]
    assert 'README.md, section "Julia backend"' in out
    assert "pip install -e '.[julia]'" in out


@pytest.mark.timeout(240)
def test_juliacall_absent():
    out = _probe(setup="sys.modules['juliacall'] = None  # as if juliacall were not installed")
    _check_message(out, "the Python package juliacall is not installed")


@pytest.mark.timeout(240)
@pytest.mark.skipif(importlib.util.find_spec("juliacall") is None,
                    reason="juliacall not installed (pip install -e '.[julia]'): the real start-up failure needs it")
def test_julia_fails_to_start(tmp_path):
    """Real juliacall, pointed at a `julia` that exits with an error: juliacall's start-up fails."""
    julia = tmp_path / "julia"
    julia.write_text("#!/bin/sh\necho 'this julia is broken' >&2\nexit 1\n")
    julia.chmod(0o755)
    out = _probe(env={"PYTHON_JULIAPKG_EXE": str(julia), "PYTHON_JULIAPKG_PROJECT": str(tmp_path / "project"),
                      "PYTHON_JULIAPKG_OFFLINE": "yes"})
    _check_message(out, "importing juliacall failed")
    assert str(julia) in out


def test_importing_the_backend_does_not_start_julia():
    code = ("import sys, pydojo.backends.dojo, pydojo.debug_solver; "
            "print('juliacall' in sys.modules, 'pydojo.backends._julia' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip().splitlines()[-1].split() == ["False", "False"]
