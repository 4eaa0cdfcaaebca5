"""Optimal-control problems (seed eq. 1), a structured interior-point solver, IDOC sensitivities
(Proposition 1) and the IPOPT reference.

``make_solver(ocp, name, options)`` gives ``solve(x_init, theta, warm=None) -> Solution`` for
``name`` in SOLVERS; every solver returns the same Solution, so IDOC works on either.
"""
from __future__ import annotations

from typing import Any, Callable

from pydojo.ocp.idoc import IDOCOptions, vjp
from pydojo.options import checked_options
from pydojo.ocp.ipm import IPMOptions, Solution
from pydojo.ocp.ipm import solve as solve_ipm
from pydojo.ocp.problem import OCP, Theta, box_constraints

SOLVERS = ("ipm", "ipopt")


def make_solver(ocp: OCP, name: str = "ipm", options: dict[str, Any] | None = None) -> Callable[..., Solution]:
    """``name``: "ipm" (JAX, jit/vmap) or "ipopt" (CasADi on the host); ``options`` go to
    IPMOptions or IpoptSolver respectively."""
    options = dict(options or {})
    if name == "ipm":
        opts = IPMOptions(**checked_options(IPMOptions, options, "ocp.ipm"))
        return lambda x_init, theta, warm=None: solve_ipm(ocp, x_init, theta, opts, warm)
    if name == "ipopt":
        from pydojo.ocp.ipopt import callback_solver

        from pydojo.ocp.ipopt import IpoptSolver

        return callback_solver(ocp, **checked_options(IpoptSolver, options, "ocp.ipopt", skip=("ocp",)))
    raise ValueError(f"unknown OCP solver {name!r}; valid: {SOLVERS}")


__all__ = ["OCP", "Theta", "Solution", "IPMOptions", "IDOCOptions", "make_solver", "vjp", "box_constraints", "SOLVERS"]
