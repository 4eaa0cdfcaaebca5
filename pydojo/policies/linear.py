"""Stochastic policies u = π_θ(x, ς) with reparameterized Gaussian noise (barrier-smoothing paper, §4.1, eq. 4.2).

A policy is an ``equinox`` module: ``mean(x)`` is the deterministic action, ``act(x, noise)``
= mean(x) + σ·ς with ς ~ N(0, I) (so ∂u/∂θ exists for first-order gradients), and
``log_prob(x, u)`` is the Gaussian log-density used by the likelihood-ratio gradient (eq. 2.1).
Observations are normalised by a ``Normalizer`` (ARS V2's running mean/std) that is not
trained by gradients: ``trainable_filter`` marks what the optimizer updates.
"""
from __future__ import annotations

import abc
import math

import equinox as eqx
import jax
import jax.numpy as jnp


class Normalizer(eqx.Module):
    """Fixed affine observation normalisation x ↦ (x − mean)/std, refreshed from data by the trainer."""

    mean: jax.Array
    std: jax.Array

    @staticmethod
    def identity(size: int) -> "Normalizer":
        return Normalizer(jnp.zeros(size), jnp.ones(size))

    @staticmethod
    def from_data(observations: jax.Array, floor: float = 1e-2) -> "Normalizer":
        """Mean and std of ``observations`` (N, obs); std floored so constant coordinates stay finite."""
        obs = jnp.asarray(observations)
        return Normalizer(jnp.mean(obs, axis=0), jnp.maximum(jnp.std(obs, axis=0), floor))

    def __call__(self, x: jax.Array) -> jax.Array:
        return (x - self.mean) / self.std


class AbstractPolicy(eqx.Module):
    """Gaussian policy around a deterministic mean; ``noise_std`` σ is fixed (not trained)."""

    normalizer: Normalizer
    noise_std: float = eqx.field(static=True)
    action_low: float = eqx.field(static=True)
    action_high: float = eqx.field(static=True)

    @property
    @abc.abstractmethod
    def observation_size(self) -> int: ...

    @property
    @abc.abstractmethod
    def action_size(self) -> int: ...

    @abc.abstractmethod
    def raw_mean(self, z: jax.Array) -> jax.Array:
        """Action mean of the normalised observation z."""

    def mean(self, x: jax.Array) -> jax.Array:
        x = jnp.asarray(x)
        if x.shape != (self.observation_size,):
            raise ValueError(f"{type(self).__name__}: observation has shape {x.shape}, expected ({self.observation_size},)")
        return jnp.clip(self.raw_mean(self.normalizer(x)), self.action_low, self.action_high)

    def act(self, x: jax.Array, noise: jax.Array) -> jax.Array:
        """u = π_θ(x, ς) = mean(x) + σ ς (reparameterized)."""
        return self.mean(x) + self.noise_std * noise

    def log_prob(self, x: jax.Array, u: jax.Array) -> jax.Array:
        """log N(u; mean(x), σ²I)."""
        d = self.action_size
        r = (u - self.mean(x)) / self.noise_std
        return -0.5 * jnp.sum(r**2) - d * math.log(self.noise_std) - 0.5 * d * math.log(2 * math.pi)

    def sample_noise(self, key: jax.Array, shape: tuple = ()) -> jax.Array:
        return jax.random.normal(key, shape + (self.action_size,), jnp.float64)


def trainable_filter(policy: AbstractPolicy):
    """Filter spec: True on the arrays the optimizer updates (everything but the normalizer)."""
    spec = jax.tree_util.tree_map(eqx.is_inexact_array, policy)
    return eqx.tree_at(lambda p: p.normalizer, spec, replace=Normalizer(False, False))


def _check_common(noise_std: float, action_low: float, action_high: float) -> None:
    if not (noise_std > 0 and math.isfinite(noise_std)):
        raise ValueError(f"policy noise_std must be > 0 and finite, got {noise_std}")
    if not action_low < action_high:
        raise ValueError(f"policy action bounds need low < high, got ({action_low}, {action_high})")


class LinearPolicy(AbstractPolicy):
    """mean(x) = W·norm(x) + b (ARS's linear policy; W = 0 at initialisation by default)."""

    weight: jax.Array
    bias: jax.Array

    def __init__(self, observation_size: int, action_size: int, *, noise_std: float = 0.1, init_scale: float = 0.0,
                 action_low: float = -math.inf, action_high: float = math.inf, key: jax.Array | None = None,
                 bias: jax.Array | None = None):
        if observation_size < 1 or action_size < 1:
            raise ValueError(f"LinearPolicy needs observation_size, action_size >= 1, got {observation_size}, {action_size}")
        _check_common(noise_std, action_low, action_high)
        key = jax.random.PRNGKey(0) if key is None else key
        self.weight = init_scale * jax.random.normal(key, (action_size, observation_size), jnp.float64)
        self.bias = jnp.zeros(action_size) if bias is None else jnp.asarray(bias, jnp.float64).reshape(action_size)
        self.normalizer = Normalizer.identity(observation_size)
        self.noise_std, self.action_low, self.action_high = float(noise_std), float(action_low), float(action_high)

    @property
    def observation_size(self) -> int:
        return self.weight.shape[1]

    @property
    def action_size(self) -> int:
        return self.weight.shape[0]

    def raw_mean(self, z):
        return self.weight @ z + self.bias
