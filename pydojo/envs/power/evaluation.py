"""TASRL's evaluation of a voltage controller (../shared/reference/voltage.md): scenarios 0–499, 100 steps,
the evaluation limits; transient cost = mean over scenarios of Σ_{t=1}^{100} 0.99ᵗ F(q_t), steady-state cost
= mean F(q_100). Batched over scenarios in one jitted program.

``safe_gradient_flow(alpha)`` is the non-learned reference: u = −α(Cq + v² − 1) (the gradient of F under the
linear model v² = Xq + v₀²), projected on the q box by the environment's clip.
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from pydojo.envs.power.voltage import COST_WEIGHTS, EVALUATION_SEEDS, make_voltage13, split_state

STEPS, DISCOUNT = 100, 0.99


def safe_gradient_flow(alpha: float = 1.0) -> Callable:
    """The reference controller as ``policy(x) -> u`` on the state vector."""
    if not alpha > 0:
        raise ValueError(f"safe_gradient_flow: alpha must be > 0, got {alpha!r}")
    c = jnp.asarray(COST_WEIGHTS)

    def policy(x):
        v2, q, _, _ = split_state(x)
        return -alpha * (c * q + v2 - 1.0)

    return policy


def evaluation_env(num_seeds: int = len(EVALUATION_SEEDS)):
    """The evaluation environment: seeds 0..num_seeds−1, 100 steps, the evaluation limits."""
    if not (isinstance(num_seeds, int) and 1 <= num_seeds <= len(EVALUATION_SEEDS)):
        raise ValueError(f"voltage13 evaluation: num_seeds must be an integer in [1, {len(EVALUATION_SEEDS)}], got {num_seeds!r}")
    return make_voltage13(episode_length=STEPS, limits="evaluation", num_scenarios=num_seeds)


def rollouts(env, policy: Callable):
    """States (n, 101, 21), per-step costs F (n, 100) and flow convergence of ``policy`` from every scenario of ``env``."""
    def episode(p):
        s = env.reset_to(p)

        def body(s, _):
            s = env.step(s, policy(s.physics))
            return s, (s.physics, -s.reward, s.info["flow_converged"])

        _, (xs, F, ok) = jax.lax.scan(body, s, None, length=env.episode_length)
        return jnp.concatenate([s.physics[None], xs]), F, ok

    return jax.jit(jax.vmap(episode))(env.scenarios)


def ocp_policy_rollouts(env, policy, thetas, chunk: int = 100):
    """``rollouts`` for an OCPPolicy (pydojo.policies.ocp) under each θ of the list ``thetas`` (one compilation
    for all): Step re-plans every step, Traj plans H steps and runs them open loop, re-planning every H steps
    (the last plan is cut at the episode's end). Every plan starts cold: eq. (11) is a convex QP, so a warm start
    changes the iterations, not the solution, and under ``vmap`` its fallback would run both solves. Scenarios
    run ``chunk`` at a time in one vmap. Returns, with a leading axis over ``thetas``, (states, F, flow
    converged, failed solves per scenario)."""
    h, T = policy.actions_per_solve, env.episode_length
    segments = -(-T // h)

    def episode(p, theta):
        s0 = env.reset_to(p)

        def segment(s, _):
            sol = policy.plan(theta, s.physics)

            def act(s, u):
                s = env.step(s, u)
                return s, (s.physics, -s.reward, s.info["flow_converged"])

            s, out = jax.lax.scan(act, s, sol.us[:h])
            return s, (out, sol.result != 0)

        _, ((xs, F, ok), failed) = jax.lax.scan(segment, s0, None, length=segments)
        xs, F, ok = (a.reshape(segments * h, *a.shape[2:])[:T] for a in (xs, F, ok))
        return jnp.concatenate([s0.physics[None], xs]), F, ok, jnp.sum(failed)

    n = env.scenarios.shape[0]
    chunk = min(chunk, n)
    padded = jnp.concatenate([env.scenarios, jnp.repeat(env.scenarios[-1:], -n % chunk, axis=0)]).reshape(-1, chunk, env.scenarios.shape[1])
    stacked = jax.tree_util.tree_map(lambda *v: jnp.stack(v), *thetas)

    def one_theta(th):
        out = jax.lax.map(jax.vmap(lambda p: episode(p, th)), padded)
        return jax.tree_util.tree_map(lambda a: a.reshape(-1, *a.shape[2:])[:n], out)

    return jax.jit(lambda ths: jax.lax.map(one_theta, ths))(stacked)


def costs(F) -> dict:
    """Transient and steady-state cost (means over scenarios) from F (n, 100)."""
    F = np.asarray(F)
    weights = DISCOUNT ** np.arange(1, F.shape[1] + 1)
    return {"transient": float(np.mean(F @ weights)), "steady_state": float(np.mean(F[:, -1]))}
