"""Problems the solver once failed on, kept so that the failures cannot come back."""
import dataclasses
import pathlib

import gymnasium
import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from pydojo.engine import make_system
from pydojo.engine.contact import ContactData, contact_problem, pair_mu
from pydojo.solver import RESULTS, SolverOptions, solve, solve_lcp

DATA = pathlib.Path(__file__).parent / "data"


def _skew_dominated():
    skew = np.zeros((5, 5))
    skew[0, 1], skew[1, 2] = 1.0, 2.0
    return 0.1 * np.eye(5) + (skew - skew.T), np.array([-6.0, 0, 0, 0, 0])


@pytest.mark.timeout(120)
def test_skew_dominated_monotone_lcp_at_large_mu():
    """Found by the hypothesis property test: a barely definite symmetric part (0.1 I), a strong skew
    part and mu_sc = 0.1. Without the centrality safeguard of the line search (centrality=0) the
    iterate leaves the central path's neighbourhood and stalls; with it, it converges."""
    F, q = _skew_dominated()
    stalled = solve_lcp(F, q, 0.1, throw=False, options=SolverOptions(centrality=0.0))
    assert int(stalled.result) == RESULTS.max_iterations_reached
    sol = solve_lcp(F, q, 0.1)
    np.testing.assert_allclose(sol.lam * sol.s, 0.1, rtol=1e-8)
    np.testing.assert_allclose(sol.s, F @ sol.lam + q, atol=1e-9)


@pytest.mark.timeout(120)
def test_the_same_problem_converges_at_small_mu():
    F, q = _skew_dominated()
    sol = solve_lcp(F, q, 1e-8)
    np.testing.assert_allclose(sol.lam * sol.s, 1e-8, rtol=1e-6)


def _walker2d_v5_stall():
    """A step problem of gymnasium's walker2d_v5 (Euler) at mu_sc = 1e-8: tests/engine/test_every_gymnasium_model.py's
    random-action rollout, environment 1, step 93 (its ContactData saved with np.savez_compressed). Near free
    flight: 14 candidates far from the ground, 12 joint-limit sides, friction multipliers at 1e-8 against sliding
    speeds of about 4 m/s."""
    assets = pathlib.Path(gymnasium.__file__).parent / "envs" / "mujoco" / "assets"
    model = mujoco.MjModel.from_xml_path(str(assets / "walker2d_v5.xml"))
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    system = make_system(model)
    with np.load(DATA / "walker2d_v5_stall.npz") as stored:
        data = ContactData(**{name: jnp.asarray(stored[name]) for name in stored.files})
    return system, contact_problem(system), data


@pytest.mark.timeout(240)
def test_a_walker_step_that_stalled_with_a_uniform_corrector_target():
    """With the uniform corrector target μ_sc + σ·(mean excess) throughout (stall_step=0), the pairs already at
    μ_sc were pushed off it while a few others converged: steps of α ≈ 0.01–0.05 for ~40 iterations and no
    convergence within max_iter = 50 (126 iterations). With the default per-pair targets it converges, and the
    point returned is checked here from the equations themselves, not from the solver's status."""
    system, problem, data = _walker2d_v5_stall()
    mu = pair_mu(system, jnp.asarray(1e-8))
    options = system.solver_options

    def run(opts):
        return jax.jit(lambda d: solve(problem, d, mu, init_y=d.velocity, options=opts, throw=False))(data)

    stalled = run(dataclasses.replace(options, stall_step=0.0))
    assert int(stalled.result) == RESULTS.max_iterations_reached
    sol = run(options)
    assert int(sol.result) == RESULTS.successful and int(sol.stats.iterations) < options.max_iter
    residual = np.asarray(problem.residual(sol.y, sol.lam, sol.s, data))
    np.testing.assert_allclose(residual, 0.0, atol=1e-9)
    products = np.asarray(sol.lam) * np.asarray(sol.s)
    np.testing.assert_allclose(products, np.asarray(problem.cone.expand(mu)), rtol=1e-6, atol=1e-14)
    assert np.all(np.asarray(sol.lam) > 0) and np.all(np.asarray(sol.s) > 0)
