"""The DiffOP seed's voltage-control policy problem, its eq. (11), on voltage13's state x = (v², q, v₀², p):

    min_u  Σ_{i<H} u_iᵀC_u u_i + (v_i − 1)ᵀC_v(v_i − 1) + (v_H − 1)ᵀC_H(v_H − 1)
    s.t.   q_{i+1} = q_i + u_i,   v_{i+1} = A q_{i+1} + v_env,   q_low ≤ q_{i+1} ≤ q_high,

with v the squared voltages (v_nom = 1), v_env = v₀² the reset voltages (the seed's "initial voltage
determined by load profiles"), C_v = diag(θ_c²), C_H = diag(θ_H²) and A = θ_f (3 × 3, row-major) learned,
C_u fixed. The seed writes v_{i+1} = A q_i + v_env; we use q_{i+1}, the reactive power after the step, which
is what the environment's voltages respond to (v² ≈ Xq + v₀² with X the recorded sensitivity).
θ_true: A = X, θ_c = θ_H = ``weight`` (there is no true C_v: the reference point is ours).
The p part of x is carried unchanged (it never enters the problem); its zero curvature makes ∇²L singular,
so IDOC needs its ``hessian_reg`` > 0 on this task (conf/task/voltage13.yaml).
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from pydojo.ocp.problem import OCP, Theta, box_constraints, perturbed

SENSITIVITY = np.array([[0.05931, 0.04456, 0.04456], [0.04456, 0.09804, 0.08913], [0.04456, 0.08913, 0.09402]])
CONTROL_WEIGHT = 1.0  # C_u = I (MVAr⁻²); not learned
VOLTAGE_WEIGHT = 3.0  # θ_c = θ_H at the reference point: C_v = 9 I


def voltage_ocp(limits, horizon: int, constrained: bool = True, state_size: int = 21) -> OCP:
    limits = np.asarray(limits, float)

    def dynamics(x, u, a, ops):
        q_next = [x[3 + j] + u[j] for j in range(3)]
        v_next = [sum(a[3 * i + j] * q_next[j] for j in range(3)) + x[6 + i] for i in range(3)]
        return ops.stack(v_next + q_next + [x[k] for k in range(6, state_size)])

    def stage_cost(x, u, th, ops):
        return sum(CONTROL_WEIGHT * u[j] ** 2 for j in range(3)) + sum((th[j] * (x[j] - 1.0)) ** 2 for j in range(3))

    def terminal_cost(x, th, ops):
        return sum((th[j] * (x[j] - 1.0)) ** 2 for j in range(3))

    cons, n_g = None, 0
    if constrained:
        g_q, n_g = box_constraints(limits[:, 0], limits[:, 1], lambda v: v)
        cons = lambda x, u, ops: ops.stack(g_q([x[3 + j] + u[j] for j in range(3)]))  # noqa: E731
    return OCP(stage_cost=stage_cost, terminal_cost=terminal_cost, dynamics=dynamics, state_size=state_size, control_size=3,
               horizon=horizon, theta_shapes=((3,), (3,), (9,)), stage_constraints=cons, num_stage_constraints=n_g)


def reference_theta() -> Theta:
    w = jnp.full(3, VOLTAGE_WEIGHT)
    return Theta(w, w, jnp.asarray(SENSITIVITY.ravel()))


def perturbed_theta(key, perturbation: float) -> Theta:
    """θ_ref ⊙ (1 + U(−p, p)) per entry, as the control tasks."""
    return perturbed(reference_theta(), key, perturbation)
