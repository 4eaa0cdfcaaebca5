"""Solver outcomes: an integer code per problem (vmap-able) with a readable message.

Three tiers of errors (as in diffrax): shape/config mistakes raise ``ValueError``
at trace time; value checks under jit use ``equinox.error_if``; solver outcomes
are a ``RESULTS`` code, raised by default (``throw=True``) and otherwise reported.
"""
from __future__ import annotations

import enum

import equinox as eqx
import jax
import jax.numpy as jnp


class RESULTS(enum.IntEnum):
    successful = 0
    max_iterations_reached = 1
    nonfinite = 2
    singular_linear_system = 3
    line_search_failed = 4
    infeasible = 5

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    RESULTS.successful: "converged",
    RESULTS.max_iterations_reached: (
        "the interior-point method did not converge within max_iter iterations "
        "(raise SolverOptions.max_iter, loosen rtol, or check that the problem is well posed, e.g. F a P-matrix)"
    ),
    RESULTS.nonfinite: "NaN or Inf appeared in the problem data or in the iterates",
    RESULTS.singular_linear_system: "the Newton system was singular or too ill-conditioned to solve",
    RESULTS.line_search_failed: "the line search could not reduce the residual",
    RESULTS.infeasible: "the problem is infeasible (a Farkas certificate from the data, or the iterates diverged)",
}


def message(code: int) -> str:
    """Readable message of an integer result code."""
    return RESULTS(int(code)).message


def raise_if_failed(tree, result: jax.Array, where: str):
    """Return ``tree`` unchanged, raising (also under jit/vmap) if any ``result`` is not successful."""
    result = jnp.asarray(result)
    msgs = [f"{where}: {r.name}: {r.message}" for r in RESULTS]
    failed = result != RESULTS.successful
    index = jnp.where(failed, result, 0)
    if result.ndim:  # batch: report the first failure
        first = jnp.argmax(failed)
        index = index[first]
        failed = jnp.any(failed)
    return eqx.branched_error_if(tree, failed, index, msgs)
