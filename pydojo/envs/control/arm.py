"""Two-link robot arm (as PDP's JinEnv defines it), state [q₁, q₂, q̇₁, q̇₂], torques [u₁, u₂]."""
from __future__ import annotations

import numpy as np

from pydojo.envs.control.base import ControlTask

G = 0.0  # PDP's demos run the arm without gravity
WEIGHTS = np.array([1.0, 1.0, 0.5, 0.5])
CONTROL_WEIGHT = 0.01


class Arm(ControlTask):
    """θ_f = (l₁, m₁, l₂, m₂); goal [π/2, 0, 0, 0]; our initial states (the reference gives none):
    the arm at rest at q = (−π/2, 0), (−π/3, π/6) or (−2π/3, −π/6)."""

    state_weights = WEIGHTS
    control_weight = CONTROL_WEIGHT

    @staticmethod
    def xdot(x, u, p, ops):
        l1, m1, l2, m2 = p[0], p[1], p[2], p[3]
        q1, q2, dq1, dq2 = x[0], x[1], x[2], x[3]
        r1, r2 = l1 / 2, l2 / 2
        I1, I2 = m1 * l1**2 / 12, m2 * l2**2 / 12
        c2 = ops.cos(q2)
        M11 = m1 * r1**2 + I1 + m2 * (l1**2 + r2**2 + 2 * l1 * r2 * c2) + I2
        M12 = m2 * (r2**2 + l1 * r2 * c2) + I2
        M22 = m2 * r2**2 + I2
        h = m2 * l1 * r2 * ops.sin(q2)
        C1, C2 = -h * dq2**2 - 2 * h * dq1 * dq2, h * dq1**2
        G1 = m1 * r1 * G * ops.cos(q1) + m2 * G * (r2 * ops.cos(q1 + q2) + l1 * ops.cos(q1))
        G2 = m2 * G * r2 * ops.cos(q1 + q2)
        b1, b2 = u[0] - C1 - G1, u[1] - C2 - G2
        det = M11 * M22 - M12 * M12
        return [dq1, dq2, (M22 * b1 - M12 * b2) / det, (M11 * b2 - M12 * b1) / det]

    @property
    def action_size(self) -> int:
        return 2

    @property
    def true_params(self):
        return np.array([1.0, 1.0, 1.0, 1.0])

    @property
    def goal(self):
        return np.array([np.pi / 2, 0.0, 0.0, 0.0])

    @property
    def demonstration_states(self):
        """PDP's four arm demonstrations start at rest at these (q₁, q₂)."""
        q = [(-np.pi / 2, 0.0), (-3 * np.pi / 4, -np.pi / 2), (-np.pi / 4, np.pi / 2), (-np.pi / 2, np.pi)]
        return np.array([[q1, q2, 0.0, 0.0] for q1, q2 in q])

    @property
    def initial_states(self):
        return np.array([[-np.pi / 2, 0.0, 0.0, 0.0], [-np.pi / 3, np.pi / 6, 0.0, 0.0], [-2 * np.pi / 3, -np.pi / 6, 0.0, 0.0]])


DEFAULTS = dict(dt=0.1, episode_length=35, u_bound=1.0, init_noise=0.0)
