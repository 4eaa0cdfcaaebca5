"""Fig. 2(a)/(b) of the barrier-smoothing paper: the ball-bouncing example through the hard-contact engine.

A ball (the registered ``ball`` mechanism, mass 1) starts at height q (its gap to the ground)
with vertical velocity −1 and takes one step of h = 1 (the seed's Appendix C.1 units). For
μ_sc ∈ {1e-10 (the exact model), 1e-3, 1e-2, 1e-1}: (a) the vertical velocity v_y after the step against q;
(b) ∂v_y/∂q by implicit differentiation through the solver. The exact model (μ → 0) jumps
where the ball starts to touch (an impulse in (b), slope 0 elsewhere for the free-fall side's
v_y = −1 − g h and the resting side v_y = −q/h); smoothing turns the jump into a smooth ramp.
"""
from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pydojo.backends.jax import build_system  # noqa: E402
from pydojo.engine import init, step  # noqa: E402

MUS = (1e-10, 1e-3, 1e-2, 1e-1)  # 1e-10 stands for the exact model μ = 0
HEIGHTS = jnp.linspace(0.0, 16.0, 321)
GRAVITY, TIMESTEP, V0 = 9.81, 1.0, -1.0


def vertical_velocity(system, height: jax.Array, mu: jax.Array) -> jax.Array:
    """v_y after one step from gap ``height`` with v_y = −1 (NaN, i.e. not drawn, where the solve failed)."""
    state = init(system, jnp.stack([0.0, height, 0.0]), jnp.array([0.0, V0, 0.0]))
    nxt = step(system, state, jnp.zeros(2), mu, throw=False)
    return jnp.where(nxt.stats.result == 0, nxt.v[1], jnp.nan)


def curves(system, mu: float) -> tuple[jax.Array, jax.Array]:
    """(v_y, ∂v_y/∂q) over ``HEIGHTS``."""
    value_and_grad = jax.value_and_grad(lambda q, m: vertical_velocity(system, q, m))
    return jax.jit(jax.vmap(value_and_grad, in_axes=(0, None)))(HEIGHTS, jnp.asarray(mu))


def main(out: pathlib.Path, runs: pathlib.Path | None = None) -> list[pathlib.Path]:
    out = pathlib.Path(out)
    system = build_system("ball", timestep=TIMESTEP, gravity=GRAVITY)  # friction > 0: see engine notes
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mu in MUS:
        v, dv = curves(system, mu)
        failed = int(jnp.sum(~jnp.isfinite(v)))
        if failed:
            print(f"fig2: mu={mu:g}: {failed} of {v.size} solves failed (left out of the plot)")
        exact = mu == MUS[0]
        style = dict(color="k", lw=2.5) if exact else dict(ls="--")
        label = f"exact (μ → 0: {mu:g})" if exact else f"μ = {mu:g}"
        ax_a.plot(HEIGHTS, v, label=label, **style)
        ax_b.plot(HEIGHTS, dv, label=label, **style)
    ax_a.set(xlabel="q (initial gap)", ylabel="v_y after one step", title="(a) v_y against q")
    ax_b.set(xlabel="q (initial gap)", ylabel="∂v_y/∂q", title="(b) derivative (implicit differentiation)",
             ylim=(-1.3, 0.3))
    ax_a.legend()
    ax_b.legend()
    fig.tight_layout()
    path = out / "fig2_ball_bouncing.png"
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return [path]
