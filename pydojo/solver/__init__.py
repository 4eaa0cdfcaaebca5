"""Primal-dual interior-point solver for complementarity problems, stopped on the central path at μ_sc.

Knows nothing of robots. ``solve(MCP, data, mu)`` / ``solve_lcp(F, q, mu)``; gradients by
implicit differentiation (default) or by unrolling; results as ``RESULTS`` codes.
"""
from pydojo.solver.cones import Cone
from pydojo.solver.options import Solution, SolverOptions, Stats
from pydojo.solver.problems import MCP, lcp_problem
from pydojo.solver.structure import BlockStructure
from pydojo.solver.results import RESULTS, message, raise_if_failed
from pydojo.solver.solve import solve, solve_lcp

__all__ = ["BlockStructure", "Cone", "MCP", "lcp_problem", "RESULTS", "message", "raise_if_failed", "Solution",
           "SolverOptions", "Stats", "solve", "solve_lcp"]
