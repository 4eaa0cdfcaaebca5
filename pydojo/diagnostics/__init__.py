"""Diagnostics of the barrier-smoothing paper: gradient variance and bias (eq. 4.4, Thm. 4.2), model stiffness (Thm. 4.5),
and small systems with known answers."""
from pydojo.diagnostics.stiffness import jacobian_norms, step_jacobian
from pydojo.diagnostics.variance import flatten, gradient_samples, summarize, truncated_fopg

__all__ = ["jacobian_norms", "step_jacobian", "flatten", "gradient_samples", "summarize", "truncated_fopg"]
