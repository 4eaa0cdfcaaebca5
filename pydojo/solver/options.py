"""Solver options, statistics and solutions."""
from __future__ import annotations

from typing import Optional

import equinox as eqx
import jax
import numpy as np

from pydojo.solver.batching import check_tail_fraction

ADJOINTS = ("implicit", "unrolled")
LINEAR_SOLVERS = ("auto", "schur", "dense")
BATCHINGS = ("auto", "vmap", "map")
MU_GRADIENTS = ("constant", "total")


class SolverOptions(eqx.Module):
    """Options of the interior-point method (all static).

    Stopping: ‖E‖∞ ≤ rtol and, for every pair, |λ∘s − μ_sc e|∞ ≤ comp_rtol·μ_sc + comp_atol·(1 + ‖λ‖‖s‖),
    i.e. the returned point lies on the central path at μ_sc to relative accuracy
    comp_rtol (documented default 1e-9) once μ_sc ≫ comp_atol.

    adjoint: "implicit" (differentiate the residual at the returned point) or
        "unrolled" (differentiate through max_iter iterations; a test reference).
    mu_gradient: "constant" holds μ fixed when differentiating (what Dojo does) or
        "total" includes ∂μ/∂data when μ is computed from the data.
    centrality: backtrack a step that would leave a pair with λᵀs < centrality·μ_sc (0 disables).
    stall_step: once a step is shorter than this (α < stall_step), the corrector of every later iteration
        aims each pair with μ_sc > 0 at μ_sc + σ·max(λᵢᵀsᵢ − μ_sc, 0) instead of μ_sc + σ·(mean excess),
        so that pairs already on target are not pushed off it while a few others converge (0 disables).
    trace: record per-iteration residuals, μ target, σ and step lengths.
    linear_solver: how each Newton system (and the implicit gradient's) is solved: "schur" eliminates
        the per-group blocks of a problem that declares a ``BlockStructure`` and factors the n_y × n_y
        Schur complement; "dense" LU-factors the whole reduced system (the reference); "auto" uses
        "schur" when the problem has a structure.
    batching: how a vmapped solve runs its batch (implicit adjoint only). "vmap" batches
        the linear algebra; "map" solves the problems one after another, each stopping at
        its own iteration count; "auto" maps on CPU when the Newton system has at least
        ``map_threshold`` rows (XLA:CPU's batched triangular solves are slow) and vmaps
        otherwise (and always on accelerators).
    tail_fraction: a vmapped batch (or chunk) of B ≥ 16 problems runs together until at most ⌈tail_fraction·B⌉
        of them still iterate; those are gathered into a batch of that size and finish alone, so the batch does
        not pay B times the slowest member's iterations (1 disables). Each problem's iterates are the same up to
        rounding. This and ``batch_chunk`` act where a vmapped solve batches (implicit adjoint, not "map").
    batch_chunk: a vmapped batch larger than this runs as consecutive chunks of this many problems (each with
        its own tail), which on CPU keeps a chunk's working set in cache (0: the whole batch at once). "auto":
        the power of two at or below 3000 / (n_y + 2·n_c), at least 32 (measured: LCPs with n = 4 run fastest
        unchunked at batch 256, n = 16 in chunks of 64, hopper/halfcheetah/ant steps in chunks of 32) on CPU;
        no chunks on other backends.
    """

    rtol: float = eqx.field(static=True, default=1e-10)
    comp_rtol: float = eqx.field(static=True, default=1e-9)
    comp_atol: float = eqx.field(static=True, default=1e-15)
    max_iter: int = eqx.field(static=True, default=50)
    max_ls: int = eqx.field(static=True, default=8)
    boundary_fraction: float = eqx.field(static=True, default=0.99)
    centrality: float = eqx.field(static=True, default=0.5)
    stall_step: float = eqx.field(static=True, default=1.0)
    init_scale: float = eqx.field(static=True, default=1.0)
    adjoint: str = eqx.field(static=True, default="implicit")
    mu_gradient: str = eqx.field(static=True, default="constant")
    trace: bool = eqx.field(static=True, default=False)
    linear_solver: str = eqx.field(static=True, default="auto")
    batching: str = eqx.field(static=True, default="auto")
    map_threshold: int = eqx.field(static=True, default=24)
    tail_fraction: float = eqx.field(static=True, default=0.125)
    batch_chunk: int | str = eqx.field(static=True, default="auto")

    def __check_init__(self):
        if self.adjoint not in ADJOINTS:
            raise ValueError(f"SolverOptions: adjoint must be one of {ADJOINTS}, got {self.adjoint!r}")
        if self.mu_gradient not in MU_GRADIENTS:
            raise ValueError(f"SolverOptions: mu_gradient must be one of {MU_GRADIENTS}, got {self.mu_gradient!r}")
        if self.linear_solver not in LINEAR_SOLVERS:
            raise ValueError(f"SolverOptions: linear_solver must be one of {LINEAR_SOLVERS}, got {self.linear_solver!r}")
        if self.batching not in BATCHINGS:
            raise ValueError(f"SolverOptions: batching must be one of {BATCHINGS}, got {self.batching!r}")
        if not (self.rtol > 0 and self.comp_rtol > 0 and self.comp_atol >= 0):
            raise ValueError("SolverOptions: rtol and comp_rtol must be > 0 and comp_atol >= 0")
        if self.max_iter < 1 or self.max_ls < 0:
            raise ValueError("SolverOptions: max_iter must be >= 1 and max_ls >= 0")
        if not 0.0 <= self.centrality < 1.0:
            raise ValueError(f"SolverOptions: centrality must be in [0, 1), got {self.centrality}")
        if not 0.0 <= self.stall_step <= 1.0:
            raise ValueError(f"SolverOptions: stall_step must be in [0, 1] (0 disables), got {self.stall_step}")
        chunk_ok = isinstance(self.batch_chunk, (int, np.integer)) and not isinstance(self.batch_chunk, bool)
        if self.batch_chunk != "auto" and not (chunk_ok and self.batch_chunk >= 0):
            raise ValueError(f"SolverOptions: batch_chunk must be 'auto' or an integer >= 0 (0: no chunks), "
                             f"got {self.batch_chunk!r}")
        check_tail_fraction(self.tail_fraction, "SolverOptions")
        if not 0.0 < self.boundary_fraction < 1.0:
            raise ValueError(f"SolverOptions: boundary_fraction must be in (0, 1), got {self.boundary_fraction}")


class Stats(eqx.Module):
    iterations: jax.Array
    eq_residual: jax.Array
    comp_residual: jax.Array


class Solution(eqx.Module):
    """y (free unknowns), lam and s (complementarity pairs), result (RESULTS code), stats, optional trace."""

    y: jax.Array
    lam: jax.Array
    s: jax.Array
    result: jax.Array
    stats: Stats
    trace: Optional[dict] = None
