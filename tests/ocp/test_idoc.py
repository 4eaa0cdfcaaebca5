"""IDOC (Proposition 1) against central finite differences of the forward solve and against the
dense KKT formula, including a terminal stage whose number of active constraints differs from n."""
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.ocp import OCP, box_constraints, idoc, ipm
from pydojo.ocp.problem import JAX_OPS

from pydojo.envs import make as task


def _fd_vjp(solve, x0, theta, v, eps=1e-6):
    flat, unravel = jax.flatten_util.ravel_pytree(theta)
    out = []
    for j in range(flat.size):
        e = jnp.zeros_like(flat).at[j].set(eps)
        up, dn = solve(x0, unravel(flat + e)).us, solve(x0, unravel(flat - e)).us
        out.append(jnp.vdot(v, (up - dn) / (2 * eps)))
    return np.array(out)


def _dense_jacobian(ocp, sol, x0, theta, threshold):
    """∇_θu* from Proposition 1 with dense D, A, B, C built by jax.hessian/jacobian of the whole problem."""
    H, n, m = ocp.horizon, ocp.state_size, ocp.control_size
    act, act_H = idoc.active_sets(ocp, sol, threshold)
    zeta0 = jnp.concatenate([sol.xs.ravel(), sol.us.ravel()])
    th0, unravel = jax.flatten_util.ravel_pytree(theta)

    def split(zeta):
        return zeta[: (H + 1) * n].reshape(H + 1, n), zeta[(H + 1) * n:].reshape(H, m)

    def kappa(zeta, th):
        xs, us = split(zeta)
        f = jax.vmap(ocp.f, (0, 0, None))(xs[:-1], us, unravel(th).f)
        g = jax.vmap(ocp.g)(xs[:-1], us)[np.asarray(act)]
        g_H = ocp.g_H(xs[-1])[np.asarray(act_H)]
        return jnp.concatenate([x0 - xs[0], (f - xs[1:]).ravel(), g, g_H])

    act_np, act_H_np = np.asarray(act), np.asarray(act_H)
    mult = jnp.concatenate([sol.lam.ravel(), sol.z[act_np], sol.z_H[act_H_np]])

    def lagrangian(zeta, th):
        xs, us = split(zeta)
        return ocp.objective(xs, us, unravel(th)) + jnp.vdot(mult, kappa(zeta, th))

    D = jax.hessian(lagrangian)(zeta0, th0)
    B = jax.jacfwd(jax.grad(lagrangian), argnums=1)(zeta0, th0)
    A = jax.jacfwd(kappa)(zeta0, th0)
    C = jax.jacfwd(kappa, argnums=1)(zeta0, th0)
    Di_At = jnp.linalg.solve(D, A.T)
    Di_B = jnp.linalg.solve(D, B)
    dzeta = Di_At @ jnp.linalg.solve(A @ Di_At, A @ Di_B - C) - Di_B
    return dzeta[(H + 1) * n:].reshape(H, m, -1)


def _cartpole_with_terminal_box(horizon, bound):
    """Cartpole OCP with |u| ≤ bound and a terminal box on the cart position only (1 row < n = 4)."""
    env = task("cartpole", u_bound=bound)
    base = env.diffop_ocp(horizon)
    g_T, n_gT = box_constraints([-0.05, -np.inf, -np.inf, -np.inf], [0.05, np.inf, np.inf, np.inf], lambda x: x)
    ocp = OCP(stage_cost=base.stage_cost, terminal_cost=base.terminal_cost, dynamics=base.dynamics,
              state_size=4, control_size=1, horizon=horizon, theta_shapes=base.theta_shapes,
              stage_constraints=base.stage_constraints, num_stage_constraints=base.num_stage_constraints,
              terminal_constraints=lambda x, ops: ops.stack(g_T(x)), num_terminal_constraints=n_gT)
    return env, ocp


CASES = ["cartpole_bounds", "arm_bounds", "terminal_box"]


@pytest.fixture(scope="module", params=CASES)
def problem(request, jit_solve):
    if request.param == "cartpole_bounds":
        env = task("cartpole", u_bound=2.0)
        ocp = env.diffop_ocp(6)
    elif request.param == "arm_bounds":
        env = task("arm", u_bound=1.0)
        ocp = env.diffop_ocp(8)
    else:
        env, ocp = _cartpole_with_terminal_box(6, 3.0)
    theta = env.perturbed_theta(jax.random.PRNGKey(1), 0.3)
    x0 = jnp.asarray(env.initial_states[1])
    solve = jit_solve(ocp)
    sol = solve(x0, theta)
    assert int(sol.result) == 0
    return request.param, ocp, solve, sol, x0, theta


@pytest.mark.timeout(300)
def test_idoc_vjp_matches_finite_differences_and_dense_kkt(problem):
    name, ocp, solve, sol, x0, theta = problem
    act, act_H = idoc.active_sets(ocp, sol, 1e-5)
    assert int(act.sum()) > 0
    if name == "terminal_box":  # the IDOC corner case: active rows at the last stage != n
        assert int(act_H.sum()) == 1 != ocp.state_size
    v = jax.random.normal(jax.random.PRNGKey(0), sol.us.shape)
    g_theta, _ = jax.jit(lambda sol, th, v: idoc.vjp(ocp, sol, x0, th, v))(sol, theta, v)
    ours = np.asarray(jax.flatten_util.ravel_pytree(g_theta)[0])
    fd = _fd_vjp(solve, x0, theta, v)
    np.testing.assert_allclose(ours, fd, rtol=1e-5, atol=1e-5 * np.max(np.abs(fd)))
    dense = np.einsum("hm,hmp->p", np.asarray(v), np.asarray(_dense_jacobian(ocp, sol, x0, theta, 1e-5)))
    np.testing.assert_allclose(ours, dense, rtol=1e-8, atol=1e-8 * np.max(np.abs(dense)))


@pytest.mark.timeout(120)
def test_idoc_hessian_regularisation_is_a_small_perturbation(problem):
    _, ocp, _, sol, x0, theta = problem
    v = jnp.ones(sol.us.shape)
    exact = jax.flatten_util.ravel_pytree(idoc.vjp(ocp, sol, x0, theta, v)[0])[0]
    reg = jax.flatten_util.ravel_pytree(idoc.vjp(ocp, sol, x0, theta, v, opts=idoc.IDOCOptions(hessian_reg=1e-8))[0])[0]
    np.testing.assert_allclose(reg, exact, rtol=1e-4, atol=1e-6 * float(jnp.max(jnp.abs(exact))))
    assert not np.allclose(reg, exact, rtol=0, atol=0)


def test_idoc_rejects_bad_cotangent_and_options(problem):
    _, ocp, _, sol, x0, theta = problem
    with pytest.raises(ValueError, match="v_us has shape"):
        idoc.vjp(ocp, sol, x0, theta, jnp.ones((3, 7)))
    with pytest.raises(ValueError, match="threshold"):
        idoc.IDOCOptions(threshold=0.0)


def test_ops_namespace_is_jax():
    assert JAX_OPS.stack([jnp.asarray(1.0), jnp.asarray(2.0)]).shape == (2,)
