"""The nimblephysics benchmark's scenario is the same physics in both engines: on the sliding block, pydojo's
engine and nimblephysics' C++ step (its own Python, made here if pip can reach a package index) reach the
analytic Coulomb-friction velocity, and each rollout's ∂x_T/∂F_t is its integrator's analytic one."""
import os
import pathlib

import numpy as np
import pytest

from pydojo.bench import nimble

QUICK = dict(nimble.SCENARIO, steps=20, repeats=1)


def test_a_missing_peer_python_names_the_ways_to_get_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYDOJO_NIMBLE_PYTHON", raising=False)
    with pytest.raises(nimble.PeerUnavailable, match="--setup.*PYDOJO_NIMBLE_PYTHON"):
        nimble.peer_python(str(tmp_path / "no-such-python"))


@pytest.fixture(scope="module")
def peer_python():
    try:
        return nimble.peer_python(None)
    except nimble.PeerUnavailable:
        pass
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "pydojo" / "venv-nimble"
    try:
        return nimble.setup_peer(cache)
    except nimble.PeerUnavailable as err:
        pytest.skip(f"nimblephysics could not be installed here: {err}")


@pytest.mark.timeout(900)
def test_the_block_slides_the_same_in_pydojo_nimblephysics_and_the_analytic_answer(peer_python):
    peer = nimble.run_peer(peer_python, QUICK)
    mine = nimble.ours(QUICK)
    assert mine["fails"] == 0
    ours_exact, peer_exact = nimble.analytic(QUICK, 0), nimble.analytic(QUICK, 1)
    # v_T = (F - mu m g) T h / m = 5.095 * 0.2 in both: Coulomb sliding friction, to the barrier's accuracy for ours
    assert peer["final_vx"] == pytest.approx(peer_exact["final_vx"], abs=1e-9)
    assert mine["final_vx"] == pytest.approx(ours_exact["final_vx"], abs=1e-4)
    assert mine["final_vx"] == pytest.approx(peer["final_vx"], abs=1e-4)
    assert abs(mine["final_height"] - peer["final_height"]) < 1e-4  # the box stays on the plane in both
    # each engine's gradient is its integrator's: h^2 (T - t) / m (ours), h^2 (T - 1 - t) / m (nimblephysics)
    np.testing.assert_allclose(mine["gradient"], ours_exact["gradient"], atol=1e-6)
    np.testing.assert_allclose(peer["gradient"], peer_exact["gradient"], atol=1e-9)
    assert mine["final_x"] == pytest.approx(ours_exact["final_x"], abs=1e-5)
    assert mine["final_x_check"] == pytest.approx(mine["final_x"], abs=1e-12)
    table = nimble.rows(mine, peer, QUICK)
    assert table[-1].startswith("ratio pydojo / nimblephysics") and len(table) == 5
