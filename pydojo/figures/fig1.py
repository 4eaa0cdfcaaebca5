"""Fig. 1(c)/(d) of the barrier-smoothing paper: the contact-aware μ(z) and the 1-D contact force it produces.

1(c): μ(z) = κ(z)(z + Fκ(z)) (eq. 5.1 in its normalised form) for a few σ.
1(d): λ = S_μ(z) from the interior-point solver: exact (μ_sc = 1e-12), constant μ, and
contact-aware μ(z), which equals the Gaussian-smoothed exact force (Prop. 5.1).
"""
from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pydojo.smoothing import ContactState, GaussianMu  # noqa: E402
from pydojo.solver import solve_lcp  # noqa: E402

F = 1.0
SIGMAS = (0.05, 0.1, 0.2)
CONSTANT_MUS = (1e-3, 1e-2, 1e-1)
Z = jnp.linspace(-0.6, 0.6, 401)


def contact_force(z: jax.Array, mu: jax.Array) -> jax.Array:
    """λ solving λ(z + Fλ) = μ for a batch of (z, μ), by the solver."""
    return jax.vmap(lambda zz, m: solve_lcp(jnp.array([[F]]), jnp.array([zz]), m).lam[0])(z, mu)


def schedule_mu(z: jax.Array, sigma: float) -> jax.Array:
    return GaussianMu(sigma=sigma).mu(ContactState.from_offset(z, F))


def main(out: pathlib.Path, runs: pathlib.Path | None = None) -> list[pathlib.Path]:
    out = pathlib.Path(out)
    force = jax.jit(contact_force)
    fig, (ax_c, ax_d) = plt.subplots(1, 2, figsize=(11, 4.2))
    for sigma in SIGMAS:
        ax_c.semilogy(Z, schedule_mu(Z, sigma), label=f"σ = {sigma}")
    ax_c.set(xlabel="z = Dx + Eu + d", ylabel="μ(z)", title="(c) contact-aware μ(z), eq. 5.1", ylim=(1e-8, 1))
    ax_c.legend()

    ax_d.plot(Z, force(Z, jnp.full_like(Z, 1e-12)), "k", lw=2.5, label="exact (μ → 0)")
    for mu in CONSTANT_MUS:
        ax_d.plot(Z, force(Z, jnp.full_like(Z, mu)), "--", label=f"constant μ = {mu:g}")
    sigma = SIGMAS[1]
    ax_d.plot(Z, force(Z, schedule_mu(Z, sigma)), "r", lw=1.8, label=f"contact-aware μ(z), σ = {sigma}")
    ax_d.set(xlabel="z", ylabel="contact force λ", title="(d) contact force", ylim=(-0.02, 0.65))
    ax_d.legend()
    fig.tight_layout()
    path = out / "fig1_contact_aware_mu.png"
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return [path]
