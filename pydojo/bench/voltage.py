"""``python -m pydojo.bench voltage [--quick]``: the power flows of the voltage13 task.

Prints, from one run: power flows per second of pandapower's backward/forward sweep, its Newton-Raphson and
lightsim2grid's (one flow after another, as TASRL steps), and of pydojo's JAX flow at batch 1 and as one
vmapped batch of 500; the largest |V| difference of each against pandapower's Newton-Raphson on the same
injections; and the seconds of the full evaluation (500 scenarios × 100 steps, the safe-gradient-flow
controller): measured for the JAX flow, and pandapower's per-flow time × 50,000 for the others (goal ≤ 1 min).
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import pydojo  # noqa: F401  (x64)
from pydojo.envs.power import evaluation, feeder13, voltage
from pydojo.progress import status


def _injections(n, seed=0):
    """n (p (12,), q (3,)) pairs: scenarios with random reactive power inside the evaluation limits (those where
    pandapower's Newton-Raphson does not converge are dropped by the caller and counted in the header)."""
    rng = np.random.default_rng(seed)
    limits = np.asarray(voltage.LIMITS["evaluation"])
    return [(voltage.scenario(s), rng.uniform(limits[:, 0], limits[:, 1])) for s in range(n)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pydojo.bench voltage")
    parser.add_argument("--quick", action="store_true", help="fewer pandapower flows (20 instead of 100)")
    args = parser.parse_args(argv)
    n_requested = 20 if args.quick else 100
    cases = _injections(n_requested)
    net = feeder13.pandapower_network()
    env = voltage.make_voltage13(num_scenarios=500, limits="evaluation")
    flow = jax.jit(lambda p, q: env.bus_voltages(p, q))

    def sgen_q(q):
        out = np.zeros(12)
        out[:3] = q
        return out

    def attempt(p, q, algorithm):
        try:
            return feeder13.pandapower_voltages(net, p, sgen_q(q), algorithm)
        except RuntimeError:
            return None

    status("pandapower Newton-Raphson reference")
    reference = [attempt(p, q, "nr") for p, q in cases]
    cases = [c for c, r in zip(cases, reference) if r is not None]  # injections beyond the feeder's capacity are dropped
    reference = [r for r in reference if r is not None]
    n_pp = len(cases)
    rows = []
    for algorithm in feeder13.PF_ALGORITHMS:
        status(f"pandapower {algorithm}")
        attempt(*cases[0], algorithm)  # warm-up
        t = time.perf_counter()
        out = [attempt(p, q, algorithm) for p, q in cases]
        per = (time.perf_counter() - t) / n_pp
        err = max(np.abs(a - b).max() for a, b in zip(out, reference) if a is not None)
        failed = sum(a is None for a in out)
        rows.append((f"pandapower {algorithm}", 1, 1 / per, err, per * 50_000, f"estimated; {failed} of {n_pp} did not converge"))
    status("JAX flow")
    jax.block_until_ready(flow(*map(jnp.asarray, cases[0])))
    t = time.perf_counter()
    results = [flow(jnp.asarray(p), jnp.asarray(q)) for p, q in cases]
    out = [np.asarray(v) for v, _ in results]
    per = (time.perf_counter() - t) / n_pp
    jax_failed = sum(not bool(ok) for _, ok in results)
    err = max(np.abs(a - b).max() for (a, (_, ok)), b in zip(zip(out, results), reference) if bool(ok))
    batched = jax.jit(jax.vmap(lambda p, q: env.bus_voltages(p, q)[0]))
    P = jnp.asarray(np.stack([c[0] for c in cases] * (500 // n_pp + 1))[:500])
    Q = jnp.asarray(np.stack([c[1] for c in cases] * (500 // n_pp + 1))[:500])
    jax.block_until_ready(batched(P, Q))
    t = time.perf_counter()
    jax.block_until_ready(batched(P, Q))
    per_batched = (time.perf_counter() - t) / P.shape[0]
    status("full evaluation with the JAX flow")
    t = time.perf_counter()
    _, F, ok = evaluation.rollouts(evaluation.evaluation_env(), evaluation.safe_gradient_flow(1.0))
    jax.block_until_ready(F)
    full = time.perf_counter() - t
    costs = evaluation.costs(F)
    rows.append(("pydojo JAX (batch 1)", 1, 1 / per, err, per * 50_000, f"estimated; {jax_failed} of {n_pp} did not converge"))
    rows.append(("pydojo JAX (one vmap)", P.shape[0], 1 / per_batched, float("nan"), full, "measured, with compilation"))
    header = f"{'power flow':<24} | {'batch':>5} | {'flows/s':>10} | {'max |dV| vs pandapower NR':>26} | {'500x100 evaluation [s]':>22}"
    print(f"{n_pp} injections: scenarios 0-{n_requested - 1} with random q in the evaluation limits "
          f"({n_requested - n_pp} dropped where pandapower's Newton-Raphson does not converge)")
    print(header)
    print("-" * len(header))
    for name, batch, rate, err, total, how in rows:
        err_text = "-" if not np.isfinite(err) else f"{err:.1e}"
        print(f"{name:<24} | {batch:>5} | {rate:>10.0f} | {err_text:>26} | {total:>10.1f} ({how})")
    print(f"safe gradient flow (alpha = 1) on seeds 0-499: transient {costs['transient']:.3f}, steady-state "
          f"{costs['steady_state']:.4f}; every flow converged: {bool(np.all(np.asarray(ok)))}")


if __name__ == "__main__":
    main()
