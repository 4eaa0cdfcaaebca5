"""DiffOP trainer (seed Algorithm 1): ``run(cfg, run_dir) -> dict`` for ``pydojo.train``.

Per iteration: N exploratory episodes (eq. 4), the implicit policy gradient (eq. 8 with
IDOC's Proposition 1), one optimizer step on θ = (θ_c, θ_H, θ_f), then the projection
θ ≥ theta_floor (masses, lengths and weights stay positive). Failed solves are counted in the
metrics (``failed_solves``, ``eval_failed_solves``); an iteration with a failed solve does not
update θ but returns it to the previous iterate. Every ``eval_every`` iterations
the deterministic policy's control cost from each of the task's initial states is logged.
Records: metrics.jsonl, checkpoints/ (exact resume: θ, optimizer state, RNG key,
iteration), figures/learning_curve.png.
"""
from __future__ import annotations

import json
import pathlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from omegaconf import DictConfig, OmegaConf

from pydojo import envs
from pydojo.estimators.diffop import DiffOPEstimator
from pydojo.ocp import SOLVERS, IDOCOptions, make_solver
from pydojo.options import checked_options
from pydojo.policies.ocp import MODES, OCPPolicy
from pydojo.training import loggers, records
from pydojo.training.compiled import enable_compilation_cache

OPTIMIZERS = ("sgd", "adam")
_KEYS = {
    "ocp": {"solver", "step_horizon", "constrained", "throw", "ipm", "ipopt", "idoc"},
    "diffop": {"mode", "iterations", "num_trajectories", "sigma", "beta", "baseline", "antithetic", "optimizer", "learning_rate",
               "max_grad_norm", "theta_perturbation", "theta_floor", "eval_every", "checkpoint_every"},
}


def validate(cfg: DictConfig) -> dict:
    """Plain-dict config, checked before any work: unknown keys and values raise ValueError."""
    c = OmegaConf.to_container(cfg, resolve=True)
    for group in ("env", "ocp", "diffop"):
        if not isinstance(c.get(group), dict):
            raise ValueError(f"diffop trainer: config group {group!r} is missing; use experiment=diffop_<task>")
    for group, allowed in _KEYS.items():
        unknown = sorted(set(c[group]) - allowed)
        if unknown:
            raise ValueError(f"diffop trainer: unknown key(s) {unknown} in {group}; allowed: {sorted(allowed)}")
    choices = [("ocp.solver", c["ocp"]["solver"], SOLVERS), ("diffop.mode", c["diffop"]["mode"], MODES),
               ("diffop.optimizer", c["diffop"]["optimizer"], OPTIMIZERS)]
    for name, value, allowed in choices:
        if value not in allowed:
            raise ValueError(f"diffop trainer: {name}={value!r} is not one of {allowed}")
    if "name" not in c["env"]:
        raise ValueError("diffop trainer: env.name is required")
    d = c["diffop"]
    for key in ("iterations", "eval_every", "checkpoint_every", "num_trajectories"):
        if not (isinstance(d[key], int) and not isinstance(d[key], bool) and d[key] >= 1):
            raise ValueError(f"diffop trainer: diffop.{key} must be an integer >= 1, got {d[key]!r}")
    for key, low, strict in (("learning_rate", 0, True), ("sigma", 0, True), ("max_grad_norm", 0, True),
                             ("theta_perturbation", 0, False)):
        value = d[key]
        if value is None and key == "max_grad_norm":
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not (value > low if strict else value >= low):
            raise ValueError(f"diffop trainer: diffop.{key} must be a number {'>' if strict else '>='} {low}, got {value!r}")
    return c


def build(c: dict):
    """(env, policy, estimator) from a validated config."""
    env_cfg = dict(c["env"])
    env = envs.make(env_cfg.pop("name"), **env_cfg)
    o, d = c["ocp"], c["diffop"]
    horizon = o["step_horizon"] if d["mode"] == "step" else env.episode_length
    ocp = env.diffop_ocp(horizon, constrained=o["constrained"])
    solver = make_solver(ocp, o["solver"], o[o["solver"]])
    policy = OCPPolicy(ocp, solver, d["mode"], IDOCOptions(**checked_options(IDOCOptions, o["idoc"], "ocp.idoc")), throw=o["throw"])
    estimator = DiffOPEstimator(d["sigma"], d["beta"], d["num_trajectories"], d["baseline"], d["antithetic"])
    return env, policy, estimator


def _optimizer(d: dict) -> optax.GradientTransformation:
    base = optax.sgd(d["learning_rate"]) if d["optimizer"] == "sgd" else optax.adam(d["learning_rate"])
    return base if d["max_grad_norm"] is None else optax.chain(optax.clip_by_global_norm(d["max_grad_norm"]), base)


_COMPILED: dict[str, tuple] = {}


def compiled(c: dict):
    """(env, policy, estimator, optimizer, train_step, evaluate) for a validated config, built and
    jitted once per process for configs that differ only in seed and loop lengths (seed sweeps
    and resumed runs reuse the compiled functions)."""
    loop_only = ("iterations", "eval_every", "checkpoint_every")
    traced = {**c, "seed": None, "diffop": {k: v for k, v in c["diffop"].items() if k not in loop_only}}
    key = json.dumps(traced, sort_keys=True, default=str)
    if key in _COMPILED:
        return _COMPILED[key]
    env, policy, estimator = build(c)
    d = c["diffop"]
    optimizer = _optimizer(d)

    @jax.jit
    def train_step(state):
        """One step of Algorithm 1. If any solve of the N episodes failed, the gradient is not used
        and θ returns to the previous iterate (the update that led here is undone)."""
        key, k = jax.random.split(state["key"])
        grad, costs, failed = estimator.estimate(policy, env, state["theta"], k)
        ok = failed == 0
        safe_grad = jax.tree_util.tree_map(lambda v: jnp.where(ok, v, 0.0), grad)
        updates, opt_state = optimizer.update(safe_grad, state["opt_state"], state["theta"])
        theta = optax.apply_updates(state["theta"], updates)
        theta = jax.tree_util.tree_map(lambda v: jnp.maximum(v, d["theta_floor"]), theta)
        pick = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), new, old)  # noqa: E731
        next_state = {"theta": pick(theta, state["previous_theta"]), "previous_theta": pick(state["theta"], state["previous_theta"]),
                      "opt_state": pick(opt_state, state["opt_state"]), "key": key, "iteration": state["iteration"] + 1}
        return next_state, costs, optax.tree.norm(safe_grad), failed

    evaluate = jax.jit(lambda theta: estimator.evaluate(policy, env, theta))
    _COMPILED[key] = (env, policy, estimator, optimizer, train_step, evaluate)
    return _COMPILED[key]


def _evaluation(evaluate, theta) -> dict:
    """eval_cost (mean over the task's initial states) and the number of failed solves; a failed
    solve makes eval_cost NaN (the policy is undefined there), never a silently wrong number."""
    costs, failed = evaluate(theta)
    return {"eval_cost": float(jnp.mean(costs)) if int(failed) == 0 else float("nan"), "eval_failed_solves": int(failed)}


# the control tasks run on the JAX OCP solver; the backend group selects a contact simulator (pydojo.train.run)
BACKENDS = ("jax",)


def run(cfg: DictConfig, run_dir) -> dict[str, Any]:
    c = validate(cfg)
    enable_compilation_cache()  # PYDOJO_JAX_CACHE=<folder>: seeds in separate processes compile once
    run_dir = pathlib.Path(run_dir)
    env, policy, estimator, optimizer, train_step, evaluate = compiled(c)
    d = c["diffop"]
    key, k_theta = jax.random.split(jax.random.PRNGKey(int(c.get("seed", 0))))
    theta = env.perturbed_theta(k_theta, d["theta_perturbation"])
    state = {"theta": theta, "previous_theta": theta, "opt_state": optimizer.init(theta), "key": key, "iteration": jnp.asarray(0)}
    log, state, start = records.open_run(run_dir, state, lambda t: t["iteration"],  # exact resume
                                         cfg.get("logger"), loggers.config_params(cfg),
                                         f"diffop {c['env']['name']} {d['mode']}")
    try:
        true_cost = float(jnp.mean(evaluate(env.true_theta())[0]))
        for it in records.progress(range(start, d["iterations"]), total=d["iterations"], initial=start,
                                   desc=f"diffop {c['env']['name']} {d['mode']}"):
            row = {"iteration": it}
            if it % d["eval_every"] == 0:
                row.update(_evaluation(evaluate, state["theta"]))
            if it == 0:
                row["true_theta_cost"] = true_cost  # reference: the policy with θ = θ_true (Traj mode: the true optimum)
            state, costs, grad_norm, failed = train_step(state)
            row.update(train_cost=float(jnp.mean(costs)), grad_norm=float(grad_norm), failed_solves=int(failed))
            log.write(**row)
            if (it + 1) % d["checkpoint_every"] == 0 or it + 1 == d["iterations"]:
                records.save_checkpoint(run_dir, it + 1, state)
        last = _evaluation(evaluate, state["theta"])
        final = last["eval_cost"]
        log.write(iteration=d["iterations"], **last)
    except BaseException:  # a failed run still closes its sinks (MLflow: FAILED)
        log.close(failed=True)
        raise
    log.close()
    rows = log.read()
    records.plot_learning_curve(rows, run_dir / "figures" / "learning_curve.png", "eval_cost",
                                f"DiffOP ({d['mode']}) {c['env']['name']}")
    print(f"metrics: {log.path}\nfigure:  {run_dir / 'figures' / 'learning_curve.png'}")
    initial = next(r["eval_cost"] for r in rows if "eval_cost" in r)
    theta = {k: np.asarray(v).tolist() for k, v in zip(("c", "H", "f"), (state["theta"].c, state["theta"].H, state["theta"].f))}
    return {"initial_cost": initial, "final_cost": final, "true_theta_cost": true_cost, "theta": theta}
