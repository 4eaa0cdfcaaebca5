"""AC power flow of a radial feeder in JAX (jit, vmap; checked against pandapower in tests/envs/test_voltage13.py).

Constant-power injections, per unit. A few backward/forward sweeps give the start: with I = conj(S_load / V)
the bus currents drawn, the current of the line into bus k is the sum of I over k's subtree, and
V_k = 1 − Σ z_b J_b over the lines b on the path from the slack; with T (lines × buses, T[b, k] = 1 when
bus k is below line b) one sweep is V ← 1 − Tᵀ diag(z) T I(V). Newton–Raphson on the mismatch
V ⊙ conj(YV) − S of the non-slack buses finishes it. The result says whether it converged; callers raise
on a flow that did not (never a silent number).
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def subtree_matrix(lines: np.ndarray, n_bus: int) -> np.ndarray:
    """T (n_lines, n_bus): T[b, k] = 1 when bus k is fed through line b; the network must be a tree rooted at bus 0."""
    parent = {int(t): (int(f), b) for b, (f, t) in enumerate(np.asarray(lines)[:, :2])}
    if len(parent) != n_bus - 1 or 0 in parent:
        raise ValueError("the feeder must be radial with one line into every bus but the slack (bus 0)")
    T = np.zeros((len(lines), n_bus))
    for k in range(1, n_bus):
        node, seen = k, set()
        while node != 0:
            if node in seen or node not in parent:
                raise ValueError(f"bus {k} is not connected to the slack bus 0 through a tree")
            seen.add(node)
            node, b = parent[node]
            T[b, k] = 1.0
    return T


class RadialFlow(eqx.Module):
    """T: subtree matrix; Y: bus admittance matrix (n_bus, n_bus) p.u.; z: line impedances p.u.; s_base: MVA.

    ``voltages`` runs ``sweeps`` backward/forward sweeps from the flat start (cheap, and enough on light
    loading) and then Newton–Raphson on the power mismatch of the non-slack buses (rectangular
    coordinates, Jacobian by forward-mode autodiff) until the mismatch is ≤ tol p.u. or max_iter: the sweep
    alone stalls on some heavily loaded scenarios here where pandapower's solvers converge.
    """

    T: jax.Array
    Y: jax.Array
    z: jax.Array
    s_base: float = eqx.field(static=True)
    tol: float = eqx.field(static=True, default=1e-11)
    sweeps: int = eqx.field(static=True, default=5)
    max_iter: int = eqx.field(static=True, default=30)

    def voltages(self, p_mw, q_mvar):
        """(complex bus voltages (n_bus,) p.u., converged) for net injections p, q (n_bus,) in MW, MVAr
        (generation positive). The slack is bus 0 at 1 p.u."""
        s_inj = (jnp.asarray(p_mw) + 1j * jnp.asarray(q_mvar)) / self.s_base
        drop = self.T.T * self.z[None, :]  # (n_bus, n_lines)
        n = self.T.shape[1]
        v = jnp.ones(n, jnp.complex128)
        for _ in range(self.sweeps):
            v = 1.0 - drop @ (self.T @ jnp.conj(-s_inj / v))

        def mismatch(x):
            vk = jnp.concatenate([jnp.ones(1), x[: n - 1] + 1j * x[n - 1:]])
            m = (vk * jnp.conj(self.Y @ vk) - s_inj)[1:]
            return jnp.concatenate([m.real, m.imag])

        def body(carry):
            x, _, it = carry
            x = x - jnp.linalg.solve(jax.jacfwd(mismatch)(x), mismatch(x))
            return x, jnp.max(jnp.abs(mismatch(x))), it + 1

        def cond(carry):
            _, err, it = carry
            return (err > self.tol) & (it < self.max_iter) & jnp.isfinite(err)

        x0 = jnp.concatenate([v[1:].real, v[1:].imag])
        x, err, _ = jax.lax.while_loop(cond, body, (x0, jnp.max(jnp.abs(mismatch(x0))), jnp.asarray(0)))
        return jnp.concatenate([jnp.ones(1), x[: n - 1] + 1j * x[n - 1:]]), err <= self.tol


def radial_flow(lines: np.ndarray, n_bus: int, v_kv: float, s_base: float, **options) -> RadialFlow:
    """RadialFlow from lines (from, to, r Ω, x Ω) of a feeder at v_kv kV, base s_base MVA."""
    z_base = v_kv**2 / s_base
    lines = np.asarray(lines, float)
    z = (lines[:, 2] + 1j * lines[:, 3]) / z_base
    Y = np.zeros((n_bus, n_bus), complex)
    for (f, t), y in zip(lines[:, :2].astype(int), 1.0 / z):
        Y[f, f] += y
        Y[t, t] += y
        Y[f, t] -= y
        Y[t, f] -= y
    return RadialFlow(jnp.asarray(subtree_matrix(lines[:, :2].astype(int), n_bus)), jnp.asarray(Y), jnp.asarray(z), s_base, **options)
