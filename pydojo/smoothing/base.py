"""One small interface for every smoothing of the contact solve.

A schedule maps the contact state of a problem to the central-path value μ_sc
(``mu``); randomized smoothing uses the same interface with ``n_samples > 1`` and a
Gaussian ``perturb`` of the problem's offset vector z. ``smoothed_solve`` is the only
place that combines them, so the engine and the trainers never branch on a name.
"""
from __future__ import annotations

import abc
from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp


class ContactState(eqx.Module):
    """What a schedule may look at, per contact (all arrays of shape (nc,)).

    phi: signed distances at this step; gamma: the previous step's normal impulses;
    z: the contact-free predicted gap (the LCP offset, e.g. φ + h·Jₙv_free);
    compliance: diagonal of the normal Delassus operator (F in the 1-D LCP).
    """

    phi: jax.Array
    gamma: jax.Array
    z: jax.Array
    compliance: jax.Array

    @staticmethod
    def from_offset(z: jax.Array, compliance: jax.Array) -> "ContactState":
        """Contact state of a bare LCP with offset z and diagonal compliance (distances = z, no history)."""
        z = jnp.atleast_1d(z)
        return ContactState(phi=z, gamma=jnp.zeros_like(z), z=z, compliance=jnp.broadcast_to(compliance, z.shape))


class AbstractSmoothing(eqx.Module):
    """μ_sc from the contact state; optionally a Gaussian perturbation of the data (randomized smoothing)."""

    @abc.abstractmethod
    def mu(self, contact: ContactState) -> jax.Array:
        """μ_sc: a scalar, or one value per contact (shape (nc,))."""

    @property
    def n_samples(self) -> int:
        return 1

    def perturb(self, key: jax.Array, z: jax.Array) -> jax.Array:
        return z


def smoothed_solve(
    schedule: AbstractSmoothing,
    solve_fn: Callable[[jax.Array, jax.Array], jax.Array],
    z: jax.Array,
    contact: ContactState,
    key: jax.Array | None = None,
):
    """E_w[solve_fn(z + w, μ)] over the schedule's samples (one exact sample for analytic schedules).

    ``solve_fn(z, mu)`` returns any pytree of arrays; the average is taken leafwise.
    """
    mu = schedule.mu(contact)
    n = schedule.n_samples
    if key is None:
        if n > 1:
            raise ValueError(f"{type(schedule).__name__} draws {n} samples: pass a PRNG key")
        key = jax.random.PRNGKey(0)
    keys = jax.random.split(key, n)
    out = jax.vmap(lambda k: solve_fn(schedule.perturb(k, z), mu))(keys)
    return jax.tree_util.tree_map(lambda x: jnp.mean(x, axis=0), out)
