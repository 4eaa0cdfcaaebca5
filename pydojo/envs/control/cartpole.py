"""Cartpole swing-up (as PDP's JinEnv defines it), state [x, q, ẋ, q̇], input force u."""
from __future__ import annotations

import numpy as np

from pydojo.envs.control.base import ControlTask

G = 10.0
WEIGHTS = np.array([1.0, 6.0, 1.0, 1.0])  # (x, q, ẋ, q̇)
CONTROL_WEIGHT = 0.1


class Cartpole(ControlTask):
    """θ_f = (m_c, m_p, l); goal [0, π, 0, 0]; starts at x = 0 with q₀ ∈ {0, ±0.25, ±0.5}."""

    state_weights = WEIGHTS
    control_weight = CONTROL_WEIGHT

    @staticmethod
    def xdot(x, u, p, ops):
        mc, mp, l = p[0], p[1], p[2]
        q, dq = x[1], x[3]
        s, c = ops.sin(q), ops.cos(q)
        ddx = (u[0] + mp * s * (l * dq**2 + G * c)) / (mc + mp * s**2)
        ddq = (-u[0] * c - mp * l * dq**2 * s * c - (mc + mp) * G * s) / (l * mc + l * mp * s**2)
        return [x[2], dq, ddx, ddq]

    @property
    def action_size(self) -> int:
        return 1

    @property
    def true_params(self):
        return np.array([0.5, 0.5, 1.0])

    @property
    def goal(self):
        return np.array([0.0, np.pi, 0.0, 0.0])

    @property
    def initial_states(self):
        return np.array([[0.0, q0, 0.0, 0.0] for q0 in (0.0, -0.5, -0.25, 0.25, 0.5)])


DEFAULTS = dict(dt=0.1, episode_length=30, u_bound=5.0, init_noise=0.0)
