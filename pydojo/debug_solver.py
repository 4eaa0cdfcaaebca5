"""Print and plot the interior-point trace of one contact step: JAX engine, Dojo.jl, or both.

    python -m pydojo.debug_solver backend=jax|dojo|both env=sphere mu=1e-3 \\
        gap=0.01 vx=0.5 vz=-1.0 fx=0 fz=0 friction=0.5 timestep=0.01 cone=nonlinear out=solver_trace.png

One row per interior-point iterate: the equality residual ‖E‖∞, the distance to the central
path |λ∘s − μ_sc e|∞, then the step taken from that iterate: centering target μ (floored at
μ_sc), Mehrotra's σ and the step length α; the last row is the returned point. Both backends
solve the same physical step: a sphere of radius 0.5 (or a cube of edge 0.5), mass 1, whose
lowest point is ``gap`` above flat ground, moving with (vx, vz), pushed by (fx, fz). The JAX
engine's ball and block are planar (x, z, pitch) MJCF models; Dojo's are 3-D floating bodies
with y = 0. The JAX half is ``pydojo.engine.pipeline.step_problem`` solved with
``SolverOptions(trace=True)``; the Dojo half is PyDojoBridge.step_minimal!'s trace.

With ``backend=both`` on a machine where Julia cannot start, the JAX half is printed and plotted,
then one line says why the Dojo half is absent, and the exit status is 3 (``INCOMPLETE``): the
comparison asked for did not happen. ``backend=dojo`` alone raises the Julia error (exit status 1).
"""
from __future__ import annotations

import math
import pathlib
import sys
from typing import Any

import numpy as np

DEFAULTS: dict[str, Any] = {
    "backend": "jax", "env": "sphere", "mu": 1e-3, "gap": 0.01, "vx": 0.5, "vz": -1.0, "fx": 0.0, "fz": 0.0,
    "friction": 0.5, "timestep": 0.01, "gravity": 9.81, "cone": "nonlinear", "out": "solver_trace.png",
}
BACKENDS = ("jax", "dojo", "both")
ENVS = ("sphere", "block")
CONES = ("nonlinear", "linear")
COLUMNS = ("eq_residual", "comp_residual", "mu_target", "sigma", "alpha")
SIZE = 0.5  # sphere radius / cube edge, Dojo's get_sphere / get_block defaults
INCOMPLETE = 3  # exit status of backend=both when only the JAX half ran


def parse_args(argv: list[str]) -> dict[str, Any]:
    """key=value arguments over DEFAULTS; unknown keys or values raise ValueError listing the valid ones."""
    config = dict(DEFAULTS)
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep or key not in DEFAULTS:
            raise ValueError(f"expected key=value with key in {', '.join(DEFAULTS)}; got {arg!r}")
        config[key] = value if isinstance(DEFAULTS[key], str) else float(value)
    for key, allowed in (("backend", BACKENDS), ("env", ENVS), ("cone", CONES)):
        if config[key] not in allowed:
            raise ValueError(f"{key} must be one of {allowed}, got {config[key]!r}")
    if not (math.isfinite(config["mu"]) and config["mu"] >= 0):
        raise ValueError(f"mu must be finite and >= 0, got {config['mu']}")
    if not config["timestep"] > 0:
        raise ValueError(f"timestep must be > 0, got {config['timestep']}")
    return config


def jax_trace(config: dict[str, Any]) -> dict[str, np.ndarray]:
    """The JAX engine's trace for the step described by ``config``."""
    import equinox as eqx
    import jax.numpy as jnp

    from pydojo.engine import models, pipeline
    from pydojo.engine.contact import pair_mu
    from pydojo.engine.system import make_system
    from pydojo.solver import SolverOptions, solve

    common = dict(mass=1.0, friction=config["friction"], gravity=config["gravity"], timestep=config["timestep"])
    if config["env"] == "sphere":
        model = models.ball_mjcf(radius=SIZE, **common)
        q, v, u = [0.0, config["gap"], 0.0], [config["vx"], config["vz"], 0.0], [config["fx"], config["fz"]]
    else:
        model = models.block_mjcf(half_size=SIZE / 2, **common)
        q, v, u = [0.0, config["gap"]], [config["vx"], config["vz"]], [config["fx"]]
    options = SolverOptions(trace=True)
    system = make_system(model, friction_cone=config["cone"], solver_options=options)
    state = pipeline.init(system, jnp.asarray(q), jnp.asarray(v))
    # Jitted: evaluated op by op, MJX's terms and the solver's loop cost ~15 s of per-op compilations.
    problem, data = eqx.filter_jit(pipeline.step_problem)(system, state, jnp.asarray(u))
    sol = eqx.filter_jit(lambda d, m: solve(problem, d, m, init_y=d.velocity, options=options, throw=False))(
        data, pair_mu(system, jnp.asarray(config["mu"])))
    n = int(sol.stats.iterations)
    trace = {k: np.asarray(sol.trace[k])[:n] for k in COLUMNS}
    final = {"eq_residual": float(sol.stats.eq_residual), "comp_residual": float(sol.stats.comp_residual)}
    trace = {k: np.append(trace[k], final.get(k, np.nan)) for k in COLUMNS}
    trace["result"] = int(sol.result)
    return trace


def dojo_trace(config: dict[str, Any]) -> dict[str, np.ndarray]:
    """Dojo.jl's trace (through juliacall) for the same step."""
    import jax.numpy as jnp

    from pydojo.backends.dojo import DojoBackend

    backend = DojoBackend()
    options = dict(timestep=config["timestep"], gravity=config["gravity"], friction=config["friction"],
                   friction_cone=config["cone"])
    system = backend.make_system("sphere" if config["env"] == "sphere" else "block", **options)
    height = SIZE + config["gap"] if config["env"] == "sphere" else SIZE / 2 + config["gap"]
    q = jnp.array([0.0, 0.0, height, 1.0, 0.0, 0.0, 0.0])
    v = jnp.array([config["vx"], 0.0, config["vz"], 0.0, 0.0, 0.0])
    u = jnp.array([config["fx"], 0.0, config["fz"], 0.0, 0.0, 0.0])
    out = backend.step_trace(system, backend.init(system, q, v), u, config["mu"])
    trace = {k: np.asarray(out["trace"][k]) for k in COLUMNS}
    trace["result"] = out["result"]
    return trace


def format_table(name: str, trace: dict[str, np.ndarray], mu: float) -> str:
    """The trace as a text table (one row per iterate)."""
    lines = [f"{name}: mu_sc = {mu:.3g}, result code {trace['result']}, {len(trace['eq_residual']) - 1} steps",
             f"{'iter':>4} " + " ".join(f"{c:>13}" for c in COLUMNS)]
    for i in range(len(trace["eq_residual"])):
        lines.append(f"{i:>4} " + " ".join(f"{trace[c][i]:>13.4e}" for c in COLUMNS))
    return "\n".join(lines)


def plot(traces: dict[str, dict[str, np.ndarray]], mu: float, path: pathlib.Path) -> pathlib.Path:
    """Residuals, centering target and step length per iterate, one line per backend, saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(9, 6), sharex=True)
    for ax, key, log in zip(axes.flat, ("eq_residual", "comp_residual", "mu_target", "alpha"), (True, True, True, False)):
        for name, trace in traces.items():
            ax.plot(np.arange(len(trace[key])), trace[key], marker="o", label=name)
        if key in ("comp_residual", "mu_target") and mu > 0:
            ax.axhline(mu, color="gray", linestyle="--", label="μ_sc")
        ax.set_yscale("log" if log else "linear")
        ax.set_title(key)
        ax.legend()
    for ax in axes[1]:
        ax.set_xlabel("iterate")
    fig.suptitle(f"interior-point trace of one step (μ_sc = {mu:.3g})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
    config = parse_args(sys.argv[1:] if argv is None else argv)
    import pydojo  # noqa: F401  (x64)

    from pydojo.backends import BackendUnavailableError

    runs = {"jax": jax_trace, "dojo": dojo_trace}
    names = ("jax", "dojo") if config["backend"] == "both" else (config["backend"],)
    traces, absent = {}, None
    for name in names:
        try:
            traces[name] = runs[name](config)
        except BackendUnavailableError as err:
            if config["backend"] != "both":
                raise
            absent = err  # keep the JAX half
    print("\n\n".join(format_table(name, trace, config["mu"]) for name, trace in traces.items()))
    path = plot(traces, config["mu"], pathlib.Path(config["out"]))
    print(f"\nplot: {path}")
    if absent is not None:
        reason = str(absent).splitlines()[0]
        print(f"\ndojo: not run ({reason}); only the JAX half above. To run Dojo: README.md, section "
              f"\"Julia backend\"", flush=True)
    return traces


if __name__ == "__main__":
    traces = main()
    sys.exit(INCOMPLETE if parse_args(sys.argv[1:])["backend"] == "both" and "dojo" not in traces else 0)
