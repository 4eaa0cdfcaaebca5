"""Physical parameters ψ of a system: the quantities the model-learning step (seed eq. 4.1) fits.

``Params`` is a pytree of arrays read from and written into the MJX model, so any
function of a system's step is differentiable with respect to ψ.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp


class Params(eqx.Module):
    """ψ: body masses (nbody,), body principal inertias (nbody, 3), sliding friction per geom
    (ngeom,), joint damping per dof (nv,), joint stiffness per joint (njnt,), actuator gear (nu,)."""

    body_mass: jax.Array
    body_inertia: jax.Array
    friction: jax.Array
    damping: jax.Array
    stiffness: jax.Array
    gear: jax.Array


def read_params(mjx_model) -> Params:
    """The current ψ of an MJX model."""
    return Params(
        body_mass=jnp.asarray(mjx_model.body_mass),
        body_inertia=jnp.asarray(mjx_model.body_inertia),
        friction=jnp.asarray(mjx_model.geom_friction)[:, 0],
        damping=jnp.asarray(mjx_model.dof_damping),
        stiffness=jnp.asarray(mjx_model.jnt_stiffness),
        gear=jnp.asarray(mjx_model.actuator_gear)[:, 0],
    )


def write_params(mjx_model, params: Params):
    """An MJX model with ψ replaced (shapes must match those of ``read_params``)."""
    current = read_params(mjx_model)
    for name in Params.__dataclass_fields__:
        new, old = jnp.shape(getattr(params, name)), jnp.shape(getattr(current, name))
        if new != old:
            raise ValueError(f"Params.{name} has shape {new}, this system needs {old}")
    return mjx_model.replace(
        body_mass=params.body_mass,
        body_inertia=params.body_inertia,
        geom_friction=jnp.asarray(mjx_model.geom_friction).at[:, 0].set(params.friction),
        dof_damping=params.damping,
        jnt_stiffness=params.stiffness,
        actuator_gear=jnp.asarray(mjx_model.actuator_gear).at[:, 0].set(params.gear),
    )
