"""Optimization-based policy (seed eq. 2): the first h actions of the solution of eq. (1).

Step mode: h = 1, re-solved every step (receding horizon), warm-started from the previous
solution (a failed warm start is retried cold before any error is raised). Traj mode: h = H, the whole planned sequence is executed open loop (re-planned
every H steps when the episode is longer than H).
"""
from __future__ import annotations

from typing import Callable

import equinox as eqx
import jax

from pydojo.ocp import IDOCOptions, OCP, Solution, Theta, vjp
from pydojo.solver.results import raise_if_failed

MODES = ("step", "traj")


class OCPPolicy(eqx.Module):
    """ocp: the policy problem; solve: ``make_solver(ocp, ...)``; mode: "step" or "traj";
    idoc: options of the sensitivity; throw: raise on any failed solve (default, never silent)."""

    ocp: OCP
    solve: Callable = eqx.field(static=True)
    mode: str = eqx.field(static=True, default="step")
    idoc: IDOCOptions = IDOCOptions()
    throw: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"OCPPolicy: mode must be one of {MODES}, got {self.mode!r}")

    @property
    def actions_per_solve(self) -> int:
        return 1 if self.mode == "step" else self.ocp.horizon

    @property
    def warm_start(self) -> bool:
        return self.mode == "step"

    def plan(self, theta: Theta, x, warm: Solution | None = None) -> Solution:
        sol = self.solve(x, theta, warm)
        if warm is not None:  # a failed warm start is retried from the cold start
            sol = jax.lax.cond(sol.result == 0, lambda: sol, lambda: self.solve(x, theta))
        if self.throw:
            sol = raise_if_failed(sol, sol.result, f"OCPPolicy ({self.mode} mode) OCP solve")
        return sol

    def action_vjp(self, theta: Theta, x, sol: Solution, v_actions: jax.Array) -> Theta:
        """Σ_t v_tᵀ ∂u*_t/∂θ for the executed actions t < h (v_actions (h, m)), by IDOC."""
        v_us = jax.numpy.zeros(sol.us.shape).at[: v_actions.shape[0]].set(v_actions)
        return vjp(self.ocp, sol, x, theta, v_us, opts=self.idoc)[0]
