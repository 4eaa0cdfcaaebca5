"""``python -m pydojo.bench ocp [--quick]``: the structured JAX interior-point solver vs IPOPT (CasADi).

Prints, from one run: time per solve of the jitted solver at batch 1 and 64 (one 64-wide vmap) against IPOPT's
time per solve (one problem after another) on cartpole H = 30 and quadrotor H = 50, iteration
counts of both (ours: accepted steps, and inertia-correction retries, each a repeated backward Riccati recursion),
and the time of one IDOC vector–Jacobian product for H ∈ {10, 50, 200}.
Initial states: the task's starts with uniform perturbations; θ perturbed from the truth.
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import pydojo  # noqa: F401  (x64)
from pydojo import envs
from pydojo.ocp import idoc, ipm
from pydojo.ocp.ipopt import IpoptSolver
from pydojo.progress import status

def _starts(env, batch, key):
    base = jnp.asarray(env.initial_states)[jnp.arange(batch) % len(env.initial_states)]
    return base + 0.2 * jax.random.uniform(key, base.shape, minval=-1.0, maxval=1.0) * (jnp.abs(base) > 0)


def _timed(fn, *args, repeats):
    jax.block_until_ready(fn(*args))  # compile
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def bench_solvers(quick: bool):
    rows = []
    for name, horizon in (("cartpole", 30), ("quadrotor", 50)):
        status(f"{name}, H = {horizon}")
        env = envs.make(name)
        ocp = env.diffop_ocp(horizon)
        theta = env.perturbed_theta(jax.random.PRNGKey(0), 0.2)
        opts = ipm.IPMOptions(tol=1e-8)
        one = jax.vmap(lambda x: ipm.solve(ocp, x, theta, opts))
        # one 64-wide vmap (it hung with XLA:CPU's fusion emitters, which importing pydojo turns off: pydojo._xla)
        batched = jax.jit(one)
        x64 = _starts(env, 64, jax.random.PRNGKey(1))
        t1, s1 = _timed(jax.jit(one), x64[:1], repeats=3 if quick else 10)
        t64, s64 = _timed(batched, x64, repeats=1 if quick else 3)
        ipopt = IpoptSolver(ocp, tol=1e-8)
        n_ip = 4 if quick else 16
        ip_times, ip_iters, ip_ok = [], [], 0
        for x in np.asarray(x64[:n_ip]):
            t = time.perf_counter()
            sol = ipopt.solve(x, theta)
            ip_times.append(time.perf_counter() - t)
            ip_iters.append(int(sol.stats.iterations))
            ip_ok += int(sol.result) == 0
        t_ip = float(np.median(ip_times))
        rows.append((f"{name} H={horizon}", t1 * 1e3, t64 / 64 * 1e3, t_ip * 1e3, t_ip / (t64 / 64),
                     f"{float(np.mean(s64.stats.iterations)):.1f}/{int(np.max(s64.stats.iterations))}",
                     f"{float(np.mean(s64.stats.retries)):.1f}/{int(np.max(s64.stats.retries))}",
                     f"{np.mean(ip_iters):.1f}/{np.max(ip_iters)}",
                     f"{int(np.sum(s64.result == 0))}/64", f"{ip_ok}/{n_ip}"))
    header = ("problem", "jax b=1 [ms/solve]", "jax b=64 [ms/solve]", "ipopt [ms/solve]", "speed-up b=64",
              "jax iters mean/max", "jax retries mean/max", "ipopt iters mean/max", "jax ok", "ipopt ok")
    _print_table(header, rows)


def bench_idoc(quick: bool):
    rows = []
    env = envs.make("cartpole")
    theta = env.perturbed_theta(jax.random.PRNGKey(0), 0.2)
    x0 = jnp.asarray(env.initial_states[1])
    for horizon in (10, 50, 200):
        ocp = env.diffop_ocp(horizon)
        sol = jax.jit(lambda x: ipm.solve(ocp, x, theta, ipm.IPMOptions(tol=1e-8)))(x0)
        v = jnp.ones(sol.us.shape)
        vjp = jax.jit(lambda sol, v: idoc.vjp(ocp, sol, x0, theta, v)[0])
        t, _ = _timed(vjp, sol, v, repeats=5 if quick else 20)
        rows.append((horizon, t * 1e3, t * 1e6 / horizon, int(sol.result)))
    _print_table(("H", "IDOC VJP [ms]", "per stage [us]", "solve result"), rows)


def _print_table(header, rows):
    cells = [[f"{c:.3g}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for r in cells:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))
    print()


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m pydojo.bench ocp")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and IPOPT solves")
    args = parser.parse_args(argv)
    print(f"JAX {jax.__version__} on {jax.devices()[0].platform}; times are medians of repeated calls after compilation\n")
    bench_solvers(args.quick)
    bench_idoc(args.quick)
