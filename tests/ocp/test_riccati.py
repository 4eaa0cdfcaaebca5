"""The Riccati recursion of the OCP interior point against the dense KKT system of the same LQ problem
(numpy's LU), for control sizes on both sides of the unrolled factorization (m ≤ UNROLL_MAX) and the
LAPACK one, and its inertia test on a stage whose reduced Hessian is indefinite."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pydojo  # noqa: F401  (x64)
from pydojo.ocp import riccati


def _random_lq(rng, H, n, m, indefinite_stage=None):
    W = []
    for i in range(H):
        R = rng.normal(size=(n + m, n + m))
        Wi = R @ R.T / (n + m) + 0.1 * np.eye(n + m)
        if i == indefinite_stage:
            Wi[n:, n:] -= 50.0 * np.eye(m)
        W.append(Wi)
    R = rng.normal(size=(n, n))
    return dict(W=np.array(W), q=rng.normal(size=(H, n + m)), W_H=R @ R.T / n + 0.1 * np.eye(n),
                q_H=rng.normal(size=n), A=np.eye(n) + 0.3 * rng.normal(size=(H, n, n)),
                B=rng.normal(size=(H, n, m)), d=rng.normal(size=(H + 1, n)))


def _dense(lq):
    """Stationarity W z + q + Eᵀλ = 0 and E z + e = 0, z = (dx_0..dx_H, du_0..du_{H-1}), with the rows
    e_0 = d_0 − dx_0 and e_{i+1} = A_i dx_i + B_i du_i + d_{i+1} − dx_{i+1} (ipm.py's sign convention)."""
    W, q, A, B, d = lq["W"], lq["q"], lq["A"], lq["B"], lq["d"]
    H, n, m = B.shape
    nz, nx = (H + 1) * n + H * m, (H + 1) * n
    Wz, qz, E = np.zeros((nz, nz)), np.zeros(nz), np.zeros((nx, nz))
    for i in range(H):
        idx = np.r_[i * n:(i + 1) * n, nx + i * m:nx + (i + 1) * m]
        Wz[np.ix_(idx, idx)] += W[i]
        qz[idx] += q[i]
        E[(i + 1) * n:(i + 2) * n, i * n:(i + 1) * n] = A[i]
        E[(i + 1) * n:(i + 2) * n, nx + i * m:nx + (i + 1) * m] = B[i]
        E[(i + 1) * n:(i + 2) * n, (i + 1) * n:(i + 2) * n] = -np.eye(n)
    Wz[H * n:nx, H * n:nx] += lq["W_H"]
    qz[H * n:nx] += lq["q_H"]
    E[:n, :n] = -np.eye(n)
    K = np.block([[Wz, E.T], [E, np.zeros((nx, nx))]])
    sol = np.linalg.solve(K, -np.concatenate([qz, d.ravel()]))
    return sol[:nx].reshape(H + 1, n), sol[nx:nz].reshape(H, m), sol[nz:].reshape(H + 1, n)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("m", [1, 4, riccati.UNROLL_MAX + 1])
def test_riccati_equals_the_dense_kkt_solve(m):
    rng = np.random.default_rng(m)
    lq = _random_lq(rng, H=7, n=5, m=m)
    dx, du, lam, ok = jax.jit(riccati.solve_lq)(**lq)
    dx_ref, du_ref, lam_ref = _dense(lq)
    assert bool(ok)
    scale = max(1.0, np.max(np.abs(lam_ref)))
    np.testing.assert_allclose(dx, dx_ref, atol=1e-10 * scale)
    np.testing.assert_allclose(du, du_ref, atol=1e-10 * scale)
    np.testing.assert_allclose(lam, lam_ref, atol=1e-10 * scale)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("m", [2, riccati.UNROLL_MAX + 1])
def test_a_shifted_solve_equals_the_dense_solve_of_the_shifted_problem(m):
    """shift δ adds δI to every stage block W_i and to W_H: the gains, the rollout and the costates (whose adjoint
    recursion carries δ·dx and δ·du terms) all equal the dense solve of that problem."""
    lq = _random_lq(np.random.default_rng(20 + m), H=8, n=5, m=m)
    shift = 0.7
    shifted = dict(lq, W=lq["W"] + shift * np.eye(5 + m), W_H=lq["W_H"] + shift * np.eye(5))
    out = jax.jit(riccati.solve_lq)(**lq, shift=shift)
    assert bool(out[3])
    for got, ref in zip(out[:3], _dense(shifted)):
        np.testing.assert_allclose(got, ref, atol=1e-10 * max(1.0, np.max(np.abs(ref))))
    unshifted = _dense(lq)[2]
    assert np.max(np.abs(np.asarray(out[2]) - unshifted)) > 1e-3  # the shift does change the costates


@pytest.mark.timeout(120)
@pytest.mark.parametrize("m", [1, 3, riccati.UNROLL_MAX + 1])
def test_indefinite_stage_fails_the_inertia_test(m):
    lq = _random_lq(np.random.default_rng(10 + m), H=6, n=4, m=m, indefinite_stage=2)
    assert not bool(jax.jit(riccati.solve_lq)(**lq)[3])


@pytest.mark.timeout(120)
def test_unrolled_factorization_equals_lapack_under_vmap():
    rng = np.random.default_rng(0)
    R = rng.normal(size=(16, 4, 4))
    S = jnp.asarray(R @ np.swapaxes(R, 1, 2) + 0.01 * np.eye(4))
    rhs = jnp.asarray(rng.normal(size=(16, 4, 6)))
    x, ok = jax.jit(jax.vmap(riccati._cholesky_solve_unrolled))(S, rhs)
    assert bool(jnp.all(ok))
    np.testing.assert_allclose(x, np.linalg.solve(np.asarray(S), np.asarray(rhs)), rtol=1e-9, atol=1e-9)
    S_bad = S.at[3, 2, 2].set(-1.0)  # a negative diagonal entry: not positive definite
    ok_bad = jax.jit(jax.vmap(riccati._cholesky_solve_unrolled))(S_bad, rhs)[1]
    assert not bool(ok_bad[3]) and bool(jnp.all(jnp.delete(ok_bad, 3)))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("m", [2, riccati.UNROLL_MAX + 1])  # unrolled and LAPACK factorizations in lanes
def test_a_vmapped_solve_equals_the_dense_solve_of_each_problem(m):
    """Under vmap the recursion runs batch-last (riccati._in_lanes, a custom_vmap rule); each problem's solution is
    its dense KKT solution, with batched and shared arguments mixed, and under a vmap of a vmap."""
    rng = np.random.default_rng(3)
    lqs = [_random_lq(rng, H=6, n=4, m=m) for _ in range(6)]
    stacked = {k: np.stack([lq[k] for lq in lqs]) for k in lqs[0]}
    shared_A = lqs[0]["A"]  # one A for all: an unbatched argument
    batched = jax.jit(jax.vmap(lambda W, q, W_H, q_H, B, d: riccati.solve_lq(W, q, W_H, q_H, shared_A, B, d)))
    out = batched(*(stacked[k] for k in ("W", "q", "W_H", "q_H", "B", "d")))
    for i, lq in enumerate(lqs):
        single = dict(lq, A=shared_A)
        dx_ref, du_ref, lam_ref = _dense(single)
        np.testing.assert_allclose(out[0][i], dx_ref, atol=1e-10 * max(1.0, np.max(np.abs(lam_ref))))
        np.testing.assert_allclose(out[1][i], du_ref, atol=1e-10 * max(1.0, np.max(np.abs(lam_ref))))
        np.testing.assert_allclose(out[2][i], lam_ref, atol=1e-10 * max(1.0, np.max(np.abs(lam_ref))))
    nested = jax.jit(jax.vmap(jax.vmap(riccati.solve_lq)))(
        *(stacked[k].reshape((2, 3) + stacked[k].shape[1:]) for k in ("W", "q", "W_H", "q_H", "A", "B", "d")))
    for i, lq in enumerate(lqs):
        np.testing.assert_allclose(nested[0][i // 3, i % 3], _dense(lq)[0], atol=1e-9)
    assert bool(jnp.all(nested[3]))


def _shift_sequence(last, reg_init, count):
    """IPOPT's inertia-correction shifts as pydojo uses them: 0, then last/3 (or reg_init), then ×8."""
    shifts, shift = [0.0], (max(last / 3, 1e-20) if last > 0 else reg_init)
    for _ in range(count):
        shifts.append(shift)
        shift *= 8.0
    return shifts


@pytest.mark.timeout(120)
@pytest.mark.parametrize("last", [0.0, 0.6])
def test_inertia_correction_takes_the_first_shift_that_works_per_problem(last):
    """A batch of a convex LQ, two with an indefinite stage (needing different shifts) and one whose shift would
    pass reg_max: each lane gets the first shift of the sequence whose recursion passes the inertia test (found
    here by solving with every shift: the same recursion decides, so this checks the retry bookkeeping per lane),
    the solution at that shift, and its count of failed tries; the last one is singular, not silently solved.
    A lane marked skip gets no retries."""
    rng = np.random.default_rng(11)
    lqs = [_random_lq(rng, H=5, n=3, m=2, indefinite_stage=s) for s in (None, 1, 3, 2)]
    lqs[2]["W"][3, 3:, 3:] -= 5e3 * np.eye(2)   # more negative curvature than lqs[1]: a larger shift
    lqs[3]["W"][2, 3:, 3:] -= 1e9 * np.eye(2)   # past reg_max
    reg_init, reg_max = 1e-4, 1e6
    keys = ("W", "q", "W_H", "q_H", "A", "B", "d")
    stacked = [np.stack([lq[k] for lq in lqs]) for k in keys]
    solve = jax.jit(jax.vmap(lambda *a: riccati.solve_lq_inertia(*a, reg_init, reg_max)))
    dx, du, lam, shift, failures, singular = solve(*stacked, np.full(len(lqs), last))
    one = jax.jit(riccati.solve_lq)
    for i, lq in enumerate(lqs):
        tried = _shift_sequence(last, reg_init, 40)
        works = [s for s in tried if s <= reg_max and bool(one(*(lq[k] for k in keys), s)[3])]
        if i == 3:
            assert not works and bool(singular[i])
            assert int(failures[i]) == sum(s <= reg_max for s in tried)
            continue
        expected = works[0]
        assert not bool(singular[i]) and float(shift[i]) == expected
        assert int(failures[i]) == tried.index(expected)
        ref = one(*(lq[k] for k in keys), expected)
        np.testing.assert_allclose(dx[i], ref[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(du[i], ref[1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lam[i], ref[2], rtol=1e-12, atol=1e-12)
    assert int(failures[0]) == 0 and float(shift[0]) == 0.0
    assert int(failures[2]) > int(failures[1]) > 0
    skipping = jax.jit(jax.vmap(lambda *a: riccati.solve_lq_inertia(*a[:-1], reg_init, reg_max, a[-1])))
    out = skipping(*stacked, np.full(len(lqs), last), np.array([False, True, False, True]))
    assert np.array_equal(np.asarray(out[4]), [0, 0, int(failures[2]), 0]) and not bool(jnp.any(out[5]))
    np.testing.assert_allclose(out[0][2], dx[2], rtol=1e-12, atol=1e-12)
    none_left = skipping(*stacked, np.full(len(lqs), last), np.ones(len(lqs), bool))  # a batch all done: no work
    assert not bool(jnp.any(none_left[4])) and not bool(jnp.any(none_left[5]))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("m", [3, riccati.UNROLL_MAX + 1])
def test_costates_stay_accurate_on_a_long_unstable_horizon(m):
    """H = 100 with open-loop dynamics that double per stage (spectral radius ≈ 2): the costates come from the
    adjoint recursion through the closed loop, so they match the dense KKT solve to rounding (the open-loop adjoint
    λ_i = … + A_iᵀλ_{i+1} was off by 0.2 relative here)."""
    rng = np.random.default_rng(100 + m)
    lq = _random_lq(rng, H=100, n=6, m=m)
    lq["A"] = np.eye(6) + 0.5 * rng.normal(size=(100, 6, 6))
    assert np.median([np.max(np.abs(np.linalg.eigvals(A))) for A in lq["A"]]) > 1.5
    dx, du, lam, ok = jax.jit(riccati.solve_lq)(**lq)
    assert bool(ok)
    for got, ref in zip((dx, du, lam), _dense(lq)):
        assert np.max(np.abs(np.asarray(got) - ref)) <= 1e-12 * max(1.0, np.max(np.abs(ref)))


def _as_lanes(lqs):
    """riccati._backward's arguments for problems side by side in lanes (the batch as the trailing axis)."""
    lanes = [jnp.asarray(np.stack([lq[k] for lq in lqs], axis=-1)) for k in ("W", "q", "W_H", "q_H")]
    AB = jnp.asarray(np.stack([np.concatenate([lq["A"], lq["B"]], axis=-1) for lq in lqs], axis=-1))
    return (*lanes, AB, jnp.asarray(np.stack([lq["d"] for lq in lqs], axis=-1)))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("m", [2, riccati.UNROLL_MAX + 1])  # unrolled and LAPACK factorizations
def test_a_recursion_stops_where_its_last_trying_lane_fails(m):
    """The backward recursion runs from stage H−1 down and stops once every trying lane has failed (the stages
    below are never computed: their gains stay zero). Two trying lanes failing at stages 3 and 1 stop it after
    stage 1; a healthy lane that is not trying (done) does not keep it going; a healthy trying lane does."""
    rng = np.random.default_rng(5 + m)
    fail_3, fail_1 = (_random_lq(rng, H=6, n=4, m=m, indefinite_stage=s) for s in (3, 1))
    healthy = _random_lq(rng, H=6, n=4, m=m)
    backward = jax.jit(riccati._backward)

    (K, _), ok = backward(*_as_lanes([fail_3, fail_1]), jnp.zeros(2), jnp.array([True, True]))
    assert not bool(jnp.any(ok))
    assert bool(jnp.all(K[0] == 0)) and bool(jnp.all(K[1:] != 0))  # stopped after stage 1

    (K, _), ok = backward(*_as_lanes([healthy, fail_1]), jnp.zeros(2), jnp.array([False, True]))
    assert not bool(jnp.any(ok)) and bool(jnp.all(K[0] == 0))  # the done lane kept nothing going

    (K, _), ok = backward(*_as_lanes([healthy, fail_1]), jnp.zeros(2), jnp.array([True, True]))
    assert np.array_equal(np.asarray(ok), [True, False]) and bool(jnp.all(K[0, ..., 0] != 0))  # ran to stage 0


@pytest.mark.timeout(60)
def test_mismatched_shapes_are_refused_with_the_expected_ones():
    lq = _random_lq(np.random.default_rng(1), H=4, n=3, m=2)
    with pytest.raises(ValueError, match=r"d \(4, 3\) \(expected \(5, 3\)\)"):
        riccati.solve_lq(**dict(lq, d=lq["d"][:-1]))
    with pytest.raises(ValueError, match=r"W_H \(2, 2\) \(expected \(3, 3\)\)"):
        riccati.solve_lq_inertia(*(dict(lq, W_H=np.eye(2))[k] for k in ("W", "q", "W_H", "q_H", "A", "B", "d")),
                                 0.0, 1e-4, 1e6)
    with pytest.raises(ValueError, match=r"A must be \(H, n, n\)"):
        riccati.solve_lq(**dict(lq, A=lq["A"][0]))
