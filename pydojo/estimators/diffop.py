"""DiffOP's policy-gradient estimator (seed eqs. 4 and 8; Algorithm 1).

Exploration (eq. 4): u_t = u*_t + ε_t, ε_t ~ N(0, σ²I) truncated to ±βσ² (a truncated
Gaussian, sampled exactly, not clipped).
Gradient (eq. 8): ∇̂C = (1/N) Σ_n (L(τⁿ) − b_n) Σ_t (1/σ²) [∇_θu*_t]ᵀ(u_t − u*_t),
with the vector–Jacobian products from IDOC (Proposition 1), so ∇_θu* is never formed.

Variance reduction (the seed leaves it open: "several techniques available"); every option
keeps E[∇̂C] unchanged:
- ``baseline``: b_n = 0 (``"none"``, the paper); ``"leave_one_out"``: mean cost of the other
  N − 1 episodes; ``"nominal"``: the cost of the noise-free episode from the same initial state
  (a state-dependent baseline: it does not depend on ε, so E[b·score] = 0). Only ``"nominal"``
  removes the spread of L(τ) across initial states, which otherwise swamps the O(ε) signal.
- ``antithetic``: episodes come in pairs (x0, ε) and (x0, −ε); each episode keeps the
  distribution of eq. (4), so the mean is unchanged, and the even-order terms of L cancel.

Note: the score (u − u*)/σ² ignores the moving truncation window, so for a narrow window
(βσ small) the estimate is, to first order, E[ε²]/σ² times the gradient; it is unbiased as
βσ → ∞ (the LQ test uses βσ = 5).
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.ocp import Theta
from pydojo.policies.ocp import OCPPolicy

BASELINES = ("none", "leave_one_out", "nominal")


class DiffOPEstimator(eqx.Module):
    sigma: float = eqx.field(static=True, default=1.0)
    beta: float = eqx.field(static=True, default=0.01)
    num_trajectories: int = eqx.field(static=True, default=10)
    baseline: str = eqx.field(static=True, default="none")
    antithetic: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        if not (self.sigma > 0 and self.beta > 0) or self.num_trajectories < 1:
            raise ValueError(f"DiffOPEstimator: need sigma > 0, beta > 0, num_trajectories >= 1; got "
                             f"{self.sigma}, {self.beta}, {self.num_trajectories}")
        if self.baseline not in BASELINES:
            raise ValueError(f"DiffOPEstimator: baseline must be one of {BASELINES}, got {self.baseline!r}")
        if self.baseline == "leave_one_out" and self.num_trajectories < 2:
            raise ValueError("DiffOPEstimator: the leave-one-out baseline needs num_trajectories >= 2")
        if self.antithetic and self.num_trajectories % 2:
            raise ValueError(f"DiffOPEstimator: antithetic pairs need an even num_trajectories, got {self.num_trajectories}")

    @property
    def episodes_per_iteration(self) -> int:
        """True-system episodes of one ``estimate`` (the nominal baseline adds one per initial state)."""
        extra = (self.num_trajectories // 2 if self.antithetic else self.num_trajectories) if self.baseline == "nominal" else 0
        return self.num_trajectories + extra

    def noise(self, key, shape):
        """ε ~ N(0, σ²) truncated to [−βσ², βσ²] (eq. 4)."""
        bound = self.beta * self.sigma  # = βσ² / σ in standard units
        return self.sigma * jax.random.truncated_normal(key, -bound, bound, shape, jnp.float64)

    def rollout(self, policy: OCPPolicy, env, theta: Theta, key, x0, explore: bool = True, sign=1.0):
        """One episode from x0 with noise sign·ε (sign = ±1: antithetic pairs share ``key``).
        Returns (L(τ), Σ_t ∇_θu*_tᵀ(u_t − u*_t)/σ² as a Theta, xs, us, solver iterations,
        number of failed solves, counting environment steps that report ``info["step_failed"]``, e.g. a power
        flow that did not converge). The count is returned as data, so callers see failures even
        where ``eqx.error_if`` callbacks do not run (executables loaded from JAX's persistent cache)."""
        h, T = policy.actions_per_solve, env.episode_length
        if T % h:
            raise ValueError(f"episode_length {T} is not a multiple of the actions per solve {h} (mode {policy.mode!r})")
        zero = jax.tree_util.tree_map(jnp.zeros_like, theta)
        state = env.reset(jax.random.PRNGKey(0))
        state = eqx.tree_at(lambda s: (s.physics, s.obs), state, (x0, x0))
        warm = policy.plan(theta, x0) if policy.warm_start else None

        def segment(carry, k):
            state, warm, g = carry
            x = state.physics
            sol = policy.plan(theta, x, warm) if policy.warm_start else policy.plan(theta, x)
            u_star = sol.us[:h]
            eps = sign * self.noise(k, u_star.shape) if explore else jnp.zeros_like(u_star)

            def act(st, u):
                st = env.step(st, u)
                return st, (st.physics, st.reward, st.info.get("step_failed", jnp.asarray(False)))

            state, (xs, rewards, step_failed) = jax.lax.scan(act, state, u_star + eps)
            g_seg = policy.action_vjp(theta, x, sol, eps / self.sigma**2) if explore else zero
            g = jax.tree_util.tree_map(jnp.add, g, g_seg)
            out = (xs, u_star + eps, rewards, sol.stats.iterations, (sol.result != 0) + jnp.sum(step_failed))
            return (state, sol if policy.warm_start else warm, g), out

        keys = jax.random.split(key, T // h)
        (state, _, g), (xs, us, rewards, iters, failed) = jax.lax.scan(segment, (state, warm, zero), keys)
        xs = jnp.concatenate([x0[None], xs.reshape(T, -1)], axis=0)
        cost = -jnp.sum(rewards) + env.terminal_cost(xs[-1])
        failed = jnp.sum(failed) + (jnp.sum(warm.result != 0) if policy.warm_start else 0)
        return cost, g, xs, us.reshape(T, -1), iters, failed

    def estimate(self, policy: OCPPolicy, env, theta: Theta, key):
        """∇̂C of eq. (8) from N episodes with initial states from env.reset; returns
        (grad, costs (N,), number of failed solves).

        Episodes run one after another (``lax.map``): vmapping the nested solver loops of whole
        episodes hung XLA's CPU runtime here (jaxlib 0.10.1), and a batch buys little on 2 cores.
        """
        N = self.num_trajectories
        n_starts = N // 2 if self.antithetic else N
        k_init, k_roll = jax.random.split(key)
        x0 = jax.vmap(lambda k: env.reset(k).physics)(jax.random.split(k_init, n_starts))
        keys = jax.random.split(k_roll, n_starts)
        signs = jnp.ones(n_starts)
        if self.antithetic:  # episodes 2j and 2j+1: same x0 and key, noise +ε and −ε
            x0, keys = jnp.repeat(x0, 2, axis=0), jnp.repeat(keys, 2, axis=0)
            signs = jnp.tile(jnp.array([1.0, -1.0]), n_starts)
        costs, g, _, _, _, failed = jax.lax.map(lambda a: self.rollout(policy, env, theta, a[0], a[1], sign=a[2]), (keys, x0, signs))
        if self.baseline == "leave_one_out":
            weights = costs - (jnp.sum(costs) - costs) / (N - 1)
        elif self.baseline == "nominal":
            nominal, _, _, _, _, failed_nominal = jax.lax.map(
                lambda x: self.rollout(policy, env, theta, k_roll, x, explore=False), x0[::N // n_starts])
            weights = costs - jnp.repeat(nominal, N // n_starts)
            failed = jnp.concatenate([failed, failed_nominal])
        else:
            weights = costs
        grad = jax.tree_util.tree_map(lambda gi: jnp.tensordot(weights, gi, axes=1) / N, g)
        return grad, costs, jnp.sum(failed)

    def evaluate(self, policy: OCPPolicy, env, theta: Theta):
        """Control cost of the deterministic policy from each of the task's initial states (n_starts,),
        and the number of failed solves."""
        starts = jnp.asarray(env.initial_states)
        costs, _, _, _, _, failed = jax.lax.map(
            lambda x: self.rollout(policy, env, theta, jax.random.PRNGKey(0), x, explore=False), starts)
        return costs, jnp.sum(failed)
