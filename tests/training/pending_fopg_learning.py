# NOT COLLECTED (the file name does not start with test_): the ball claim of issue 6 is not reproduced.
# Fig. 5 task (`experiment=fig5`): FOPG through the exact model (μ → 0) learns as well as through the contact-
# aware one (−0.288 vs −0.290 after 60 iterations, seed 0): the goal is beyond reach and the best throw rolls,
# so contact does not shape the optimum. With a goal that only a flight reaches (`experiment=fig5_flight`,
# 100 iterations, seeds 0–2) every method stalls near the rolling optimum: −0.923 (exact, eq. 5.1, constant
# 1e-3) and −0.926 (eq. 7.1, whose vz₀ climbs to 1.62 but a flight needs ≥ 2.45): from
# the throw into the ground the exact model is flat in vz (∂ final/∂vz₀ ≈ 1e-32), and the smoothed models have
# a gradient there but of the wrong sign for the true system (eq. 5.1: the ball hovers at a distance and ends
# at z = 0.15, vz = +1.3). See the issue-6 report. Hopper's check now holds and is collected in
# test_fopg_learning.py (with the smooth healthy bonus in the model).
"""Learning smoke tests on the contact tasks (small budgets, assertions on the numbers).

* Ball throw (Fig. 5's task): FOPG through the contact-aware model (eq. 5.1) learns; the seed's claim that it
  ends higher than FOPG through the exact model (μ → 0) is checked too but is not reproduced here (xfail).
These compile the engine's gradients (minutes on 2 cores); they share one persistent compilation cache.
"""
import pytest
from hydra import compose, initialize_config_dir

import pydojo  # noqa: F401
from pydojo.train import CONFIG_DIR, run
from pydojo.training import records


def _train(tmp_path, name, overrides):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    run(cfg, tmp_path / name)
    return [r["eval_return"] for r in records.MetricsLog(tmp_path / name).read() if "eval_return" in r]


@pytest.fixture(scope="module")
def ball_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ball")
    common = ["experiment=fig5", "fopg.iterations=25", "seed=0"]
    return {name: _train(tmp, name, common + [f"smoothing={name}"]) for name in ("gaussian", "exact")}


@pytest.mark.timeout(900)
def test_contact_aware_fopg_learns_the_ball_throw(ball_runs):
    aware = ball_runs["gaussian"]
    assert aware[-1] > aware[0] + 0.25, aware  # −0.67 → about −0.30 after 25 iterations


@pytest.mark.xfail(strict=False, reason=(
    "measured, not yet reproduced: on our throw task FOPG through the exact model (μ → 0) learns as well as "
    "through the contact-aware one (both −0.290 after 60 iterations, seed 0; see the issue-6 report)"))
@pytest.mark.timeout(900)
def test_contact_aware_beats_exact_model_on_the_ball_throw(ball_runs):
    assert ball_runs["gaussian"][-1] > ball_runs["exact"][-1] + 0.05
