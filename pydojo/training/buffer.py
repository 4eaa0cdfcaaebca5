"""Transition data set D of Algorithm 1: a fixed-capacity ring buffer of (x_t, u_t, x_{t+1}) pytrees.

The buffer is a plain pytree of arrays with a fixed leading capacity, so it is saved in and
restored from checkpoints like every other piece of trainer state (exact resume).
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


class Buffer(eqx.Module):
    states: object  # physics pytree, leaves (capacity, ...)
    actions: jax.Array  # (capacity, nu)
    next_states: object
    count: jax.Array  # transitions stored so far (saturates at capacity)
    position: jax.Array  # next slot to write

    @staticmethod
    def empty(physics_template, action_size: int, capacity: int) -> "Buffer":
        if capacity < 1:
            raise ValueError(f"buffer_size must be >= 1, got {capacity}")
        alloc = lambda x: jnp.zeros((capacity,) + jnp.shape(x), jnp.result_type(x))
        states = jax.tree_util.tree_map(alloc, physics_template)
        return Buffer(states, jnp.zeros((capacity, action_size)), states, jnp.zeros((), jnp.int32),
                      jnp.zeros((), jnp.int32))

    @property
    def capacity(self) -> int:
        return self.actions.shape[0]

    def add(self, states, actions, next_states, mask) -> "Buffer":
        """Append the rows of (states, actions, next_states) (leading axes flattened) where ``mask`` is 1."""
        keep = np.flatnonzero(np.asarray(mask).reshape(-1) > 0.5)
        if keep.size == 0:
            return self
        keep = keep[-self.capacity:]
        idx = (int(self.position) + np.arange(keep.size)) % self.capacity
        def put(buf, new):  # in NumPy: eager .at[idx].set would compile a scatter per distinct keep.size
            out = np.array(buf)
            new = np.asarray(new)  # (explicit row count: -1 is ambiguous for empty fields, e.g. no friction directions)
            out[idx] = new.reshape((new.shape[0] * new.shape[1],) + new.shape[2:])[keep]
            return jnp.asarray(out)

        return Buffer(jax.tree_util.tree_map(put, self.states, states), put(self.actions, actions),
                      jax.tree_util.tree_map(put, self.next_states, next_states),
                      jnp.asarray(min(int(self.count) + keep.size, self.capacity), jnp.int32),
                      jnp.asarray((int(self.position) + keep.size) % self.capacity, jnp.int32))

    def sample(self, key, n: int):
        """n transitions drawn uniformly (with replacement) from the stored ones."""
        if int(self.count) == 0:
            raise ValueError("the transition buffer is empty: collect data before sampling")
        idx = jax.random.randint(key, (n,), 0, int(self.count))
        take = lambda x: x[idx]
        return (jax.tree_util.tree_map(take, self.states), self.actions[idx],
                jax.tree_util.tree_map(take, self.next_states))
