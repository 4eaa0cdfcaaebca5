"""RL-MPC baselines of the DiffOP seed, on the same policy problem, solver and tasks as DiffOP.

Both explore with a = clip(π_θ(s) + ε), ε ~ N(0, σ²I), and return (descent direction, episode
costs (N,), failed solves, metrics) like ``DiffOPEstimator.estimate``, so one trainer runs them.
Episodes are time-limited, not terminal: every transition bootstraps with V_θ(s′) (as mpcrl does).

**RLMPC-TD** (Gros & Zanon 2019, Q-learning on the MPC parameters). Per transition
    δ = κ·L(s, a) + γ·V_θ(s′) − Q_θ(s, a),   ∇_θQ from the Lagrangian (pydojo.ocp.values),
and the update θ ← θ + α·mean(δ∇_θQ) over the N episodes of an iteration (semi-gradient
descent on ½δ²: the direction returned is −mean(δ∇_θQ)). κ converts the task's cost into the
policy problem's units: the Table-1 cost has control weight 1 where the task has ρ, so at the
true θ the problem's stage cost is L/ρ (a units conversion only: with a finite undiscounted
horizon against γ < 1, θ_true is not a TD fixed point). Our choice, stated in docs/diffop.md.

**RLMPC-DPG** (Seel, Gros & Gravdahl 2023, deterministic policy gradient with a compatible
critic). With J_t = ∂π_θ(s_t)/∂θ (IDOC), Ψ_t = J_tᵀ(a_t − π_θ(s_t)), Φ = monomials of s of degree
≤ 2 of the environment's ``critic_state(s)`` (the whole state on the control tasks; voltage13 leaves out its
constant parts), ΔΦ_t = γΦ(s_{t+1}) − Φ(s_t): per episode the value weights v solve the LSTD fixed point
ΦᵀΔΦ v = −ΦᵀL in ridge least squares, v is averaged over the episodes, the advantage weights w
of each episode solve ΨᵀΨ w ≈ Ψᵀ(L + ΔΦ v) (ridge least squares), and
    ∇_θJ = mean over episodes of Σ_t J_tᵀJ_t w   (the cost's gradient; ∇_aQ_w = J_t w).
This follows mpcrl's LstdDpgAgent (the same regularised normal equations, so
tests/estimators/test_rlmpc_mpcrl.py can compare one update); the seed's exact variant is not public.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from pydojo.ocp import Theta
from pydojo.ocp.values import MPCValues
from pydojo.policies.ocp import OCPPolicy
from pydojo.solver.results import raise_if_failed


class _Exploring(eqx.Module):
    """Shared: Gaussian exploration, initial states, episodes one after another (``lax.map``)."""

    sigma: float = eqx.field(static=True, default=0.1)
    num_trajectories: int = eqx.field(static=True, default=10)
    discount: float = eqx.field(static=True, default=0.99)

    def __check_init__(self):
        if not self.sigma > 0 or self.num_trajectories < 1 or not 0 < self.discount <= 1:
            raise ValueError(f"{type(self).__name__}: need sigma > 0, num_trajectories >= 1, 0 < discount <= 1; got "
                             f"{self.sigma}, {self.num_trajectories}, {self.discount}")

    @property
    def episodes_per_iteration(self) -> int:
        return self.num_trajectories

    def _start(self, env, x0):
        state = env.reset(jax.random.PRNGKey(0))
        return eqx.tree_at(lambda s: (s.physics, s.obs), state, (x0, x0))

    def _explore(self, env, key, pi):
        low, high = env.action_bounds
        return jnp.clip(pi + self.sigma * jax.random.normal(key, pi.shape, jnp.float64), low, high)

    def _episodes(self, env, key, one):
        k_init, k_roll = jax.random.split(key)
        x0 = jax.vmap(lambda k: env.reset(k).physics)(jax.random.split(k_init, self.num_trajectories))
        return jax.lax.map(lambda a: one(a[0], a[1]), (jax.random.split(k_roll, self.num_trajectories), x0))


class RLMPCTD(_Exploring):
    """cost_scale: κ above (``1/ρ`` of the task, set by the trainer)."""

    cost_scale: float = eqx.field(static=True, default=1.0)

    def rollout(self, values: MPCValues, policy: OCPPolicy, env, theta: Theta, key, x0):
        """One exploring episode: (cost L(τ), Σ_t δ_t∇_θQ_t, δ (T,), failed solves, (states (T+1, n), actions (T, m)))."""
        zero = jax.tree_util.tree_map(jnp.zeros_like, theta)
        sol0 = policy.plan(theta, x0)

        def step(carry, k):
            state, sol, g = carry
            s = state.physics
            a = self._explore(env, k, sol.us[0])
            tail = values.q_solve(s, a, theta)
            if policy.throw:
                tail = raise_if_failed(tail, tail.result, "RLMPC-TD: Q(s, a) solve")
            q, dq = values.q_value(tail, s, a, theta), values.q_grad(tail, s, a, theta)
            state = env.step(state, a)
            sol_next = policy.plan(theta, state.physics, sol)
            delta = self.cost_scale * (-state.reward) + self.discount * values.value(sol_next, theta) - q
            g = jax.tree_util.tree_map(lambda acc, d: acc + delta * d, g, dq)
            failed = (tail.result != 0).astype(jnp.int32) + (sol_next.result != 0)
            return (state, sol_next, g), (state.reward, delta, failed, s, a)

        keys = jax.random.split(key, env.episode_length)
        (state, _, g), (rewards, deltas, failed, states, actions) = jax.lax.scan(step, (self._start(env, x0), sol0, zero), keys)
        cost = -jnp.sum(rewards) + env.terminal_cost(state.physics)
        states = jnp.concatenate([states, state.physics[None]], axis=0)
        return cost, g, deltas, jnp.sum(failed) + (sol0.result != 0), (states, actions)

    def estimate(self, values: MPCValues, policy: OCPPolicy, env, theta: Theta, key):
        costs, g, deltas, failed, _ = self._episodes(env, key, lambda k, x0: self.rollout(values, policy, env, theta, k, x0))
        n = deltas.size
        direction = jax.tree_util.tree_map(lambda v: -jnp.sum(v, axis=0) / n, g)
        return direction, costs, jnp.sum(failed), {"td_error_rms": jnp.sqrt(jnp.mean(deltas**2))}


def quadratic_features(s):
    """Φ(s): 1, s_i and s_i·s_j (i ≤ j) — every monomial of degree ≤ 2."""
    i, j = jnp.triu_indices(s.shape[0])
    return jnp.concatenate([jnp.ones(1), s, s[i] * s[j]])


def _ridge(A, b, reg):
    """argmin ‖Aw − b‖² + reg‖w‖²."""
    return jnp.linalg.solve(A.T @ A + reg * jnp.eye(A.shape[1]), A.T @ b)


def _features(states, discount):
    """(Φ(s_t) for t < T, ΔΦ_t = γΦ(s_{t+1}) − Φ(s_t)) of an episode's states (T+1, n)."""
    phi = jax.vmap(quadratic_features)(states)
    return phi[:-1], discount * phi[1:] - phi[:-1]


def lstd_value_weights(states, costs, discount, reg):
    """v of V_v = Φᵀv from one episode: ΦᵀΔΦ v = −ΦᵀL in ridge least squares (states (T+1, n), costs (T,))."""
    phi, dphi = _features(states, discount)
    return _ridge(phi.T @ dphi, -phi.T @ costs, reg)


def advantage_weights(states, costs, psi, v, discount, reg):
    """w of the compatible advantage Ψᵀw from one episode: ΨᵀΨ w ≈ Ψᵀ(L + ΔΦ v) in ridge least squares."""
    _, dphi = _features(states, discount)
    return _ridge(psi.T @ psi, psi.T @ (costs + dphi @ v), reg)


class RLMPCDPG(_Exploring):
    """ridge: the regularisation of both least-squares problems (mpcrl's default 1e-6)."""

    ridge: float = eqx.field(static=True, default=1e-6)

    def rollout(self, values: MPCValues, policy: OCPPolicy, env, theta: Theta, key, x0):
        """One exploring episode: (cost, critic states (T+1, n_c), stage costs (T,), Ψ (T, n_θ), Σ_t J_tᵀJ_t, failed)."""
        sol0 = policy.plan(theta, x0)

        def step(carry, k):
            state, sol = carry
            s = state.physics
            pi = sol.us[0]
            a = self._explore(env, k, pi)
            J = values.policy_jacobian(sol, s, theta)
            state = env.step(state, a)
            sol_next = policy.plan(theta, state.physics, sol)
            return (state, sol_next), (env.critic_state(s), -state.reward, J.T @ (a - pi), J.T @ J, sol_next.result != 0)

        keys = jax.random.split(key, env.episode_length)
        (state, _), (states, stage, psi, fisher, failed) = jax.lax.scan(step, (self._start(env, x0), sol0), keys)
        states = jnp.concatenate([states, env.critic_state(state.physics)[None]], axis=0)
        cost = jnp.sum(stage) + env.terminal_cost(state.physics)
        return cost, states, stage, psi, jnp.sum(fisher, axis=0), jnp.sum(failed) + (sol0.result != 0)

    def gradient(self, states, stage, psi, fisher):
        """∇_θJ (flat) from a batch of episodes (leading axis: episodes)."""
        v = jnp.mean(jax.vmap(lambda s, c: lstd_value_weights(s, c, self.discount, self.ridge))(states, stage), axis=0)
        w = jnp.mean(jax.vmap(lambda s, c, p: advantage_weights(s, c, p, v, self.discount, self.ridge))(states, stage, psi), axis=0)
        return jnp.mean(fisher @ w, axis=0), v, w

    def estimate(self, values: MPCValues, policy: OCPPolicy, env, theta: Theta, key):
        costs, states, stage, psi, fisher, failed = self._episodes(
            env, key, lambda k, x0: self.rollout(values, policy, env, theta, k, x0))
        _, unravel = ravel_pytree(theta)
        grad, _, w = self.gradient(states, stage, psi, fisher)
        return unravel(grad), costs, jnp.sum(failed), {"critic_weight_norm": jnp.linalg.norm(w)}
