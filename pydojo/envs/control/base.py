"""Shared machinery of the control tasks (PDP's JinEnv tasks with Safe-PDP's input bounds).

A task supplies its continuous-time dynamics ``xdot(x, u, p, ops)`` once (``ops`` is the math
namespace of pydojo.ocp.problem, so IPOPT sees the same model), its true physical
parameters, its true cost and its initial states. The environment integrates with
forward Euler, x' = x + dt·xdot, and reports reward = −stage cost.

``diffop_ocp`` builds the seed's Table-1 policy problem for the task:
    c(x, u) = ‖θ_c ⊙ (x − x_nom)‖² + ‖u‖²,  c_H(x) = ‖θ_H ⊙ (x − x_nom)‖²,  θ_f = physical parameters,
with θ_cᵀ read as a diagonal weight (a vector θ_c would make the cost rank one).
"""
from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.envs.base import AbstractEnv, EnvState
from pydojo.ocp.problem import JAX_OPS, OCP, Theta, box_constraints, perturbed


class ControlTask(AbstractEnv):
    """dt, episode_length: integration step and steps per episode; u_bound: |u| ≤ u_bound
    (Safe-PDP; ``None`` for no bound); init_noise: uniform noise added to the listed
    initial states at reset."""

    dt: float = eqx.field(static=True)
    episode_length: int = eqx.field(static=True)
    u_bound: float | None = eqx.field(static=True)
    init_noise: float = eqx.field(static=True)

    # ---- task definition (subclasses) ----------------------------------------------
    @staticmethod
    @abc.abstractmethod
    def xdot(x, u, p, ops):
        """Continuous-time dynamics; p = physical parameters (θ_f layout)."""

    @property
    @abc.abstractmethod
    def true_params(self) -> np.ndarray: ...

    @property
    @abc.abstractmethod
    def goal(self) -> np.ndarray: ...

    @property
    @abc.abstractmethod
    def initial_states(self) -> np.ndarray: ...

    state_weights = None  # W of the true cost (class constant of each task)
    control_weight = None  # ρ of the true cost

    @property
    def demonstration_states(self) -> np.ndarray:
        """Initial states of PDP's demonstrations (default: the task's initial states)."""
        return self.initial_states

    @property
    def td_cost_scale(self) -> float:
        """κ of RLMPC-TD's δ = κL + γV − Q: the Table-1 cost has control weight 1 where the true cost has ρ, so
        at the true θ the policy problem's stage cost is L/ρ (pydojo.estimators.rlmpc)."""
        return 1.0 / self.control_weight

    def critic_state(self, x):
        """The part of the state RLMPC-DPG's LSTD value features Φ are built from: all of it."""
        return x

    def stage_cost(self, x, u):
        """True stage cost (x − x_g)ᵀ diag(W) (x − x_g) + ρ‖u‖² (PDP's cost; the quadrotor overrides it)."""
        e = x - self.goal
        return (self.state_weights * e) @ e + self.control_weight * u @ u

    def true_cost_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """(θ_c, θ_H) for which the Table-1 cost is proportional to the true cost: √(W/ρ)."""
        theta = np.sqrt(self.state_weights / self.control_weight)
        return theta, theta

    # ---- AbstractEnv ---------------------------------------------------------------
    def __check_init__(self):
        if not self.dt > 0 or self.episode_length < 1:
            raise ValueError(f"{type(self).__name__}: need dt > 0 and episode_length >= 1, got {self.dt}, {self.episode_length}")
        if self.u_bound is not None and not self.u_bound > 0:
            raise ValueError(f"{type(self).__name__}: u_bound must be > 0 or None, got {self.u_bound}")

    @property
    def observation_size(self) -> int:
        return len(self.goal)

    @property
    def action_bounds(self):
        b = jnp.inf if self.u_bound is None else self.u_bound
        return -b * jnp.ones(self.action_size), b * jnp.ones(self.action_size)

    def terminal_cost(self, x):
        return self.stage_cost(x, jnp.zeros(self.action_size))

    def discrete_dynamics(self, x, u, p, ops=JAX_OPS):
        xd = self.xdot(x, u, p, ops)
        return ops.stack([x[j] + self.dt * xd[j] for j in range(len(self.goal))])

    def reset(self, key) -> EnvState:
        k1, k2 = jax.random.split(key)
        starts = jnp.asarray(self.initial_states)
        x = starts[jax.random.randint(k1, (), 0, starts.shape[0])]
        x = x + self.init_noise * jax.random.uniform(k2, x.shape, minval=-1.0, maxval=1.0)
        return self._state(x, jnp.asarray(0.0), jnp.asarray(0))

    def step(self, state: EnvState, action) -> EnvState:
        action = self.check_action(action)
        x = eqx.error_if(state.physics, ~jnp.all(jnp.isfinite(state.physics)), f"{type(self).__name__}: state contains NaN or Inf")
        low, high = self.action_bounds
        u = jnp.clip(action, low, high)
        cost = self.stage_cost(x, u)
        x_next = self.discrete_dynamics(x, u, jnp.asarray(self.true_params))
        t = state.info["t"] + 1
        return self._state(x_next, -cost, t)

    def _state(self, x, reward, t):
        done = (t >= self.episode_length).astype(jnp.float64)
        return EnvState(physics=x, obs=x, reward=reward, done=done, info={"t": t})

    # ---- the seed's policy problem (Table 1) -------------------------------------------
    def diffop_ocp(self, horizon: int, constrained: bool = True) -> OCP:
        goal = [float(v) for v in self.goal]
        n, m = self.observation_size, self.action_size

        def stage_cost(x, u, th, ops):
            return sum((th[j] * (x[j] - goal[j])) ** 2 for j in range(n)) + sum(u[j] ** 2 for j in range(m))

        def terminal_cost(x, th, ops):
            return sum((th[j] * (x[j] - goal[j])) ** 2 for j in range(n))

        cons, n_g = None, 0
        if constrained and self.u_bound is not None:
            g_u, n_g = box_constraints([-self.u_bound] * m, [self.u_bound] * m, lambda v: v)
            cons = lambda x, u, ops: ops.stack(g_u(u))  # noqa: E731
        return OCP(
            stage_cost=stage_cost, terminal_cost=terminal_cost,
            dynamics=lambda x, u, p, ops: self.discrete_dynamics(x, u, p, ops),
            state_size=n, control_size=m, horizon=horizon,
            theta_shapes=((n,), (n,), (len(self.true_params),)),
            stage_constraints=cons, num_stage_constraints=n_g,
        )

    def true_theta(self) -> Theta:
        c, h = self.true_cost_weights()
        return Theta(jnp.asarray(c, jnp.float64), jnp.asarray(h, jnp.float64), jnp.asarray(self.true_params, jnp.float64))

    def perturbed_theta(self, key, perturbation: float) -> Theta:
        """θ_true ⊙ (1 + U(−p, p)) per entry: the starting point of learning (θ stays positive for p < 1)."""
        return perturbed(self.true_theta(), key, perturbation)

    def episode_cost(self, xs, us):
        """Control cost L(τ) of an episode: Σ_t c(x_t, u_t) + c_T(x_T), xs (T+1, n), us (T, m)."""
        return jnp.sum(jax.vmap(self.stage_cost)(xs[:-1], us)) + self.terminal_cost(xs[-1])
