"""``python -m pydojo.bench solver [--quick]``: batched LCP throughput, iterations and accuracy vs Lemke.

Random P-matrix LCPs (half symmetric positive definite, half non-symmetric with a
positive-definite symmetric part), n ∈ {4, 16, 64}, batch 1 and 256, solved to
μ_sc = 1e-10 by the jitted, vmapped interior-point solver; the same problems through
two pivoting references run serially: Drake's C++ Lemke (``pydrake.solvers.MobyLcpSolver``,
the ``bench`` extra; only ``Solve`` is timed, the programs are built beforehand) and
lemkelcp (pure Python/NumPy). Accuracy is the natural residual max|min(z, Fz + q)| of each
returned point, checked for every solver (Moby reports success on wrong answers for
non-monotone LCPs, so its status is not trusted). Goal: ≥ 1× Drake's Lemke at batch 256.
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from pydojo.solver import RESULTS, solve_lcp
from pydojo.progress import status

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


def natural_residual(F, q, z) -> float:
    """max over problems of max|min(z, Fz + q)| (0 exactly at an LCP solution)."""
    w = np.einsum("bij,bj->bi", F, z) + q
    return float(np.max(np.abs(np.minimum(z, w))))


def _drake_rate(Fs, qs, budget_s: float):
    """(solves/s, natural residual of its answers, fraction it reported successful), or None without Drake."""
    try:
        from pydrake.solvers import MathematicalProgram, MobyLcpSolver
    except ImportError:
        return None
    solver, progs = MobyLcpSolver(), []
    for F, q in zip(Fs, qs):
        prog = MathematicalProgram()
        z = prog.NewContinuousVariables(len(q))
        prog.AddLinearComplementarityConstraint(F, q, z)
        progs.append((prog, z))
    sols, ok = [], []
    t0 = time.perf_counter()
    for prog, z in progs:
        result = solver.Solve(prog)
        sols.append(result.GetSolution(z))
        ok.append(result.is_success())
        if time.perf_counter() - t0 > budget_s:
            break
    rate = len(sols) / (time.perf_counter() - t0)
    k = len(sols)
    return rate, natural_residual(Fs[:k], qs[:k], np.stack(sols)), float(np.mean(ok))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m pydojo.bench solver")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    args = parser.parse_args(argv)
    repeats, lemke_budget = (2, 1.0) if args.quick else (5, 4.0)
    batched = jax.jit(jax.vmap(lambda F, q: solve_lcp(F, q, MU_SC, throw=False)))
    single = jax.jit(lambda F, q: solve_lcp(F, q, MU_SC, throw=False))

    header = (f"{'n':>3} {'batch':>5} | {'pydojo solves/s':>15} {'iters med':>9} {'iters max':>9} {'converged':>9} "
              f"{'residual':>9} | {'drake solves/s':>14} {'residual':>9} {'status ok':>9} {'ratio':>7} | "
              f"{'lemkelcp/s':>10} {'ratio':>7}")
    print(f"LCP benchmark, mu_sc = {MU_SC:g}, float64, jax {jax.__version__} on {jax.devices()[0].platform}")
    print(header)
    print("-" * len(header))
    for n in (4, 16, 64):
        status(f"LCPs of size n = {n}")
        Fs, qs = _problems(n, 256, seed=n)
        sol = batched(jnp.asarray(Fs), jnp.asarray(qs))
        iters = np.asarray(sol.stats.iterations)
        conv = float(np.mean(np.asarray(sol.result) == RESULTS.successful))
        ours_res = natural_residual(Fs, qs, np.asarray(sol.lam))
        lemke_rate = _lemke_rate(Fs, qs, lemke_budget)
        drake = _drake_rate(Fs, qs, lemke_budget)
        d_rate, d_res, d_ok = drake if drake is not None else (float("nan"),) * 3
        for batch in (1, 256):
            if batch == 1:
                dt = _time(single, jnp.asarray(Fs[0]), jnp.asarray(qs[0]), repeats=repeats * 5)
            else:
                dt = _time(batched, jnp.asarray(Fs), jnp.asarray(qs), repeats=repeats)
            rate = batch / dt
            print(f"{n:>3} {batch:>5} | {rate:>15.0f} {np.median(iters):>9.0f} {iters.max():>9d} {conv:>9.1%} "
                  f"{ours_res:>9.1e} | {d_rate:>14.0f} {d_res:>9.1e} {d_ok:>9.0%} {rate / d_rate:>6.2f}x | "
                  f"{lemke_rate:>10.0f} {rate / lemke_rate:>6.1f}x", flush=True)
    if drake is None:
        print("Drake's Lemke: not installed (pip install -e '.[bench]'); its columns are nan.")
    print("residual: max over the 256 problems of max|min(z, Fz + q)|; status ok: the share Drake reported as solved.")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
