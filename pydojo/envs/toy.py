"""Small environments with known answers, on the same functional interface as the contact tasks.

``LinearQuadraticEnv``: x' = A x + B u, r = −(x'ᵀQx' + uᵀRu); its expected return under a
linear Gaussian policy is available in closed form (``expected_return``) by propagating the
state mean and covariance, which gives exact reference gradients.
``LCSEnv``: one step of a softened LCS (seed eq. 3.1) with the same quadratic reward; its
contact solve goes through ``smoothed_solve`` so analytic and randomized smoothing both apply.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.envs.base import AbstractEnv, EnvState
from pydojo.lcs import LCS
from pydojo.policies.linear import LinearPolicy
from pydojo.smoothing import AbstractSmoothing, ConstantMu, ContactState, smoothed_solve
from pydojo.solver import solve_lcp


class _QuadraticTask(AbstractEnv):
    x0: jax.Array
    Q: jax.Array
    R: jax.Array

    @property
    def observation_size(self) -> int:
        return self.x0.shape[0]

    @property
    def action_bounds(self):
        return -jnp.full(self.action_size, jnp.inf), jnp.full(self.action_size, jnp.inf)

    def reset(self, key):
        zero = jnp.zeros(())
        return EnvState(physics=self.x0, obs=self.x0, reward=zero, done=zero, info={})

    def observe(self, physics):
        return physics

    def _reward(self, x_next, u):
        return -(x_next @ self.Q @ x_next + u @ self.R @ u)

    def step(self, state, action, key=None):
        action = self.check_action(action)
        x_next = self.transition(state.physics, action, key)
        return EnvState(physics=x_next, obs=x_next, reward=self._reward(x_next, action), done=jnp.zeros(()), info={})


class LinearQuadraticEnv(_QuadraticTask):
    A: jax.Array
    B: jax.Array

    @property
    def action_size(self) -> int:
        return self.B.shape[1]

    def transition(self, x, u, key=None):
        return self.A @ x + self.B @ u

    def expected_return(self, policy: LinearPolicy, horizon: int, discount: float = 1.0) -> jax.Array:
        """E[Σ_t γ^t r_t] for u = W x + b + σ ς (identity normaliser), by mean/covariance propagation."""
        W, b, s2 = policy.weight, policy.bias, policy.noise_std**2
        m, P, total = self.x0, jnp.zeros((self.x0.shape[0],) * 2), 0.0
        for t in range(horizon):
            um, uP = W @ m + b, W @ P @ W.T + s2 * jnp.eye(b.shape[0])
            cross = P @ W.T  # Cov(x, u)
            m_next = self.A @ m + self.B @ um
            P_next = self.A @ P @ self.A.T + self.A @ cross @ self.B.T + self.B @ cross.T @ self.A.T + self.B @ uP @ self.B.T
            r = -(m_next @ self.Q @ m_next + jnp.trace(self.Q @ P_next) + um @ self.R @ um + jnp.trace(self.R @ uP))
            total, m, P = total + discount**t * r, m_next, P_next
        return total


class LCSEnv(_QuadraticTask):
    """x' = A x + B u + C λ + c, λ = S_μ(D x + E u + d) with μ from ``schedule`` (any smoothing)."""

    lcs: LCS
    schedule: AbstractSmoothing = ConstantMu(1e-10)

    @property
    def action_size(self) -> int:
        return self.lcs.sizes[1]

    def transition(self, x, u, key=None):
        L = self.lcs
        z = L.D @ x + L.E @ u + L.d
        contact = ContactState.from_offset(z, jnp.diag(L.F))
        lam = smoothed_solve(self.schedule, lambda zz, mu: solve_lcp(L.F, zz, mu).lam, z, contact, key)
        return L.A @ x + L.B @ u + L.C @ lam + L.c


def bouncing_ball_lcs(timestep: float = 0.1, gravity: float = 9.81, mass: float = 1.0) -> LCS:
    """A vertical point mass over the ground, x = (height, velocity), u = vertical force (Fig. 1(a) in 1-D).

    v' = v + h(u/m − g) + λ/m,  z' = z + h v';  contact: λ ≥ 0 ⟂ z + h v' ≥ 0 (gap after the step).
    """
    h, m = timestep, mass
    A = jnp.array([[1.0, h], [0.0, 1.0]])
    B = jnp.array([[h * h / m], [h / m]])
    C = jnp.array([[h / m], [1.0 / m]])
    c = jnp.array([-h * h * gravity, -h * gravity])
    D = jnp.array([[1.0, h]])
    E = jnp.array([[h * h / m]])
    F = jnp.array([[h / m]])
    d = jnp.array([-h * h * gravity])
    return LCS(A, B, C, c, D, E, F, d)


def _double_integrator(x0=(1.0, 0.0), timestep: float = 0.1, control_cost: float = 0.01) -> LinearQuadraticEnv:
    h = float(timestep)
    return LinearQuadraticEnv(x0=jnp.asarray(x0, jnp.float64), Q=jnp.eye(2), R=control_cost * jnp.eye(1),
                              A=jnp.array([[1.0, h], [0.0, 1.0]]), B=jnp.array([[0.0], [h]]))


def _point_mass_lcs(x0=(0.5, 0.0), timestep: float = 0.1, mu: float = 1e-10, control_cost: float = 0.01) -> LCSEnv:
    return LCSEnv(x0=jnp.asarray(x0, jnp.float64), Q=jnp.eye(2), R=control_cost * jnp.eye(1),
                  lcs=bouncing_ball_lcs(timestep=timestep), schedule=ConstantMu(mu))


TOY_SYSTEMS = {"double_integrator": _double_integrator, "point_mass_lcs": _point_mass_lcs}


def make_toy(name: str, **overrides) -> AbstractEnv:
    """Toy systems with known answers, usable by the trainer (``env.name``) for fast checks."""
    try:
        return TOY_SYSTEMS[name](**overrides)
    except TypeError as err:
        raise ValueError(f"bad option(s) {sorted(overrides)} for toy system {name!r}: {err}") from None
