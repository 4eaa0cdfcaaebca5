"""``python -m pydojo.bench engine [--quick]``: throughput of the hard-contact engine vs MJX and MuJoCo.

For hopper, halfcheetah and ant (the registered environments' MJCF and timestep) at three batch
sizes (1, 64, 256), prints: steps/s of ``pydojo.engine.step`` at μ_sc = 1e-8 and 1e-2 (jit(vmap) inside a
``lax.scan``), steps/s of MJX's own soft-contact ``mjx.step`` on the same model (Euler), MuJoCo's
C ``mj_step`` in a serial loop, and the time of a reverse-mode gradient of a rollout (w.r.t. the
controls) divided by the forward rollout's time. All numbers are measured in this one run;
compile time is excluded (each function is run once before timing).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import time

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from pydojo._quiet import import_mjx
from pydojo import envs
from pydojo.engine import step
from pydojo.engine.contact import contact_problem
from pydojo.engine.terms import model_terms
from pydojo.progress import status

mjx = import_mjx()  # mujoco.mjx without its Warp-probe notices

MODELS = ("hopper", "halfcheetah", "ant")


REPEATS = 3
GRAD_MAX_BATCH = 64  # the batches 1 and 64 (hopper at 64: ~2 min with compilation); 256 is skipped


def _timed(fn, *args) -> float:
    """Best of REPEATS runs after a compile-and-warm-up call (the machine may be shared)."""
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return min(times)


def _controls(env, batch, steps, seed=0):
    low, high = env.action_bounds
    low, high = jnp.where(jnp.isfinite(low), low, -1.0), jnp.where(jnp.isfinite(high), high, 1.0)
    return jax.random.uniform(jax.random.PRNGKey(seed), (steps, batch, env.action_size), minval=low, maxval=high)


def _initial(env, batch):
    return jax.vmap(lambda k: env.reset(k).physics)(jax.random.split(jax.random.PRNGKey(1), batch))


def engine_rates(env, batch, steps, mus) -> tuple[list[float], int, np.ndarray]:
    """steps/s at each μ_sc (one compiled function, μ_sc traced), the failed solves among them and
    the interior-point iteration counts of the first μ_sc."""
    system = env.system

    @jax.jit
    def run(states, controls, mu):
        def body(s, u):
            nxt = jax.vmap(lambda x, a: step(system, x, a, mu, throw=False))(s, u)
            return nxt, (nxt.stats.result, nxt.stats.iterations)
        return jax.lax.scan(body, states, controls)[1]

    states, controls = _initial(env, batch), _controls(env, batch, steps)
    rates, failures, iterations = [], 0, None
    for mu in mus:
        mu = jnp.asarray(mu)
        rates.append(batch * steps / _timed(run, states, controls, mu))
        results, iters = run(states, controls, mu)
        failures += int(jnp.sum(results != 0))
        iterations = np.asarray(iters) if iterations is None else iterations
    return rates, failures, iterations


def terms_rate(env, batch, steps, chunks: int = 1) -> float:
    """steps/s of the MJX part of a step alone (M, bias forces, actuation, collision, Jacobians);
    ``chunks`` as in ``mjx_rate``."""
    system = env.system
    sub = batch // chunks

    @jax.jit
    def run(states, controls):
        def body(carry, u):
            # the configuration moves with the carry, or XLA would hoist the state-only terms out of the loop
            q = states.q + 1e-12 * carry
            terms = jax.vmap(lambda qi, vi, a: model_terms(system, qi, vi, a))(q, states.v, u)
            used = sum(jnp.sum(leaf) for leaf in jax.tree_util.tree_leaves(terms))  # keep every term live
            return carry + used, None
        return jax.lax.scan(body, jnp.zeros(()), controls)[0]

    controls = _controls(env, batch, steps).reshape(steps, chunks, sub, -1)
    return batch * steps / _timed(lambda s, u: [run(s, u[:, c]) for c in range(chunks)], _initial(env, sub), controls)


def gradient_ratio(env, batch, steps) -> float:
    system = env.system

    def loss(controls, states):
        def body(s, u):
            return jax.vmap(lambda x, a: step(system, x, a, 1e-8, throw=False))(s, u), None
        final = jax.lax.scan(body, states, controls)[0]
        return jnp.sum(final.q) + jnp.sum(final.v)

    states, controls = _initial(env, batch), _controls(env, batch, steps)
    forward = _timed(jax.jit(loss), controls, states)
    backward = _timed(jax.jit(jax.grad(loss)), controls, states)
    return backward / forward


def mjx_rate(env, batch, steps, chunks: int = 1) -> float:
    """steps/s of ``mjx.step`` (jit(vmap) in a scan); ``chunks`` > 1 runs the batch as that many
    equal sub-batches one after another (the same work, for batches at which XLA:CPU deadlocks)."""
    model = env.mj_model()
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    mx = mjx.put_model(model)
    sub = batch // chunks
    data = jax.vmap(lambda q: mjx.make_data(mx).replace(qpos=q))(jnp.tile(jnp.asarray(model.qpos0), (sub, 1)))
    controls = _controls(env, batch, steps).reshape(steps, chunks, sub, -1)

    @jax.jit
    def run(data, controls):
        def body(d, u):
            return jax.vmap(lambda x, a: mjx.step(mx, x.replace(ctrl=a)))(d, u), None
        return jax.lax.scan(body, data, controls)[0]

    def all_chunks(data, controls):
        return [run(data, controls[:, c]) for c in range(chunks)]

    return batch * steps / _timed(all_chunks, data, controls)


def _rate_child(what, name, batch, steps, chunks, queue):
    env = envs.make(name)
    queue.put(mjx_rate(env, batch, steps, chunks) if what == "mjx.step" else terms_rate(env, batch, steps, chunks))


# MJX's ant step at batch 256 deadlocks in XLA:CPU (LAPACK ParallelBatchMap parks both pool threads) unless
# the concurrency-optimized scheduler is off (unless the caller's XLA_FLAGS chose it). It is set only in the
# child processes that measure MJX (mjx.step and our MJX terms):
# in the test suite's processes it made another program spin (pydojo._xla).
MJX_CHILD_XLA_FLAGS = "--xla_cpu_enable_concurrency_optimized_scheduler=false"


@contextlib.contextmanager
def _child_xla_flags(extra: str):
    """``XLA_FLAGS`` with ``extra`` appended while a spawned child starts (it copies the environment)."""
    before = os.environ.get("XLA_FLAGS")
    name = extra.split("=")[0]
    os.environ["XLA_FLAGS"] = before if before and name in before else f"{before or ''} {extra}".strip()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("XLA_FLAGS", None)
        else:
            os.environ["XLA_FLAGS"] = before


def guarded_rate(what, name, batch, steps, timeout: float) -> tuple[float, str]:
    """``mjx_rate`` (``what="mjx.step"``) or ``terms_rate`` (``"terms"``) in a child process killed after
    ``timeout`` s. jaxlib 0.10.1's CPU thread pool deadlocks on MJX's ant step at batch 256 on our 2-core
    machines (all threads parked in Eigen's ThreadPool; reproduced 3 of 3, while batch 128 runs): on a hang
    the batch is measured again as two halves run one after the other, marked ``*``; if that hangs too the
    rate is nan (``hung``)."""
    import multiprocessing as mp

    if what not in ("mjx.step", "terms"):
        raise ValueError(f"guarded_rate measures 'mjx.step' or 'terms', got {what!r}")
    if not timeout > 0:
        raise ValueError(f"the MJX timeout must be > 0 s, got {timeout}")
    ctx = mp.get_context("spawn")
    for chunks, mark in ((1, ""), (2, "*")):
        if batch % chunks:
            break
        queue = ctx.Queue()
        child = ctx.Process(target=_rate_child, args=(what, name, batch, steps, chunks, queue), daemon=True)
        with _child_xla_flags(MJX_CHILD_XLA_FLAGS):
            child.start()
        child.join(timeout)
        if child.is_alive():
            child.kill()
            child.join()
            print(f"  ({what} on {name} at batch {batch // chunks} x {chunks} did not finish in {timeout:.0f} s: "
                  "killed)", flush=True)
            continue
        if child.exitcode == 0 and not queue.empty():
            return queue.get(), mark
        return float("nan"), "failed"
    return float("nan"), "hung"


def mujoco_rate(env, steps) -> float:
    model = env.mj_model()
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    data = mujoco.MjData(model)
    controls = np.asarray(_controls(env, 1, steps))[:, 0]
    start = time.perf_counter()
    for u in controls:
        data.ctrl[:] = u
        mujoco.mj_step(model, data)
    return steps / (time.perf_counter() - start)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pydojo.bench engine")
    parser.add_argument("--quick", action="store_true", help="batches 1 and 8, 10 steps (smoke run)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--batches", nargs="+", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None, help="timed steps per forward rollout")
    parser.add_argument("--grad-steps", type=int, default=None, help="rollout length of the gradient ratio")
    parser.add_argument("--mjx-timeout", type=float, default=300.0,
                        help="seconds (including the child's import and compilation) before an MJX measurement (mjx.step, our "
                             "MJX terms) is declared hung (XLA:CPU deadlock) and retried as two half batches")
    args = parser.parse_args(argv)
    if not args.mjx_timeout > 0:
        parser.error(f"--mjx-timeout must be > 0 s, got {args.mjx_timeout}")
    batches = args.batches or ([1, 8] if args.quick else [1, 64, 256])
    steps = args.steps or (10 if args.quick else 50)
    grad_steps = args.grad_steps or (10 if args.quick else 100)
    header = (f"{'model':<12}{'batch':>6}{'ours mu=1e-8':>14}{'ours mu=1e-2':>14}{'mjx.step':>12}"
              f"{'mj_step (C)':>13}{'ours/mjx':>10}{'grad/fwd':>10}{'fails':>7}")
    print(f"steps/s (environment steps x batch per second, best of {REPEATS}); {steps} timed steps, gradient over "
          f"{grad_steps} steps; devices: {jax.devices()}")
    print(header)
    print("-" * len(header))
    where, marks = [], []
    for name in args.models:
        env = envs.make(name)
        c_rate = mujoco_rate(env, 2000)
        for batch in batches:
            status(f"{name} at batch {batch}")
            (hard, soft), fails, iters = engine_rates(env, batch, steps, (1e-8, 1e-2))
            theirs, mark = guarded_rate("mjx.step", name, batch, steps, args.mjx_timeout)
            marks.append(mark)
            ratio = gradient_ratio(env, batch, grad_steps) if batch <= GRAD_MAX_BATCH else float("nan")
            terms, terms_mark = guarded_rate("terms", name, batch, steps, args.mjx_timeout)
            marks.append(terms_mark)
            print(f"{name:<12}{batch:>6}{hard:>14.1f}{soft:>14.1f}{theirs:>11.1f}{mark[:1] or ' '}{c_rate:>13.0f}"
                  f"{hard / theirs:>10.2f}{ratio:>10.2f}{fails:>7}", flush=True)
            system = env.system
            where.append((name, batch, system.nv, contact_problem(system), 1e3 / hard, 1e3 / terms, terms_mark[:1],
                          float(iters.mean()), int(iters.max())))
    if "*" in marks:
        print("*: an MJX measurement (mjx.step or the MJX terms) hung at this batch (XLA:CPU thread-pool deadlock) "
              "and was measured as two half batches in turn.")
    print("fails: failed contact solves (reported in State.stats.result) among the timed steps at both mu_sc.")
    print(f"grad/fwd: reverse-mode gradient of a {grad_steps}-step rollout w.r.t. the controls / the forward rollout, "
          f"measured at batch <= {GRAD_MAX_BATCH} only (nan above).")
    print()
    print("where the time goes at mu_sc = 1e-8 (per environment step, amortized over the batch):")
    head = (f"{'model':<12}{'batch':>6}{'nv':>4}{'pairs':>7}{'dense rows':>12}{'schur rows':>12}{'blocks':>14}"
            f"{'step ms':>10}{'MJX terms ms':>14}{'solve share':>13}{'iters mean':>12}{'iters max':>11}")
    print(head)
    print("-" * len(head))
    for name, batch, nv, problem, step_ms, terms_ms, mark, it_mean, it_max in where:
        rows = problem.n_y + problem.n_c
        blocks = " ".join(f"{len(c)}x{c.shape[1]}" for c in problem.structure.size_classes())
        print(f"{name:<12}{batch:>6}{nv:>4}{problem.cone.n_pairs:>7}{rows:>12}{problem.n_y:>12}{blocks:>14}"
              f"{step_ms:>10.3f}{terms_ms:>13.3f}{mark or ' '}{max(0.0, 1 - terms_ms / step_ms):>13.0%}"
              f"{it_mean:>12.1f}{it_max:>11}")
    print("dense rows: the reduced Newton system (v+ and the pairs' multipliers, slacks eliminated) the dense "
          "reference LU-factors; schur rows: the Schur complement the default solver factors instead, after one "
          "small LU per group (blocks: groups x entries); solve share = 1 - MJX terms / step.")
