"""``python -m pydojo.bench solver [--quick]``: batched LCP throughput and iterations vs Lemke.

Random P-matrix LCPs (half symmetric positive definite, half non-symmetric with a
positive-definite symmetric part), n ∈ {4, 16, 64}, batch 1 and 256, solved to
μ_sc = 1e-10 by the jitted, vmapped interior-point solver; the same problems through
lemkelcp's pivoting method (pure Python/NumPy, serial) as the independent reference.
Goals (issue 2): ≥ 10× the reference's throughput at batch 256, median ≤ 15 iterations,
100 % converged.
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from pydojo.solver import RESULTS, solve_lcp

MU_SC = 1e-10


def _problems(n: int, batch: int, seed: int):
    from pydojo.testing.references import random_p_matrix

    rng = np.random.default_rng(seed)
    Fs = np.stack([random_p_matrix(rng, n, ("symmetric", "nonsymmetric")[i % 2]) for i in range(batch)])
    return Fs, rng.normal(size=(batch, n))


def _time(fn, *args, repeats: int) -> float:
    jax.block_until_ready(fn(*args))  # compile + warm
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - t0)
    return best


def _lemke_rate(Fs, qs, budget_s: float) -> float:
    from pydojo.testing.references import lemke

    t0, done = time.perf_counter(), 0
    for F, q in zip(Fs, qs):
        lemke(F, q)
        done += 1
        if time.perf_counter() - t0 > budget_s:
            break
    return done / (time.perf_counter() - t0)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m pydojo.bench solver")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    args = parser.parse_args(argv)
    repeats, lemke_budget = (2, 1.0) if args.quick else (5, 4.0)
    batched = jax.jit(jax.vmap(lambda F, q: solve_lcp(F, q, MU_SC, throw=False)))
    single = jax.jit(lambda F, q: solve_lcp(F, q, MU_SC, throw=False))

    header = (f"{'n':>3} {'batch':>5} | {'pydojo solves/s':>15} {'iters med':>9} {'iters max':>9} {'converged':>9} | "
              f"{'lemke solves/s':>14} {'ratio':>7}")
    print(f"LCP benchmark, mu_sc = {MU_SC:g}, float64, jax {jax.__version__} on {jax.devices()[0].platform}")
    print(header)
    print("-" * len(header))
    for n in (4, 16, 64):
        Fs, qs = _problems(n, 256, seed=n)
        sol = batched(jnp.asarray(Fs), jnp.asarray(qs))
        iters = np.asarray(sol.stats.iterations)
        conv = float(np.mean(np.asarray(sol.result) == RESULTS.successful))
        lemke_rate = _lemke_rate(Fs, qs, lemke_budget)
        for batch in (1, 256):
            if batch == 1:
                dt = _time(single, jnp.asarray(Fs[0]), jnp.asarray(qs[0]), repeats=repeats * 5)
            else:
                dt = _time(batched, jnp.asarray(Fs), jnp.asarray(qs), repeats=repeats)
            rate = batch / dt
            print(f"{n:>3} {batch:>5} | {rate:>15.0f} {np.median(iters):>9.0f} {iters.max():>9d} {conv:>9.1%} | "
                  f"{lemke_rate:>14.0f} {rate / lemke_rate:>6.1f}x")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
