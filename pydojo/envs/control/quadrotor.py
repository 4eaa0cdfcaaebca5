"""6-DoF quadrotor with quaternion attitude (as PDP's JinEnv defines it).

State [r(3), v(3), q = (w, x, y, z), ω(3)], inputs the four rotor thrusts. Frame convention:
R(q) maps body to world, v̇ = R(q)[0, 0, Σf]/m − g e_z, q̇ = ½ q ⊗ (0, ω) with ω in the body
frame, ω̇ = J⁻¹(M − ω × Jω).
"""
from __future__ import annotations

import numpy as np

from pydojo.envs.control.base import ControlTask

G = 10.0
TORQUE_COEF = 0.01  # c, not learned
W_R, W_V, W_Q, W_W, CONTROL_WEIGHT = 1.0, 1.0, 5.0, 1.0, 0.1


class Quadrotor(ControlTask):
    """θ_f = (m, l, J_x, J_y, J_z); goal: hover at the origin with q = (1, 0, 0, 0)."""

    control_weight = CONTROL_WEIGHT

    @staticmethod
    def xdot(x, u, p, ops):
        m, l, Jx, Jy, Jz = p[0], p[1], p[2], p[3], p[4]
        qw, qx, qy, qz = x[6], x[7], x[8], x[9]
        wx, wy, wz = x[10], x[11], x[12]
        thrust = u[0] + u[1] + u[2] + u[3]
        # third column of R(q) (body z axis in the world frame)
        bz = (2 * (qx * qz + qw * qy), 2 * (qy * qz - qw * qx), 1 - 2 * (qx**2 + qy**2))
        acc = [bz[0] * thrust / m, bz[1] * thrust / m, bz[2] * thrust / m - G]
        dq = [
            0.5 * (-qx * wx - qy * wy - qz * wz),
            0.5 * (qw * wx + qy * wz - qz * wy),
            0.5 * (qw * wy - qx * wz + qz * wx),
            0.5 * (qw * wz + qx * wy - qy * wx),
        ]
        Mx = (-u[1] + u[3]) * l / 2
        My = (-u[0] + u[2]) * l / 2
        Mz = (u[0] - u[1] + u[2] - u[3]) * TORQUE_COEF
        dw = [(Mx - (Jz - Jy) * wy * wz) / Jx, (My - (Jx - Jz) * wz * wx) / Jy, (Mz - (Jy - Jx) * wx * wy) / Jz]
        return [x[3], x[4], x[5], *acc, *dq, *dw]

    @property
    def action_size(self) -> int:
        return 4

    @property
    def true_params(self):
        return np.array([1.0, 0.4, 1.0, 1.0, 1.0])

    @property
    def goal(self):
        return np.array([0.0] * 6 + [1.0, 0.0, 0.0, 0.0] + [0.0] * 3)

    @property
    def initial_states(self):
        rest = [0.0] * 3 + [1.0, 0.0, 0.0, 0.0] + [0.0] * 3
        return np.array([[-8.0, -6.0, 9.0, *rest], [8.0, 6.0, 9.0, *rest]])

    def stage_cost(self, x, u):
        r, v, q, w = x[:3], x[3:6], x[6:10], x[10:]
        attitude = 4.0 * (q[1] ** 2 + q[2] ** 2 + q[3] ** 2)  # tr(I − R_goalᵀR(q)) for R_goal = I, unit q
        return W_R * r @ r + W_V * v @ v + W_Q * attitude + W_W * w @ w + CONTROL_WEIGHT * u @ u

    def true_cost_weights(self):
        # tr(I − R) = 4(q_x² + q_y² + q_z²); q_w gets weight 1 (pulls toward the unit quaternion).
        w = np.array([W_R] * 3 + [W_V] * 3 + [0.0] + [4 * W_Q] * 3 + [W_W] * 3)
        theta = np.sqrt(w / CONTROL_WEIGHT)
        theta[6] = 1.0
        return theta, theta


DEFAULTS = dict(dt=0.1, episode_length=50, u_bound=12.0, init_noise=0.0)
