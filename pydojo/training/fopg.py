"""Model-based first-order policy gradient: the barrier-smoothing paper's Algorithm 1, with its baselines.

Per iteration n (``run``):
  4. execute π_θn (Gaussian exploration) on the true system (the engine at μ_sc → 0 with ψ*) and
     add the transitions to D (done first, so the first model fit has data);
  2. every ``fit_every`` iterations fit ψ on D by random search on eq. (4.1) (or gradient descent);
  3. update θ by eq. (4.3) with the estimator's ascent direction (optax sgd/adam): first-order
     estimators (fopg, rs) differentiate through the model f_ψ with the configured smoothing
     schedule; model-free ones (lr, ars) roll out on the true system and their steps are counted.
Evaluation runs the deterministic policy on the true system. Every ``checkpoint_every`` iterations the
whole trainer state (policy, optimizer, ψ, D, counters) is saved; a restarted run resumes from the
latest checkpoint and, since every iteration's randomness is ``fold_in(seed key, n)``, ends exactly
where an uninterrupted run would.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import pathlib
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from pydojo.policies import Normalizer, trainable_filter
from pydojo.training import loggers, records
from pydojo.training.buffer import Buffer
from pydojo.training.config import RunSpec, build_run
from pydojo.training.gradient_log import gradient_terms
from pydojo.training.compiled import committed, committed_jit, enable_compilation_cache
from pydojo.training.model_fit import fit_psi, model_env
from pydojo.training.tasks import as_env_state, stop_on_failure, with_schedule


def collect(policy, env, key, noise_scale, *, episodes: int, length: int):
    """``episodes`` rollouts of ``length`` steps from env.reset on ``env`` (exploration noise × noise_scale).

    Returns (states, actions, next_states, rewards, alive), each with leading axes (episodes, length)."""

    def episode(k):
        k_reset, k_noise, k_step = jax.random.split(k, 3)
        noise = policy.sample_noise(k_noise, (length,))

        def body(carry, xs):
            state, alive = carry
            eps, sk = xs
            u = policy.act(state.obs, noise_scale * eps)
            nxt = env.step(state, u, sk)
            valid = alive * (1.0 - nxt.info.get("solve_failed", 0.0))  # transitions kept for D
            return (nxt, alive * (1.0 - nxt.done)), (state.physics, u, nxt.physics, alive * nxt.reward, valid)

        start = (env.reset(k_reset), jnp.ones(()))
        return jax.lax.scan(body, start, (noise, jax.random.split(k_step, length)))[1]

    return jax.vmap(episode)(jax.random.split(key, episodes))


def make_optimizer(settings) -> optax.GradientTransformation:
    base = getattr(optax, settings.optimizer)(settings.learning_rate)
    if settings.max_grad_norm is None:
        return base
    return optax.chain(optax.clip_by_global_norm(settings.max_grad_norm), base)


class TrainerState(eqx.Module):
    policy: object
    opt_state: object
    psi: jax.Array
    buffer: Buffer
    iteration: jax.Array  # iterations completed
    env_steps: jax.Array
    wall_time: jax.Array


def initial_state(run: RunSpec, optimizer) -> TrainerState:
    s = run.settings
    psi = s.model.init_scale * run.spec.read(run.true_env.system.params) if run.spec.entries else jnp.zeros(0)
    physics = run.true_env.reset(jax.random.PRNGKey(0)).physics
    buffer = Buffer.empty(physics, run.true_env.action_size, s.buffer_size)
    params = eqx.filter(run.policy, trainable_filter(run.policy))
    zero = jnp.zeros(())
    return TrainerState(run.policy, optimizer.init(params), psi, buffer, jnp.zeros((), jnp.int32), zero, zero)


def fit_model(run: RunSpec, state: TrainerState, key) -> tuple[jax.Array, jax.Array]:
    """Step 2 of Algorithm 1: ψ by minimising eq. (4.1) on ``transitions`` samples of D."""
    data = committed(state.buffer.sample(key, run.settings.model.transitions))
    return fit_psi(committed(run.true_env), run.spec, committed(state.psi), data, jax.random.fold_in(key, 1),
                   run.settings.model)


@eqx.filter_jit
def observation_normalizer(env, states, count) -> Normalizer:
    """``Normalizer.from_data`` of the first ``count`` stored states' observations (a mask, not a slice,
    so the growing data set does not change shapes)."""
    obs = jax.vmap(env.observe)(states)
    mask = (jnp.arange(obs.shape[0]) < count)[:, None]
    n = jnp.maximum(count, 1)
    mean = jnp.sum(jnp.where(mask, obs, 0.0), axis=0) / n
    std = jnp.sqrt(jnp.sum(jnp.where(mask, (obs - mean) ** 2, 0.0), axis=0) / n)
    return Normalizer(mean, jnp.maximum(std, 1e-2))


def smoothed_model(run: RunSpec, psi: jax.Array):
    """f_ψ of Algorithm 1: the engine with the fitted ψ and the configured μ schedule (systems without a
    contact solve are their own model), and the smooth healthy bonus if ``fopg.model.healthy_softness`` > 0."""
    model = model_env(run.true_env, run.spec, psi)
    if run.settings.model.healthy_softness > 0:
        model = dataclasses.replace(model, healthy_softness=run.settings.model.healthy_softness)
    return with_schedule(model, run.schedule) if hasattr(model, "schedule") else model


# Module-level jitted functions: every run of a process (Hydra multirun jobs, seeds in one process) shares
# their traces and compilations (``pydojo.training.compiled``).
def estimate_gradient(estimator, policy, env, starts, key):
    return estimator.estimate(policy, env, starts, key)


def reset_starts(env, key, batch: int):
    return jax.vmap(env.reset)(jax.random.split(key, batch))


def data_starts(env, physics):
    return jax.vmap(lambda p: as_env_state(env, p))(physics)


_collect, _estimate = committed_jit(collect), committed_jit(estimate_gradient)
_reset_starts, _data_starts = committed_jit(reset_starts), committed_jit(data_starts)



def over_budget(settings, env_steps: float, wall_time: float) -> str:
    """Which budget (``fopg.max_env_steps``, ``fopg.max_wall_time``) the run has reached, or ""."""
    if settings.max_env_steps is not None and env_steps >= settings.max_env_steps:
        return f"{env_steps:.0f} env steps reached fopg.max_env_steps={settings.max_env_steps:g}"
    if settings.max_wall_time is not None and wall_time >= settings.max_wall_time:
        return f"{wall_time:.1f} s of wall_time reached fopg.max_wall_time={settings.max_wall_time:g}"
    return ""


def run(cfg, run_dir) -> dict:
    """Hydra trainer entry (``trainer: pydojo.training.fopg.run``): train, log, checkpoint, plot."""
    enable_compilation_cache()
    spec = build_run(cfg)  # every config error surfaces here, before any work
    return train(spec, pathlib.Path(run_dir), seed=int(cfg.get("seed", 0)), title=str(cfg.get("name", spec.env_name)),
                 logger_cfg=cfg.get("logger"), params=loggers.config_params(cfg))


def train(run: RunSpec, run_dir: pathlib.Path, seed: int = 0, title: str = "", logger_cfg=None,
          params: dict | None = None) -> dict:
    """Algorithm 1 for ``run``, recorded in ``run_dir`` (resumed if it holds a checkpoint); ``logger_cfg`` is
    the ``logger`` group (extra metric sinks), ``params`` what they record as the run's parameters."""
    s, est, true_env = run.settings, run.estimator, run.true_env
    safe_true_env = stop_on_failure(true_env)
    optimizer = make_optimizer(s)
    state = initial_state(run, optimizer)
    log, state, _ = records.open_run(run_dir, state, lambda t: t.iteration, logger_cfg, params, title)
    try:
        state = committed(state)
        root = jax.random.PRNGKey(seed)
        filt = trainable_filter(run.policy)
        # episodes/length are static: equal counts share one compilation
        collect_fn = functools.partial(_collect, episodes=s.episodes_per_iteration, length=s.episode_length)
        eval_fn = functools.partial(_collect, episodes=s.eval_episodes, length=s.episode_length)

        @committed_jit
        def apply_update(policy, opt_state, grad):
            params = eqx.filter(policy, filt)
            updates, opt_state = optimizer.update(jax.tree_util.tree_map(jnp.negative, grad), opt_state, params)
            return eqx.apply_updates(policy, updates), opt_state

        start_iter, last = int(state.iteration), {}
        bar = records.progress(range(start_iter, s.iterations), total=s.iterations, initial=start_iter, desc=title)
        for n in bar:
            if over_budget(s, float(state.env_steps), float(state.wall_time)):  # a resumed run already at its budget
                break
            tic = time.perf_counter()
            k_collect, k_fit, k_est, k_eval, k_start = jax.random.split(jax.random.fold_in(root, n), 5)
            policy = state.policy
            states, actions, next_states, rewards, alive = collect_fn(policy, safe_true_env, k_collect, jnp.ones(()))
            if not bool(jnp.all(jnp.isfinite(rewards))):
                raise FloatingPointError(f"iteration {n}: the true system returned non-finite rewards (a runtime check "
                                         "failed; rerun with EQX_ON_ERROR=raise for its message)")
            buffer = state.buffer.add(states, actions, next_states, alive)
            env_steps = state.env_steps + jnp.sum(alive)
            if s.normalize_observations:
                normalizer = observation_normalizer(*committed((true_env, buffer.states, buffer.count)))
                policy = eqx.tree_at(lambda p: p.normalizer, policy, normalizer)
            psi, fit_row = state.psi, {}
            if run.spec.entries and n % s.model.fit_every == 0:
                psi, model_loss = fit_model(run, eqx.tree_at(lambda t: t.buffer, state, buffer), k_fit)
                fit_row = {"model_loss": model_loss}  # logged on fitting iterations only
            model = safe_true_env if est.model_free else stop_on_failure(smoothed_model(run, psi))
            opt_state, info, grad_norm = state.opt_state, {}, 0.0
            for j in range(s.updates_per_iteration):
                k_j, k_s = jax.random.split(jax.random.fold_in(k_est, j))
                if s.starts == "data":
                    starts = _data_starts(model, buffer.sample(jax.random.fold_in(k_start, j), est.batch)[2])
                else:
                    starts = _reset_starts(model, k_s, est.batch)
                grad, info = _estimate(est, policy, model, starts, k_j)
                grad_norm = optax.tree.norm(grad)
                if not bool(jnp.isfinite(grad_norm)):  # a diverged model unroll: skip this update, keep going
                    logging.getLogger(__name__).warning(
                        "iteration %d, update %d: non-finite policy gradient from the model unroll; update skipped "
                        "(grad_norm is logged as NaN)", n, j)
                    grad = jax.tree_util.tree_map(jnp.zeros_like, grad)
                policy, opt_state = apply_update(policy, opt_state, grad)
                if est.model_free:
                    env_steps = env_steps + info["model_steps"]
            row = dict(iteration=n, env_steps=env_steps, train_return=jnp.mean(jnp.sum(rewards, axis=1)),
                       model_return=info.get("model_return"), grad_norm=grad_norm, **fit_row,
                       **{f"psi_{i}": v for i, v in enumerate(psi)})
            stop = over_budget(s, float(env_steps), float(state.wall_time + time.perf_counter() - tic))
            diagnose_time = 0.0
            if (s.diagnose.due(n, s.iterations) or (stop and s.diagnose.every > 0)) and not est.model_free:
                t_diagnose = time.perf_counter()  # not counted in wall_time
                row.update(gradient_terms(_estimate, _data_starts, est, policy, model, safe_true_env, buffer,
                                          jax.random.fold_in(k_eval, 1), s.diagnose))
                diagnose_time = time.perf_counter() - t_diagnose
                row["diagnose_time"] = diagnose_time
            if n % s.eval_every == 0 or n == s.iterations - 1 or stop:
                row["eval_return"] = jnp.mean(jnp.sum(eval_fn(policy, safe_true_env, k_eval, jnp.zeros(()))[3], axis=1))
            wall = state.wall_time + (time.perf_counter() - tic - diagnose_time)
            row["wall_time"] = wall
            state = TrainerState(policy, opt_state, psi, buffer, jnp.asarray(n + 1, jnp.int32), env_steps, wall)
            log.write(**row)
            last = row
            bar.set_postfix(ret=float(row["train_return"]))
            if (n + 1) % s.checkpoint_every == 0 or n == s.iterations - 1 or stop:
                records.save_checkpoint(run_dir, n + 1, state)
            if stop:
                logging.getLogger(__name__).info("iteration %d: %s; training stops", n, stop)
                break
    except BaseException:  # a failed run still closes its sinks (MLflow: FAILED)
        log.close(failed=True)
        raise
    log.close()
    figure = records.plot_learning_curve(log.read(), run_dir / "figures" / "learning_curve.png", "eval_return", title)
    final = {k: float(v) for k, v in last.items() if v is not None} if last else {}
    final.update(figure=str(figure), metrics=str(log.path))
    print(f"metrics: {log.path}\nfigure:  {figure}")
    return final
