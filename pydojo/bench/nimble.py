"""``python -m pydojo.bench nimble [--python PATH] [--setup]``: the sliding block against nimblephysics' C++ step.

The scenario (both engines): pydojo's ``block`` (a 0.2 m box of 1 kg on a plane, friction 0.5, 0.01 s
steps), pushed from rest by a constant 10 N along the plane for 100 steps (it slides: 10 N > μmg), at
batch 1. Printed for each engine: forward steps/s (best of 3, compilation excluded), the time of the
reverse-mode gradient of the final position with respect to every step's force, that time over the
forward rollout's, and the final state and gradient against the analytic answer of each engine's
integrator (ours: x_{t+1} = x_t + h v_{t+1}, so ∂x_T/∂F_t = h²(T − t)/m; nimblephysics: x_{t+1} = x_t + h v_t,
h²(T − 1 − t)/m; both v_T = (F − μmg) T h / m).

nimblephysics 0.10.52 needs numpy < 2, which pydojo's jax does not allow, so it runs in its own Python:
``--setup`` makes one in ``.venv-nimble`` (``pip install nimblephysics==0.10.52 "numpy<2" --no-deps``:
the C++ module needs neither torch nor anything else), ``--python`` (or PYDOJO_NIMBLE_PYTHON) names
another. pydojo runs ``pydojo/bench/_nimble_peer.py`` there and reads its JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np

from pydojo import envs
from pydojo.bench.engine import _timed
from pydojo.engine import step

PEER = pathlib.Path(__file__).with_name("_nimble_peer.py")
NIMBLE_REQUIREMENTS = ("nimblephysics==0.10.52", "numpy<2")
DEFAULT_VENV = pathlib.Path(".venv-nimble")
SCENARIO = dict(steps=100, timestep=0.01, half_size=0.1, mass=1.0, friction=0.5, gravity=9.81, force=10.0, repeats=3)


class PeerUnavailable(RuntimeError):
    """No Python with nimblephysics to run the peer in."""


def setup_peer(venv: pathlib.Path = DEFAULT_VENV) -> pathlib.Path:
    """Make ``venv`` with nimblephysics (no torch) and return its python; raises ``PeerUnavailable`` with pip's error."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", *NIMBLE_REQUIREMENTS],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise PeerUnavailable(f"pip could not install {' '.join(NIMBLE_REQUIREMENTS)} into {venv}: "
                              f"{done.stderr.strip()[-600:]}")
    return python


def peer_python(given: str | None) -> pathlib.Path:
    """The Python to run nimblephysics in: ``given``, PYDOJO_NIMBLE_PYTHON, or ``.venv-nimble``'s."""
    for candidate in (given, os.environ.get("PYDOJO_NIMBLE_PYTHON"), str(DEFAULT_VENV / "bin" / "python")):
        if candidate and pathlib.Path(candidate).exists():
            return pathlib.Path(candidate)
    raise PeerUnavailable("no Python with nimblephysics: run `python -m pydojo.bench nimble --setup` (makes "
                          ".venv-nimble), or pass --python PATH / set PYDOJO_NIMBLE_PYTHON to one where "
                          "`import nimblephysics_libs._nimblephysics` works")


def run_peer(python: pathlib.Path, scenario: dict = SCENARIO, timeout: float = 600.0) -> dict:
    done = subprocess.run([str(python), str(PEER), json.dumps(scenario)], capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise PeerUnavailable(f"the nimblephysics peer failed in {python}: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def block_env(scenario: dict = SCENARIO):
    return envs.make("block", half_size=scenario["half_size"], mass=scenario["mass"], friction=scenario["friction"],
                     gravity=scenario["gravity"], timestep=scenario["timestep"])


def ours(scenario: dict = SCENARIO) -> dict:
    """The same numbers for pydojo's JAX engine (μ_sc = 1e-8, batch 1)."""
    env = block_env(scenario)
    system, start = env.system, env.reset(jax.random.PRNGKey(0)).physics
    forces = jnp.full((scenario["steps"], env.action_size), scenario["force"])

    def rollout(forces):
        return jax.lax.scan(lambda s, u: (step(system, s, u, 1e-8, throw=False), s.stats.result), start, forces)

    final_x = jax.jit(lambda f: rollout(f)[0].q[0])
    forward = jax.jit(lambda f: rollout(f)[0])
    grad = jax.jit(jax.grad(lambda f: rollout(f)[0].q[0]))
    final, results = jax.jit(rollout)(forces)
    fwd = _timed(forward, forces)
    bwd = _timed(grad, forces)
    return {"steps_per_s": scenario["steps"] / fwd, "gradient_s": bwd, "forward_s": fwd,
            # the z joint is the box's offset from resting on the plane: its centre is half_size higher
            "final_x": float(final.q[0]), "final_height": float(final.q[1]) + scenario["half_size"],
            "final_vx": float(final.v[0]),
            "gradient": np.asarray(grad(forces))[:, 0].tolist(), "fails": int(jnp.sum(results != 0)),
            "final_x_check": float(final_x(forces))}


def analytic(scenario: dict, position_lag: int) -> dict:
    """Final v, x and ∂x_T/∂F_t of the sliding block; ``position_lag`` 0 for x_{t+1} = x_t + h v_{t+1}, 1 for + h v_t."""
    h, n, m = scenario["timestep"], scenario["steps"], scenario["mass"]
    a = (scenario["force"] - scenario["friction"] * m * scenario["gravity"]) / m
    k = np.arange(n)
    return {"final_vx": a * n * h, "final_x": a * h * h * float(np.sum(np.arange(1, n + 1) - position_lag)),
            "gradient": (h * h * (n - k - position_lag) / m).tolist()}


def rows(mine: dict, peer: dict, scenario: dict = SCENARIO) -> list[str]:
    exact = {"pydojo (JAX, μ_sc = 1e-8)": (mine, analytic(scenario, 0)),
             f"nimblephysics {peer.get('version', '')}": (peer, analytic(scenario, 1))}
    header = (f"{'engine':<36} {'steps/s':>10} {'grad [ms]':>10} {'grad/fwd':>9} {'v_T':>8} {'v_T err':>9} "
              f"{'x_T err':>9} {'dx_T/dF err':>12}")
    out = [header, "-" * len(header)]
    for name, (r, a) in exact.items():
        grad_err = float(np.max(np.abs(np.asarray(r["gradient"]) - np.asarray(a["gradient"]))))
        out.append(f"{name:<36} {r['steps_per_s']:>10.0f} {1e3 * r['gradient_s']:>10.2f} "
                   f"{r['gradient_s'] / r['forward_s']:>9.2f} {r['final_vx']:>8.4f} {abs(r['final_vx'] - a['final_vx']):>9.1e} "
                   f"{abs(r['final_x'] - a['final_x']):>9.1e} {grad_err:>12.1e}")
    out.append(f"{'ratio pydojo / nimblephysics':<36} {mine['steps_per_s'] / peer['steps_per_s']:>10.3f} "
               f"{peer['gradient_s'] / mine['gradient_s']:>10.3f}   (speed ratios: > 1 means pydojo is faster)")
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pydojo.bench nimble")
    parser.add_argument("--python", default=None, help="a Python where nimblephysics imports (default: "
                        "PYDOJO_NIMBLE_PYTHON, then .venv-nimble/bin/python)")
    parser.add_argument("--setup", action="store_true", help=f"make {DEFAULT_VENV} with {' '.join(NIMBLE_REQUIREMENTS)} first")
    parser.add_argument("--quick", action="store_true", help="20 steps instead of 100")
    args = parser.parse_args(argv)
    scenario = dict(SCENARIO, steps=20) if args.quick else SCENARIO
    try:  # the peer first: a missing nimblephysics stops before any compilation
        python = setup_peer() if args.setup else peer_python(args.python)
        peer = run_peer(python, scenario)
    except PeerUnavailable as err:
        raise SystemExit(f"bench nimble: {err}") from None
    mine = ours(scenario)
    print(f"sliding block, {scenario['steps']} steps of {scenario['timestep']} s, push {scenario['force']} N, "
          f"friction {scenario['friction']}, batch 1; best of {scenario['repeats']}; devices: {jax.devices()}")
    print("\n".join(rows(mine, peer, scenario)))
    print("errors against each engine's own integrator (see the module docstring); failed contact solves: "
          f"{mine['fails']}")
