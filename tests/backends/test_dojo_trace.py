"""pydojo.debug_solver: argument parsing, the JAX half of the trace, the table and the plot."""
import importlib.util
import shutil

import numpy as np
import pytest

from pydojo import debug_solver
from pydojo.solver import RESULTS, SolverOptions


@pytest.mark.parametrize(
    "argv, message",
    [
        (["backend=julia"], "backend must be one of ('jax', 'dojo', 'both')"),
        (["env=ant"], "env must be one of ('sphere', 'block')"),
        (["cone=soft"], "cone must be one of ('nonlinear', 'linear')"),
        (["mu=-1"], "mu must be finite and >= 0"),
        (["timestep=0"], "timestep must be > 0"),
        (["speed=3"], "expected key=value with key in backend, env, mu"),
        (["mu"], "expected key=value"),
    ],
)
def test_bad_arguments(argv, message):
    with pytest.raises(ValueError) as err:
        debug_solver.parse_args(argv)
    assert message in str(err.value)


@pytest.mark.timeout(200)
@pytest.mark.parametrize("env, cone, mu", [("sphere", "nonlinear", 1e-3), ("block", "linear", 1e-5)])
def test_jax_trace_reaches_the_central_path(env, cone, mu):
    config = debug_solver.parse_args([f"env={env}", f"cone={cone}", f"mu={mu}", "vz=-1.0", "fx=2.0"])
    trace = debug_solver.jax_trace(config)
    options = SolverOptions()
    assert trace["result"] == RESULTS.successful
    n = len(trace["eq_residual"])
    assert n >= 2 and all(len(trace[k]) == n for k in debug_solver.COLUMNS)
    # the last row is the returned point: on the central path at mu, residual below rtol
    assert trace["eq_residual"][-1] <= options.rtol
    assert trace["comp_residual"][-1] <= options.comp_rtol * mu + options.comp_atol
    assert all(np.isnan(trace[k][-1]) for k in ("mu_target", "sigma", "alpha"))
    steps = trace["mu_target"][:-1]
    assert np.all(np.isfinite(steps)) and np.all(steps >= mu * (1 - 1e-12))  # target floored at mu_sc
    assert np.all((trace["alpha"][:-1] > 0) & (trace["alpha"][:-1] <= 1))
    assert np.all((trace["sigma"][:-1] >= 0) & (trace["sigma"][:-1] <= 1))
    # the first iterate is the neutral starting point, far from the central path
    assert trace["comp_residual"][0] > 100 * trace["comp_residual"][-1]


@pytest.mark.timeout(200)
def test_main_prints_table_and_writes_png(tmp_path, capsys):
    out = tmp_path / "figures" / "trace.png"
    traces = debug_solver.main(["backend=jax", "env=sphere", "mu=1e-3", f"out={out}"])
    printed = capsys.readouterr().out
    assert "jax: mu_sc = 0.001, result code 0" in printed
    assert "eq_residual" in printed and "comp_residual" in printed and "mu_target" in printed
    rows = [line for line in printed.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == len(traces["jax"]["eq_residual"])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _julia_present() -> bool:
    return importlib.util.find_spec("juliacall") is not None and shutil.which("julia") is not None


@pytest.mark.timeout(200)
@pytest.mark.skipif(_julia_present(), reason="Julia is present: the Dojo half runs in test_dojo_julia.py instead")
def test_dojo_alone_without_julia_fails_clearly(tmp_path, monkeypatch):
    import sys

    from pydojo.backends._julia import JuliaUnavailableError

    monkeypatch.setitem(sys.modules, "juliacall", None)  # never let this test download Julia
    from pydojo.backends import _julia

    monkeypatch.setattr(_julia, "_state", {"main": None, "error": None, "functions": {}})
    with pytest.raises(JuliaUnavailableError, match="Julia backend"):
        debug_solver.main(["backend=dojo", f"out={tmp_path / 'x.png'}"])


@pytest.mark.timeout(300)
@pytest.mark.skipif(_julia_present(), reason="Julia is present: the Dojo half runs in test_dojo_julia.py instead")
def test_both_without_julia_keeps_the_jax_half_and_says_why_dojo_is_absent(tmp_path):
    """In a fresh interpreter, with juliapkg offline (so a juliacall that is installed cannot download
    Julia): the JAX table and plot come out, then one line naming the Julia error; exit status 3."""
    import os
    import subprocess
    import sys

    out = tmp_path / "trace.png"
    env = {**os.environ, "PYTHON_JULIAPKG_OFFLINE": "yes"}
    result = subprocess.run([sys.executable, "-m", "pydojo.debug_solver", "backend=both", f"out={out}"],
                            capture_output=True, text=True, timeout=280, env=env)
    assert result.returncode == debug_solver.INCOMPLETE == 3, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if not line.startswith("[juliapkg]")]  # juliapkg's log
    assert lines[0].startswith("jax: mu_sc = 0.001, result code 0"), result.stdout
    assert "eq_residual" in lines[1] and any(line.startswith("plot: ") for line in lines)
    absent = [line for line in lines if line.startswith("dojo: not run (")]
    assert len(absent) == 1, result.stdout
    assert "Julia could not be started for the dojo backend" in absent[0] and 'section "Julia backend"' in absent[0]
    assert lines.index(absent[0]) > max(i for i, line in enumerate(lines) if line.startswith("plot: "))
    assert "Traceback" not in result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
