"""The cone of the complementarity pairs (λ, s): a product of orthant entries and second-order cones.

Layout of a length-``n`` vector: first ``n_orthant`` scalar entries (each its own
pair, λᵢ ≥ 0 ⟂ sᵢ ≥ 0), then one block per second-order cone of the given sizes
(x = (x₀, x₁), x₀ ≥ ‖x₁‖; Dojo's "nonlinear" friction cone). The central path is
λ ∘ s = μ e with the Jordan product ∘ and identity e:

    orthant:  (λ ∘ s)ᵢ = λᵢ sᵢ,                      e = 1
    SOC:      λ ∘ s = (λᵀs, λ₀ s₁ + s₀ λ₁),          e = (1, 0, …, 0)

The number of pairs (the barrier degree) is ``n_orthant + len(soc)``.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


class Cone(eqx.Module):
    """Static description of the cone; a frozen Module so it can sit inside jitted problems."""

    n_orthant: int = eqx.field(static=True)
    soc: tuple[int, ...] = eqx.field(static=True, default=())

    def __check_init__(self):
        if self.n_orthant < 0:
            raise ValueError(f"Cone: n_orthant must be >= 0, got {self.n_orthant}")
        if any(int(k) < 2 for k in self.soc):
            raise ValueError(f"Cone: every second-order cone block needs size >= 2, got {self.soc}")

    @property
    def size(self) -> int:
        return self.n_orthant + int(sum(self.soc))

    @property
    def n_pairs(self) -> int:
        return self.n_orthant + len(self.soc)

    def _blocks(self) -> list[tuple[int, int]]:
        out, start = [], self.n_orthant
        for k in self.soc:
            out.append((start, start + k))
            start += k
        return out

    def _runs(self) -> list[tuple[int, int, int]]:
        """Consecutive SOC blocks of equal size as (start, count, size): each run is one vectorized operation."""
        runs, start = [], self.n_orthant
        for k in self.soc:
            if runs and runs[-1][2] == k:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1, k)
            else:
                runs.append((start, 1, k))
            start += k
        return runs

    @staticmethod
    def _run_view(x: jax.Array, run: tuple[int, int, int]) -> jax.Array:
        lo, count, k = run
        return x[lo : lo + count * k].reshape((count, k) + x.shape[1:])

    def pair_index(self) -> np.ndarray:
        """For every entry, the index of the pair it belongs to (length ``size``)."""
        idx = list(range(self.n_orthant))
        for b, (lo, hi) in enumerate(self._blocks()):
            idx += [self.n_orthant + b] * (hi - lo)
        return np.asarray(idx, dtype=np.int32)

    def identity(self) -> jax.Array:
        """The Jordan identity e (the neutral starting point of the interior-point method)."""
        e = np.zeros(self.size)
        e[: self.n_orthant] = 1.0
        for lo, _ in self._blocks():
            e[lo] = 1.0
        return jnp.asarray(e)

    def expand(self, per_pair: jax.Array) -> jax.Array:
        """μ per pair → μ e per entry (orthant: μᵢ; SOC block: (μ_b, 0, …, 0))."""
        return per_pair[self.pair_index()] * self.identity()

    def product(self, lam: jax.Array, s: jax.Array) -> jax.Array:
        """The Jordan product λ ∘ s (entrywise on the orthant part)."""
        parts = [lam[: self.n_orthant] * s[: self.n_orthant]]
        for run in self._runs():
            a, b = self._run_view(lam, run), self._run_view(s, run)
            head = jnp.sum(a * b, axis=1, keepdims=True)
            parts.append(jnp.concatenate([head, a[:, :1] * b[:, 1:] + b[:, :1] * a[:, 1:]], axis=1).reshape(-1))
        return jnp.concatenate(parts)

    def pair_products(self, lam: jax.Array, s: jax.Array) -> jax.Array:
        """λᵀs per pair (length ``n_pairs``): the per-pair complementarity measure."""
        return jax.ops.segment_sum(lam * s, self.pair_index(), num_segments=self.n_pairs)

    def arrow(self, x: jax.Array) -> jax.Array:
        """Arw(x), the matrix with Arw(x) y = x ∘ y (dense, block diagonal)."""
        mat = jnp.zeros((self.size, self.size), x.dtype)
        i = jnp.arange(self.n_orthant)
        mat = mat.at[i, i].set(x[: self.n_orthant])
        for lo, hi in self._blocks():
            mat = mat.at[lo:hi, lo:hi].set(_soc_arrow(x[lo:hi]))
        return mat

    def arrow_solve(self, x: jax.Array, rhs: jax.Array) -> jax.Array:
        """Arw(x)⁻¹ rhs for x in the cone's interior; ``rhs`` is (size,) or (size, m). Closed form per block."""
        vec = rhs.ndim == 1
        r = rhs[:, None] if vec else rhs
        parts = [r[: self.n_orthant] / x[: self.n_orthant, None]]
        for run in self._runs():
            xs, vs = self._run_view(x, run), self._run_view(r, run)
            parts.append(jax.vmap(_soc_arrow_solve)(xs, vs).reshape((-1,) + r.shape[1:]))
        out = jnp.concatenate(parts, axis=0)
        return out[:, 0] if vec else out

    def arrow_ratio_entries(self, lam: jax.Array, s: jax.Array) -> jax.Array:
        """The nonzero entries of W = Arw(λ)⁻¹Arw(s) (block diagonal) as one flat vector, then a 0:
        the orthant's s/λ, then each SOC block's k×k matrix row-major. ``arrow_ratio_index`` maps
        an (i, j) entry of W into it."""
        parts = [s[: self.n_orthant] / lam[: self.n_orthant]]
        for run in self._runs():
            ls, ss = self._run_view(lam, run), self._run_view(s, run)
            parts.append(jax.vmap(lambda a, b: _soc_arrow_solve(a, _soc_arrow(b)))(ls, ss).reshape(-1))
        parts.append(jnp.zeros(1, s.dtype))
        return jnp.concatenate(parts)

    def arrow_ratio_index(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Indices into ``arrow_ratio_entries`` of W[rows, cols] (elementwise; entries outside W's blocks map to its 0)."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        zero = self.n_orthant + sum(k * k for k in self.soc)
        out = np.full(np.broadcast(rows, cols).shape, zero, dtype=np.int32)
        r, c = np.broadcast_arrays(rows, cols)
        diag = (r == c) & (r < self.n_orthant)
        out[diag] = r[diag]
        offset = self.n_orthant
        for lo, hi in self._blocks():
            k = hi - lo
            inside = (r >= lo) & (r < hi) & (c >= lo) & (c < hi)
            out[inside] = offset + (r[inside] - lo) * k + (c[inside] - lo)
            offset += k * k
        return out

    def times_arrow_ratio(self, mat: jax.Array, lam: jax.Array, s: jax.Array) -> jax.Array:
        """mat · Arw(λ)⁻¹ Arw(s): a column scaling on the orthant part, small dense blocks for the cones."""
        parts = [mat[:, : self.n_orthant] * (s[: self.n_orthant] / lam[: self.n_orthant])[None, :]]
        for lo, hi in self._blocks():
            parts.append(mat[:, lo:hi] @ _soc_arrow_solve(lam[lo:hi], _soc_arrow(s[lo:hi])))
        return jnp.concatenate(parts, axis=1)

    def max_step(self, x: jax.Array, dx: jax.Array) -> jax.Array:
        """Largest α ≥ 0 with x + α dx in the cone (``inf`` if the ray never leaves it)."""
        o = slice(0, self.n_orthant)
        ratios = jnp.where(dx[o] < 0, -x[o] / jnp.where(dx[o] < 0, dx[o], -1.0), jnp.inf)
        alpha = jnp.min(ratios, initial=jnp.inf)
        for run in self._runs():
            steps = jax.vmap(_soc_max_step)(self._run_view(x, run), self._run_view(dx, run))
            alpha = jnp.minimum(alpha, jnp.min(steps))
        return alpha

    def interior_margin(self, x: jax.Array) -> jax.Array:
        """min over pairs of xᵢ (orthant) or x₀ − ‖x₁‖ (SOC); > 0 iff x is in the interior."""
        vals = [x[: self.n_orthant]]
        for run in self._runs():
            xs = self._run_view(x, run)
            vals.append(xs[:, 0] - jnp.linalg.norm(xs[:, 1:], axis=1))
        return jnp.min(jnp.concatenate(vals), initial=jnp.inf)


def _soc_arrow(x: jax.Array) -> jax.Array:
    """Arw(x) of one SOC block (k × k)."""
    k = x.shape[0]
    blk = x[0] * jnp.eye(k, dtype=x.dtype)
    return blk.at[0, 1:].set(x[1:]).at[1:, 0].set(x[1:])


def _soc_arrow_solve(x: jax.Array, r: jax.Array) -> jax.Array:
    """Arw(x)⁻¹ r for one SOC block, r of shape (k, m)."""
    x0, x1 = x[0], x[1:]
    v0, v1 = r[0], r[1:]
    det = x0**2 - jnp.dot(x1, x1)
    a0 = (x0 * v0 - x1 @ v1) / det
    a1 = (v1 - x1[:, None] * a0[None, :]) / x0
    return jnp.concatenate([a0[None, :], a1], axis=0)


def _soc_max_step(x: jax.Array, d: jax.Array) -> jax.Array:
    """Smallest positive root of (x₀+αd₀)² − ‖x₁+αd₁‖² = 0 for x in the interior (inf if none)."""
    a = d[0] ** 2 - jnp.dot(d[1:], d[1:])
    b = 2.0 * (x[0] * d[0] - jnp.dot(x[1:], d[1:]))
    c = x[0] ** 2 - jnp.dot(x[1:], x[1:])
    disc = b * b - 4.0 * a * c
    sq = jnp.sqrt(jnp.maximum(disc, 0.0))
    # Stable roots: q = -(b + sign(b) sqrt(disc))/2, roots q/a and c/q.
    q = -0.5 * (b + jnp.where(b >= 0, sq, -sq))
    r1 = jnp.where(jnp.abs(a) > 1e-300, q / jnp.where(jnp.abs(a) > 1e-300, a, 1.0), jnp.inf)
    r2 = jnp.where(jnp.abs(q) > 1e-300, c / jnp.where(jnp.abs(q) > 1e-300, q, 1.0), jnp.inf)
    roots = jnp.stack([r1, r2])
    roots = jnp.where((roots > 0) & (disc >= 0), roots, jnp.inf)
    # Also never cross the apex's mirror: keep x₀ + α d₀ > 0.
    apex = jnp.where(d[0] < 0, -x[0] / jnp.where(d[0] < 0, d[0], -1.0), jnp.inf)
    return jnp.minimum(jnp.min(roots), apex)
