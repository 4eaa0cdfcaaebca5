"""PDP offline (Jin et al. 2020, its inverse-optimal-control examples): θ = (θ_c, θ_H, θ_f) learned
by imitation of demonstrations from the true-parameter problem,

    ℓ(θ) = (1/n) Σ_d ‖x(θ; x_d0) − x_d‖² + ‖u(θ; x_d0) − u_d‖²,

where (x(θ), u(θ)) solves the policy problem with horizon T (the demonstrations' length) from the
demonstration's first state. ∇_θℓ is a vector–Jacobian product through the solution, computed by
IDOC (the derivative PDP's auxiliary LQR system computes). It uses no episode of the true
system while learning; its Fig. 2 line is the true-system control cost of the learned problem's
open-loop plan (Traj mode), evaluated like DiffOP's.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.ocp import Theta, vjp
from pydojo.policies.ocp import OCPPolicy


class Demonstrations(eqx.Module):
    """x0 (n_d, n), xs (n_d, T+1, n), us (n_d, T, m)."""

    x0: jax.Array
    xs: jax.Array
    us: jax.Array


def demonstrations(policy: OCPPolicy, theta_true: Theta, starts) -> Demonstrations:
    """Solve the true-parameter problem from each start (host loop; a failed solve raises)."""
    starts = np.asarray(starts, np.float64)
    if starts.ndim != 2 or starts.shape[1] != policy.ocp.state_size:
        raise ValueError(f"PDP: demonstration starts must have shape (n, {policy.ocp.state_size}), got {starts.shape}")
    plan = jax.jit(lambda x: policy.plan(theta_true, x))
    sols = [plan(jnp.asarray(x)) for x in starts]
    for x, sol in zip(starts, sols):
        if int(sol.result) != 0:
            raise RuntimeError(f"PDP: the true-parameter problem failed from demonstration start {x.tolist()} (result {int(sol.result)})")
    return Demonstrations(jnp.asarray(starts), jnp.stack([s.xs for s in sols]), jnp.stack([s.us for s in sols]))


class PDPImitation(eqx.Module):
    demos: Demonstrations

    @property
    def episodes_per_iteration(self) -> int:
        return 0

    def loss_and_grad(self, policy: OCPPolicy, theta: Theta):
        """(ℓ_d per demonstration (n_d,), ∇_θℓ as a Theta, failed solves)."""
        n = self.demos.x0.shape[0]

        def one(d):
            x0, xs_d, us_d = d
            sol = policy.plan(theta, x0)
            ex, eu = sol.xs - xs_d, sol.us - us_d
            g = vjp(policy.ocp, sol, x0, theta, 2.0 * eu / n, 2.0 * ex / n, opts=policy.idoc)[0]
            return jnp.sum(ex**2) + jnp.sum(eu**2), g, sol.result != 0

        losses, g, failed = jax.lax.map(one, (self.demos.x0, self.demos.xs, self.demos.us))
        return losses, jax.tree_util.tree_map(lambda v: jnp.sum(v, axis=0), g), jnp.sum(failed)

    def estimate(self, values, policy: OCPPolicy, env, theta: Theta, key):
        losses, grad, failed = self.loss_and_grad(policy, theta)
        return grad, losses, failed, {"imitation_loss": jnp.mean(losses)}
