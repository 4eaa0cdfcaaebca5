"""Trainer of optimization-based policies: ``run(cfg, run_dir) -> dict`` for ``pydojo.train``.

``diffop.method`` picks how θ = (θ_c, θ_H, θ_f) of the policy problem is learned:
- ``diffop`` (seed Algorithm 1): N exploratory episodes (eq. 4), the implicit policy gradient
  (eq. 8 with IDOC's Proposition 1);
- ``rlmpc_td`` / ``rlmpc_dpg``: the RL-MPC baselines (pydojo.estimators.rlmpc), N exploring episodes;
- ``pdp``: PDP offline, imitation of the true problem's demonstrations (pydojo.estimators.pdp).

Per iteration: the method's direction, one optimizer step on θ, then the projection
θ ≥ theta_floor (masses, lengths and weights stay positive). Failed solves are counted in the
metrics (``failed_solves``, ``eval_failed_solves``); an iteration with a failed solve does not
update θ but returns it to the previous iterate. Every ``eval_every`` iterations
the deterministic policy's control cost from each of the task's initial states is logged.
``episodes`` counts the true-system episodes used so far
(0 for PDP). Records: metrics.jsonl, theta.json (initial and final θ), checkpoints/ (exact resume: θ, optimizer state, RNG key,
iteration), figures/learning_curve.png.
"""
from __future__ import annotations

import json
import pathlib
import sys
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from omegaconf import DictConfig, OmegaConf

from pydojo import envs
from pydojo.estimators.diffop import DiffOPEstimator
from pydojo.estimators.pdp import PDPImitation, demonstrations
from pydojo.estimators.rlmpc import RLMPCDPG, RLMPCTD
from pydojo.ocp import SOLVERS, IDOCOptions, make_solver
from pydojo.ocp.values import mpc_values
from pydojo.options import checked_options
from pydojo.policies.ocp import MODES, OCPPolicy
from pydojo.training import loggers, records
from pydojo.training.compiled import enable_compilation_cache

OPTIMIZERS = ("sgd", "adam")
METHODS = ("diffop", "rlmpc_td", "rlmpc_dpg", "pdp")
_LOOP = {"method", "mode", "iterations", "optimizer", "learning_rate", "max_grad_norm", "theta_perturbation", "theta_floor",
         "eval_every", "checkpoint_every"}
# the keys of each method (all required, no others allowed) and the policy mode it runs in (None: either)
_METHOD_KEYS = {
    "diffop": ({"num_trajectories", "sigma", "beta", "baseline", "antithetic"}, None),
    "rlmpc_td": ({"num_trajectories", "sigma", "discount"}, "step"),
    "rlmpc_dpg": ({"num_trajectories", "sigma", "discount", "ridge"}, "step"),
    "pdp": (set(), "traj"),
}
_OCP_KEYS = {"solver", "step_horizon", "constrained", "throw", "ipm", "ipopt", "idoc"}


def validate(cfg: DictConfig) -> dict:
    """Plain-dict config, checked before any work: unknown keys and values raise ValueError."""
    c = OmegaConf.to_container(cfg, resolve=True)
    for group in ("env", "ocp", "diffop"):
        if not isinstance(c.get(group), dict):
            raise ValueError(f"diffop trainer: config group {group!r} is missing; use experiment=diffop_<task>")
    c["diffop"].setdefault("method", "diffop")  # configs written before the baselines existed
    d = c["diffop"]
    if d["method"] not in METHODS:
        raise ValueError(f"diffop trainer: diffop.method={d['method']!r} is not one of {METHODS}")
    method_keys, mode = _METHOD_KEYS[d["method"]]
    for group, allowed in (("ocp", _OCP_KEYS), ("diffop", _LOOP | method_keys)):
        unknown = sorted(set(c[group]) - allowed)
        if unknown:
            raise ValueError(f"diffop trainer: unknown key(s) {unknown} in {group} (method {d['method']}); allowed: {sorted(allowed)}")
    missing = sorted((_LOOP | method_keys) - set(d))
    if missing:
        raise ValueError(f"diffop trainer: diffop.method={d['method']} needs key(s) {missing}")
    choices = [("ocp.solver", c["ocp"]["solver"], SOLVERS), ("diffop.mode", d["mode"], MODES),
               ("diffop.optimizer", d["optimizer"], OPTIMIZERS)]
    for name, value, allowed in choices:
        if value not in allowed:
            raise ValueError(f"diffop trainer: {name}={value!r} is not one of {allowed}")
    if mode is not None and d["mode"] != mode:
        raise ValueError(f"diffop trainer: diffop.method={d['method']} runs in mode {mode!r}, got diffop.mode={d['mode']!r}")
    if "name" not in c["env"]:
        raise ValueError("diffop trainer: env.name is required")
    for key in ("iterations", "eval_every", "checkpoint_every") + (("num_trajectories",) if "num_trajectories" in d else ()):
        if not (isinstance(d[key], int) and not isinstance(d[key], bool) and d[key] >= 1):
            raise ValueError(f"diffop trainer: diffop.{key} must be an integer >= 1, got {d[key]!r}")
    for key, low, strict in (("learning_rate", 0, True), ("sigma", 0, True), ("max_grad_norm", 0, True),
                             ("theta_perturbation", 0, False), ("discount", 0, True), ("ridge", 0, False)):
        if key not in d:
            continue
        value = d[key]
        if value is None and key == "max_grad_norm":
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not (value > low if strict else value >= low):
            raise ValueError(f"diffop trainer: diffop.{key} must be a number {'>' if strict else '>='} {low}, got {value!r}")
    if d.get("discount", 1.0) > 1:
        raise ValueError(f"diffop trainer: diffop.discount must be in (0, 1], got {d['discount']}")
    return c


def label(d: dict) -> str:
    """The method's name in logs and figures."""
    return {"diffop": f"DiffOP ({d['mode']})", "rlmpc_td": "RLMPC-TD", "rlmpc_dpg": "RLMPC-DPG", "pdp": "PDP (offline)"}[d["method"]]


def build(c: dict):
    """(env, policy, estimator, values) from a validated config; ``values`` (V_θ, Q_θ of the policy
    problem) is None except for the RL-MPC methods."""
    env_cfg = dict(c["env"])
    name = env_cfg.pop("name")
    env = envs.make(name, **env_cfg)
    o, d = c["ocp"], c["diffop"]
    needs = {"pdp": ("true_theta", "demonstration_states"), "rlmpc_td": ("td_cost_scale",), "rlmpc_dpg": ("critic_state",)}
    missing = [a for a in needs.get(d["method"], ()) if not hasattr(env, a)]
    if missing:
        raise ValueError(f"diffop trainer: diffop.method={d['method']} needs the environment's {missing}, which {name} does not have; "
                         "it runs on cartpole, arm, quadrotor and voltage13")
    horizon = o["step_horizon"] if d["mode"] == "step" else env.episode_length
    ocp = env.diffop_ocp(horizon, constrained=o["constrained"])
    solver = make_solver(ocp, o["solver"], o[o["solver"]])
    idoc = IDOCOptions(**checked_options(IDOCOptions, o["idoc"], "ocp.idoc"))
    policy = OCPPolicy(ocp, solver, d["mode"], idoc, throw=o["throw"])
    values = None
    if d["method"] == "diffop":
        estimator = DiffOPEstimator(d["sigma"], d["beta"], d["num_trajectories"], d["baseline"], d["antithetic"])
    elif d["method"] == "pdp":
        estimator = PDPImitation(demonstrations(policy, env.true_theta(), env.demonstration_states))
    else:
        values = mpc_values(ocp, lambda p: make_solver(p, o["solver"], o[o["solver"]]), idoc)
        if d["method"] == "rlmpc_td":
            estimator = RLMPCTD(d["sigma"], d["num_trajectories"], d["discount"], cost_scale=env.td_cost_scale)
        else:
            estimator = RLMPCDPG(d["sigma"], d["num_trajectories"], d["discount"], ridge=d["ridge"])
    return env, policy, estimator, values


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
    env, policy, estimator, values = build(c)
    d = c["diffop"]
    optimizer = _optimizer(d)

    @jax.jit
    def train_step(state):
        """One step of Algorithm 1. If any solve of the N episodes failed, the gradient is not used
        and θ returns to the previous iterate (the update that led here is undone)."""
        key, k = jax.random.split(state["key"])
        if d["method"] == "diffop":
            (grad, costs, failed), metrics = estimator.estimate(policy, env, state["theta"], k), {}
        else:
            grad, costs, failed, metrics = estimator.estimate(values, policy, env, state["theta"], k)
        ok = failed == 0
        safe_grad = jax.tree_util.tree_map(lambda v: jnp.where(ok, v, 0.0), grad)
        updates, opt_state = optimizer.update(safe_grad, state["opt_state"], state["theta"])
        theta = optax.apply_updates(state["theta"], updates)
        theta = jax.tree_util.tree_map(lambda v: jnp.maximum(v, d["theta_floor"]), theta)
        pick = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), new, old)  # noqa: E731
        next_state = {"theta": pick(theta, state["previous_theta"]), "previous_theta": pick(state["theta"], state["previous_theta"]),
                      "opt_state": pick(opt_state, state["opt_state"]), "key": key, "iteration": state["iteration"] + 1}
        return next_state, costs, optax.tree.norm(safe_grad), failed, metrics

    # every method is judged the same way: the deterministic policy's true-system control cost
    evaluate = jax.jit(lambda theta: DiffOPEstimator().evaluate(policy, env, theta))
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
                                         f"{label(d)} {c['env']['name']}")
    try:
        true_cost = float(jnp.mean(evaluate(env.true_theta())[0]))
        for it in records.progress(range(start, d["iterations"]), total=d["iterations"], initial=start,
                                   desc=f"{label(d)} {c['env']['name']}"):
            row = {"iteration": it}
            if it % d["eval_every"] == 0:
                row.update(_evaluation(evaluate, state["theta"]))
            if it == 0:
                row["true_theta_cost"] = true_cost  # reference: the policy with θ = θ_true (Traj mode: the true optimum)
            state, costs, grad_norm, failed, metrics = train_step(state)
            if d["method"] != "pdp":  # PDP's "costs" are its imitation losses (in metrics)
                row["train_cost"] = float(jnp.mean(costs))
            row.update(grad_norm=float(grad_norm), failed_solves=int(failed), episodes=(it + 1) * estimator.episodes_per_iteration,
                       **{k: float(v) for k, v in metrics.items()})
            parts = ([f"{int(failed)} failed solve(s) in training (update rejected)"] if int(failed) else []) + (
                [f"{row['eval_failed_solves']} in the evaluation (eval_cost NaN)"] if row.get("eval_failed_solves") else [])
            if parts:
                print(f"{label(d)} {c['env']['name']} iteration {it}: " + ", ".join(parts), file=sys.stderr)
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
                                f"{label(d)} {c['env']['name']}")
    print(f"metrics: {log.path}\nfigure:  {run_dir / 'figures' / 'learning_curve.png'}")
    initial = next(r["eval_cost"] for r in rows if "eval_cost" in r)
    theta = {k: np.asarray(v).tolist() for k, v in zip(("c", "H", "f"), (state["theta"].c, state["theta"].H, state["theta"].f))}
    initial_theta = env.perturbed_theta(k_theta, d["theta_perturbation"])
    (run_dir / "theta.json").write_text(json.dumps({  # the learned and the initial θ, for evaluations after training
        "final": theta, "initial": {k: np.asarray(getattr(initial_theta, k)).tolist() for k in ("c", "H", "f")}}, indent=1))
    return {"initial_cost": initial, "final_cost": final, "true_theta_cost": true_cost, "theta": theta}
