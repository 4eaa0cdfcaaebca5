"""The analytic schedules: constant μ, the Gaussian form (eq. 5.1) and the distance form (eq. 7.1)."""
from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy.stats import norm

from pydojo.smoothing.base import AbstractSmoothing, ContactState


def _positive(name: str, value: float, allow_zero: bool = False) -> None:
    ok = value >= 0 if allow_zero else value > 0
    if not (ok and math.isfinite(value)):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'} and finite, got {value}")


class ConstantMu(AbstractSmoothing):
    """μ_sc = value everywhere (value → 0, e.g. 1e-10, is the exact complementarity model)."""

    value: float = eqx.field(static=True)

    def __check_init__(self):
        _positive("ConstantMu.value", self.value, allow_zero=True)

    def mu(self, contact: ContactState) -> jax.Array:
        return jnp.asarray(self.value, jnp.float64)


def gaussian_smoothed_force(z: jax.Array, compliance: jax.Array, sigma: float) -> jax.Array:
    """κ(z) = E_w[S₀(z + w)], w ~ N(0, σ²), for S₀(z) = max(−z/F, 0).

    With X = −(z + w) ~ N(−z, σ²), E[X⁺] = −z·Φ(−z/σ) + σ·φ(z/σ), hence
    κ(z) = (σ φ(z/σ) − z Φ(−z/σ)) / F. Its derivative is −Φ(−z/σ)/F, the
    randomized-smoothing gradient E_w[∇S₀(z + w)] of Prop. 5.1.
    """
    u = z / sigma
    return (sigma * norm.pdf(u) - z * norm.cdf(-u)) / compliance


class GaussianMu(AbstractSmoothing):
    """Contact-aware Gaussian form (Prop. 5.1/5.2, eq. 5.1): μ(z) = κ(z)·(z + F κ(z)).

    At this μ the 1-contact frictionless LCP λ(z + Fλ) = μ has the solution λ = κ(z),
    the Gaussian-smoothed exact force. (The paper's eq. 5.1 writes κ with an unnormalised
    "erf" and free constants c₁, c₂; this is the normalised form its proof uses.)
    Per contact i it uses zᵢ and the compliance Fᵢ. ``per_contact=False`` returns the
    largest value (one μ for the whole problem). ``mu_min`` floors μ where κ ≈ S₀.
    """

    sigma: float = eqx.field(static=True)
    per_contact: bool = eqx.field(static=True, default=True)
    mu_min: float = eqx.field(static=True, default=1e-12)

    def __check_init__(self):
        _positive("GaussianMu.sigma", self.sigma)
        _positive("GaussianMu.mu_min", self.mu_min, allow_zero=True)

    def mu(self, contact: ContactState) -> jax.Array:
        kappa = gaussian_smoothed_force(contact.z, contact.compliance, self.sigma)
        mu = jnp.maximum(kappa * (contact.z + contact.compliance * kappa), self.mu_min)
        return mu if self.per_contact else jnp.max(mu)


class DistanceMu(AbstractSmoothing):
    """Contact-aware distance form (eq. 7.1), one μ per problem:

        μ = scale · (gain · min(min_{i∈I} |φᵢ|, cap)² + 1)^(−power),
        I = {i : γᵢ of the previous step ≤ gamma_active}  (inactive impact contacts).

    Defaults are the paper's (1e-2, 10, 1, 4, 1). When I is empty (every contact is
    pressed), μ = mu_inactive (the paper's "μ ≈ 1e-10 when all impact contacts are
    active"); note the formula itself gives 1e-2·11⁻⁴ ≈ 6.8e-7 at |φ| ≥ cap, not 1e-10.
    """

    scale: float = eqx.field(static=True, default=1e-2)
    gain: float = eqx.field(static=True, default=10.0)
    cap: float = eqx.field(static=True, default=1.0)
    power: float = eqx.field(static=True, default=4.0)
    gamma_active: float = eqx.field(static=True, default=1.0)
    mu_inactive: float = eqx.field(static=True, default=1e-10)

    def __check_init__(self):
        for name in ("scale", "gain", "cap", "power"):
            _positive(f"DistanceMu.{name}", getattr(self, name))
        _positive("DistanceMu.mu_inactive", self.mu_inactive, allow_zero=True)

    def mu(self, contact: ContactState) -> jax.Array:
        inactive = contact.gamma <= self.gamma_active
        dist = jnp.min(jnp.where(inactive, jnp.abs(contact.phi), jnp.inf), initial=jnp.inf)
        value = self.scale * (self.gain * jnp.minimum(dist, self.cap) ** 2 + 1.0) ** (-self.power)
        return jnp.where(jnp.any(inactive), value, self.mu_inactive)
