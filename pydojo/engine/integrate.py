"""Position update q⁺ = q ⊕ h·v⁺ of the semi-implicit Euler step (eq. 2.3), MuJoCo's layout.

Hinge and slide coordinates add h·v; free joints add h·v to the position and rotate the
quaternion (w, x, y, z) by the body-frame angular velocity, q ← q ⊗ exp(h ω / 2), then
renormalize (as ``mj_integratePos``). The rotation uses a series near ω = 0 so that
gradients stay finite at rest.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import mujoco

_FREE, _BALL = int(mujoco.mjtJoint.mjJNT_FREE), int(mujoco.mjtJoint.mjJNT_BALL)


def _quat_mul(a: jax.Array, b: jax.Array) -> jax.Array:
    w1, v1, w2, v2 = a[0], a[1:], b[0], b[1:]
    return jnp.concatenate([(w1 * w2 - v1 @ v2)[None], w1 * v2 + w2 * v1 + jnp.cross(v1, v2)])


def rotate_quaternion(quat: jax.Array, omega: jax.Array, h: float) -> jax.Array:
    """quat ⊗ exp(h·ω/2), normalized; ω in the body frame."""
    rot = h * omega
    angle_sq = rot @ rot
    small = angle_sq < 1e-12
    angle = jnp.sqrt(jnp.where(small, 1.0, angle_sq))
    half = 0.5 * angle
    sinc_half = jnp.where(small, 0.5 - angle_sq / 48.0, jnp.sin(half) / angle)  # sin(θ/2)/θ
    cos_half = jnp.where(small, 1.0 - angle_sq / 8.0, jnp.cos(half))
    step = jnp.concatenate([cos_half[None], sinc_half * rot])
    out = _quat_mul(quat, step)
    return out / jnp.linalg.norm(out)


def integrate_positions(jnt_types: tuple, q: jax.Array, v: jax.Array, h: float) -> jax.Array:
    """q ⊕ h·v for joints of the given MuJoCo types, in order."""
    parts, qi, vi = [], 0, 0
    for kind in jnt_types:
        if kind == _FREE:
            parts += [q[qi : qi + 3] + h * v[vi : vi + 3], rotate_quaternion(q[qi + 3 : qi + 7], v[vi + 3 : vi + 6], h)]
            qi, vi = qi + 7, vi + 6
        elif kind == _BALL:
            parts.append(rotate_quaternion(q[qi : qi + 4], v[vi : vi + 3], h))
            qi, vi = qi + 4, vi + 3
        else:
            parts.append(q[qi : qi + 1] + h * v[vi : vi + 1])
            qi, vi = qi + 1, vi + 1
    return jnp.concatenate(parts) if parts else q
