"""The simulator state shared by every backend (JAX engine and Dojo.jl)."""
from __future__ import annotations

import equinox as eqx
import jax


class SolverStats(eqx.Module):
    """Statistics of the contact solve of the last step (scalars, or batched under vmap)."""

    iterations: jax.Array
    eq_residual: jax.Array  # ∞-norm of the equality residual at the returned point
    comp_residual: jax.Array  # max |λ∘s − μ_sc e| at the returned point
    result: jax.Array  # pydojo.solver.RESULTS code


class State(eqx.Module):
    """Generalized coordinates and velocities plus what the last contact solve returned.

    q: (nq,) positions in MuJoCo's layout (free-joint quaternions w,x,y,z).
    v: (nv,) velocities.
    gamma: (nc,) normal impulses of the last step, one per contact candidate.
    friction: (nc, nd) friction impulses (nd directions, or the cone's tangent part).
    phi: (nc,) signed distances after the step.
    mu: scalar central-path value μ_sc used for the last step.
    stats: SolverStats of the last step.
    """

    q: jax.Array
    v: jax.Array
    gamma: jax.Array
    friction: jax.Array
    phi: jax.Array
    mu: jax.Array
    stats: SolverStats
