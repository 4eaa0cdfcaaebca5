"""Model stiffness along trajectories (Thm. 4.5): spectral norms of the step Jacobian ∂x_{t+1}/∂x_t.

For an engine state x = (q, v) the Jacobian of one environment step w.r.t. (q, v) is taken by
forward-mode differentiation through the contact solve (implicit gradients at μ_sc); its largest
singular value is the local Lipschitz constant L_f of eq. (4.4) along the visited states.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.training.tasks import as_env_state, state_vector


def step_jacobian(env, physics, action, key=None) -> jax.Array:
    """∂x'/∂x of one environment step at (physics, action), x = (q, v) for engine states."""
    if hasattr(physics, "q"):
        nq = physics.q.shape[0]

        def f(x):
            p = eqx.tree_at(lambda s: (s.q, s.v), physics, (x[:nq], x[nq:]))
            return state_vector(env.step(as_env_state(env, p), action, key).physics)
    else:
        def f(x):
            return state_vector(env.step(as_env_state(env, x), action, key).physics)
    return jax.jacfwd(f)(state_vector(physics))


def jacobian_norms(env, physics_batch, actions) -> jax.Array:
    """Spectral norms ‖∂x_{t+1}/∂x_t‖₂ over a batch of states (leading axis) and actions."""
    jac = jax.vmap(lambda p, u: step_jacobian(env, p, u))(physics_batch, actions)
    return jnp.linalg.norm(jac, ord=2, axis=(-2, -1))
