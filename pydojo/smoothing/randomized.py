"""Randomized smoothing of the contact solve (the bundled gradient of Suh et al.; the seed's Fig. 8 baseline)."""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.smoothing.base import AbstractSmoothing, ContactState
from pydojo.smoothing.schedules import _positive


class RandomizedSmoothing(AbstractSmoothing):
    """Average the (near-)exact solve over Gaussian perturbations z + w, w ~ N(0, σ²I).

    ``samples`` draws per solve; ``mu`` is the central-path value of each exact solve.
    Differentiating the average gives the bundled first-order gradient E_w[∇S₀(z + w)].
    """

    sigma: float = eqx.field(static=True)
    samples: int = eqx.field(static=True, default=32)
    mu_exact: float = eqx.field(static=True, default=1e-10)

    def __check_init__(self):
        _positive("RandomizedSmoothing.sigma", self.sigma)
        if self.samples < 1:
            raise ValueError(f"RandomizedSmoothing.samples must be >= 1, got {self.samples}")

    def mu(self, contact: ContactState) -> jax.Array:
        return jnp.asarray(self.mu_exact, jnp.float64)

    @property
    def n_samples(self) -> int:
        return self.samples

    def perturb(self, key: jax.Array, z: jax.Array) -> jax.Array:
        return z + self.sigma * jax.random.normal(key, jnp.shape(z), jnp.result_type(z))
