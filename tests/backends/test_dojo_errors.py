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


FAKE_JULIACALL = textwrap.dedent(
    """
    # Stands in for juliacall: the first import fails the way juliapkg's Pkg step does
    # (subprocess.CalledProcessError, e.g. Dojo's deps/build.jl failing), later ones succeed
    # unless FAKE_JULIACALL_ALWAYS_FAIL is set.
    import os, subprocess, threading
    marker = os.environ["FAKE_JULIACALL_MARKER"]
    if os.environ.get("FAKE_JULIACALL_ALWAYS_FAIL") or not os.path.exists(marker):
        open(marker, "w").close()
        raise subprocess.CalledProcessError(1, ["julia", "--project=env", "-e", "Pkg.add(...)"])

    class JuliaError(Exception):
        pass

    class _Main:
        def seval(self, code):
            self.started_on = threading.current_thread().name
    Main = _Main()
    """
)

THREAD_PROBE = textwrap.dedent(
    """
    import gc, threading, time
    from pydojo.backends import _julia
    try:
        main = _julia.julia()
    except _julia.JuliaUnavailableError as err:
        print("ERROR:", err)
        raise SystemExit(0)
    print("started on", main.started_on, "main thread", threading.main_thread().name)
    print("called on", _julia.call(lambda m: threading.current_thread().name))
    released = []
    class Resource:
        def __del__(self):
            released.append(threading.current_thread().name)
    handle = _julia.call(lambda m: _julia.Handle(Resource()))
    del handle
    gc.collect()
    for _ in range(100):
        if released:
            break
        time.sleep(0.01)
    print("released on", released)
    import juliacall
    def fail(m):
        raise juliacall.JuliaError("DimensionMismatch: state has length 3")
    for failing in (fail, lambda m: int("x")):
        try:
            _julia.call(failing)
        except Exception as err:
            print("raised", type(err).__name__, err.__traceback__ is not None, err.__context__ is None)
    """
)


def _fake_juliacall(tmp_path, always_fail=False):
    package = tmp_path / "fake" / "juliacall"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(FAKE_JULIACALL)
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "fake"), os.environ.get("PYTHONPATH", "")]),
           "FAKE_JULIACALL_MARKER": str(tmp_path / "marker")}
    if always_fail:
        env["FAKE_JULIACALL_ALWAYS_FAIL"] = "1"
    return subprocess.run([sys.executable, "-c", THREAD_PROBE], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


@pytest.mark.timeout(240)
def test_failed_package_build_is_retried_once_and_julia_stays_on_one_thread(tmp_path):
    out = _fake_juliacall(tmp_path)
    assert out.returncode == 0, out.stderr
    assert "deps/build.jl" in out.stderr and "retrying the resolution once" in out.stderr
    lines = out.stdout.splitlines()
    started = next(line for line in lines if line.startswith("started on")).split()
    assert started[2].startswith("pydojo-julia") and started[-1] == "MainThread"
    assert next(line for line in lines if line.startswith("called on")).split()[2] == started[2]
    # a Julia object dropped on the main thread is released on the Julia thread
    assert next(line for line in lines if line.startswith("released on")) == f"released on ['{started[2]}']"
    # errors raised there reach the caller as plain Python exceptions (message kept, no juliacall values)
    raised = [line for line in lines if line.startswith("raised")]
    assert raised == ["raised JuliaError True True", "raised ValueError True True"]


@pytest.mark.timeout(240)
def test_package_installation_failing_twice_is_explained(tmp_path):
    out = _fake_juliacall(tmp_path, always_fail=True)
    assert out.returncode == 0, out.stderr
    assert "ERROR: Julia could not be started for the dojo backend: importing juliacall failed twice" in out.stdout
    assert "Error building `Dojo`" in out.stdout and 'README.md, section "Julia backend"' in out.stdout
