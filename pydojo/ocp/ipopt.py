"""The reference solver: eq. (1) through IPOPT via CasADi (``ocp.solver=ipopt``).

The OCP's model functions are evaluated on CasADi symbols through ``CASADI_OPS``, so IPOPT
solves exactly the problem the JAX solver solves, with CasADi's own exact derivatives.
Not jit-able; it runs one initial state at a time on the host.
"""
from __future__ import annotations

import types

import casadi as ca
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.ocp.ipm import Solution, Stats
from pydojo.ocp.problem import OCP, Theta
from pydojo.solver.results import RESULTS

CASADI_OPS = types.SimpleNamespace(sin=ca.sin, cos=ca.cos, sqrt=ca.sqrt, stack=lambda xs: ca.vertcat(*xs))


def _column(v):
    return ca.vertcat(*v) if isinstance(v, (list, tuple)) else v


def _scalars(v):
    return [v[j] for j in range(v.shape[0])]


class IpoptSolver:
    """Builds the NLP once per OCP; ``solve(x_init, theta)`` returns a Solution (numpy arrays).

    Decision vector: (x_0, u_0, x_1, ..., u_{H-1}, x_H); x_0 = x_init is a constraint, as in
    the JAX solver, so the multipliers have the same meaning.
    """

    def __init__(self, ocp: OCP, tol: float = 1e-10, max_iter: int = 3000, print_level: int = 0):
        self.ocp = ocp
        H, n, m = ocp.horizon, ocp.state_size, ocp.control_size
        nc, nh, nf = (int(np.prod(s)) for s in ocp.theta_shapes)
        w = ca.SX.sym("w", (H + 1) * n + H * m)
        p = ca.SX.sym("p", n + nc + nh + nf)
        xs = [w[i * (n + m): i * (n + m) + n] for i in range(H + 1)]
        us = [w[i * (n + m) + n: i * (n + m) + n + m] for i in range(H)]
        x_init, th_c, th_h, th_f = p[:n], p[n:n + nc], p[n + nc:n + nc + nh], p[n + nc + nh:]
        obj = sum(ocp.stage_cost(_scalars(xs[i]), _scalars(us[i]), _scalars(th_c), CASADI_OPS) for i in range(H))
        obj = obj + ocp.terminal_cost(_scalars(xs[H]), _scalars(th_h), CASADI_OPS)
        eq = [x_init - xs[0]] + [_column(ocp.dynamics(_scalars(xs[i]), _scalars(us[i]), _scalars(th_f), CASADI_OPS)) - xs[i + 1] for i in range(H)]
        ineq = []
        if ocp.stage_constraints is not None:
            ineq += [_column(ocp.stage_constraints(_scalars(xs[i]), _scalars(us[i]), CASADI_OPS)) for i in range(H)]
        if ocp.terminal_constraints is not None:
            ineq += [_column(ocp.terminal_constraints(_scalars(xs[H]), CASADI_OPS))]
        g = ca.vertcat(*eq, *ineq)
        self.n_eq, self.n_ineq = (H + 1) * n, g.shape[0] - (H + 1) * n
        opts = {"ipopt.tol": tol, "ipopt.print_level": print_level, "print_time": False,
                "ipopt.max_iter": max_iter, "ipopt.sb": "yes"}
        self._nlp = ca.nlpsol("ocp", "ipopt", {"x": w, "p": p, "f": obj, "g": g}, opts)
        self.lbg = np.concatenate([np.zeros(self.n_eq), -np.inf * np.ones(self.n_ineq)])
        self.ubg = np.zeros(self.n_eq + self.n_ineq)

    def solve(self, x_init, theta: Theta, x_guess=None, u_guess=None) -> Solution:
        ocp = self.ocp
        ocp.check_theta(theta)
        H, n, m = ocp.horizon, ocp.state_size, ocp.control_size
        x_init = np.asarray(x_init, np.float64)
        if x_init.shape != (n,) or not np.all(np.isfinite(x_init)):
            raise ValueError(f"IpoptSolver: initial state must be finite with shape ({n},), got {x_init}")
        p = np.concatenate([x_init, np.ravel(theta.c), np.ravel(theta.H), np.ravel(theta.f)])
        xg = np.tile(x_init, (H + 1, 1)) if x_guess is None else np.asarray(x_guess)
        ug = np.zeros((H, m)) if u_guess is None else np.asarray(u_guess)
        w0 = np.concatenate([np.concatenate([xg[i], ug[i]]) for i in range(H)] + [xg[H]])
        out = self._nlp(x0=w0, p=p, lbg=self.lbg, ubg=self.ubg)
        stats = self._nlp.stats()
        w = np.asarray(out["x"]).ravel()
        lam_g = np.asarray(out["lam_g"]).ravel()
        xs = np.stack([w[i * (n + m): i * (n + m) + n] for i in range(H + 1)])
        us = np.stack([w[i * (n + m) + n: i * (n + m) + n + m] for i in range(H)])
        n_g, n_gH = ocp.num_stage_constraints, ocp.num_terminal_constraints
        z = lam_g[self.n_eq:self.n_eq + H * n_g].reshape(H, n_g)
        z_H = lam_g[self.n_eq + H * n_g:]
        g_all = np.asarray(out["g"]).ravel()[self.n_eq:]
        # CasADi's multipliers enter as f + λᵀg; ours as f + λᵀ(x_init − x_0) + λᵀ(f − x_{i+1}).
        lam = lam_g[: self.n_eq].reshape(H + 1, n)
        result = RESULTS.successful if stats["success"] else RESULTS.max_iterations_reached
        if stats.get("return_status") == "Infeasible_Problem_Detected":
            result = RESULTS.infeasible
        return Solution(xs, us, lam, -g_all[:H * n_g].reshape(H, n_g), z, -g_all[H * n_g:], z_H,
                        np.asarray(int(result)), Stats(np.asarray(stats["iter_count"]), np.asarray(np.nan), np.asarray(0.0),
                                                               np.asarray(-1)))


def callback_solver(ocp: OCP, **ipopt_options):
    """A jit/vmap-compatible ``solve(x_init, theta, warm=None) -> Solution`` that calls IPOPT on
    the host (``jax.pure_callback``, one problem after another under vmap)."""
    solver = IpoptSolver(ocp, **ipopt_options)
    H, n, m = ocp.horizon, ocp.state_size, ocp.control_size
    ng, ngH = ocp.num_stage_constraints, ocp.num_terminal_constraints
    f64 = lambda *s: jax.ShapeDtypeStruct(s, jnp.float64)  # noqa: E731
    shapes = Solution(f64(H + 1, n), f64(H, m), f64(H + 1, n), f64(H, ng), f64(H, ng), f64(ngH), f64(ngH),
                      jax.ShapeDtypeStruct((), jnp.int32), Stats(jax.ShapeDtypeStruct((), jnp.int32), f64(), f64(),
                                                                   jax.ShapeDtypeStruct((), jnp.int32)))

    def host(x_init, c, h, f, xg, ug):
        sol = solver.solve(np.asarray(x_init), Theta(np.asarray(c), np.asarray(h), np.asarray(f)), np.asarray(xg), np.asarray(ug))
        return jax.tree_util.tree_map(lambda v, s: np.asarray(v, s.dtype).reshape(s.shape), sol, shapes)

    def solve(x_init, theta: Theta, warm: Solution | None = None) -> Solution:
        theta = ocp.check_theta(theta)
        x_init = ocp.check_state(x_init)
        xg = jnp.tile(x_init, (H + 1, 1)) if warm is None else warm.xs.at[0].set(x_init)
        ug = jnp.zeros((H, m)) if warm is None else warm.us
        return jax.pure_callback(host, shapes, x_init, theta.c, theta.H, theta.f, xg, ug, vmap_method="sequential")

    return solve
