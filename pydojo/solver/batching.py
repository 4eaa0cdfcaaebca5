"""Batching rules for the iterative solvers (the contact solver's and the OCP interior point's vmapped loops).

``batch_rule`` gives a per-problem function its own ``vmap`` rule. ``run_with_tail`` is the loop such rules use:
``jax.vmap`` of a ``while_loop`` runs every member until the slowest stops, so a batch of B costs B times the
slowest member's iterations; ``run_with_tail`` runs the batch together until at most ``tail`` members still
iterate, gathers those into a batch of ``tail`` that finishes alone, and puts them back: it costs about
B·(iterations until B − tail have stopped) + tail·(the slowest member's rest). Each member takes the same steps
as in ``jax.vmap`` (the step is the same function; a batch's size only changes rounding).
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np


def check_tail_fraction(fraction, owner: str) -> None:
    """The options' ``tail_fraction`` must be a number in (0, 1] (1 disables the tail)."""
    number = isinstance(fraction, (int, float, np.number)) and not isinstance(fraction, bool)
    if not (number and 0.0 < fraction <= 1.0):
        raise ValueError(f"{owner}: tail_fraction must be in (0, 1] (1 disables), got {fraction!r}")


def tail_size(size: int, fraction: float) -> int:
    """How many still-iterating members of a batch of ``size`` finish as a smaller batch (>= size: none)."""
    if size < 16:
        return size
    return max(1, math.ceil(round(fraction * size, 9)))  # round: 0.07 * 100 is 7, not 8


def run_with_tail(active, step, args, carry, tail: int):
    """Iterate ``carry = step(args, carry)`` on the members where ``active(carry)`` holds, until none does.

    active(carry) -> bool per member, (B,); step(args, carry) -> carry, for the whole batch (members that are not
    active must come back unchanged: ``masked_step``); args and carry: pytrees with a leading batch axis B.
    """
    size = jax.tree_util.tree_leaves(carry)[0].shape[0]
    if tail >= size:
        return jax.lax.while_loop(lambda c: jnp.any(active(c)), lambda c: step(args, c), carry)
    carry = jax.lax.while_loop(lambda c: jnp.sum(active(c)) > tail, lambda c: step(args, c), carry)
    # The (at most tail) members still iterating first; the rest of the gathered ones are done and stay put.
    idx = jnp.argsort(~active(carry), stable=True)[:tail]
    take = lambda tree: jax.tree_util.tree_map(lambda x: x[idx], tree)
    sub_args, sub = take(args), take(carry)
    sub = jax.lax.while_loop(lambda c: jnp.any(active(c)), lambda c: step(sub_args, c), sub)
    return jax.tree_util.tree_map(lambda x, y: x.at[idx].set(y), carry, sub)


def masked_step(active_one, advance_one):
    """The batch step of ``run_with_tail`` from a member's own: members whose ``active_one`` is False keep their
    carry."""

    def step(args, carry):
        def one(arg, c):
            new = advance_one(arg, c)
            keep = active_one(c)
            return jax.tree_util.tree_map(lambda x, y: jnp.where(keep, x, y), new, c)

        return jax.vmap(one)(args, carry)

    return step


def batch_rule(one, batched):
    """``one`` (a function of pytrees of arrays, for one problem) with a ``vmap`` rule: under vmap,
    ``batched(axis_size, *args)`` runs instead, with every argument given a leading batch axis (unbatched ones are
    broadcast), and returns outputs that all have one."""
    core = jax.custom_batching.custom_vmap(one)

    @core.def_vmap
    def _rule(axis_size, in_batched, *args):
        args = jax.tree_util.tree_map(
            lambda x, b: x if b else jnp.broadcast_to(x, (axis_size,) + jnp.shape(x)), args, tuple(in_batched))
        out = batched(axis_size, *args)
        return out, jax.tree_util.tree_map(lambda _: True, out)

    return core
