# NOT COLLECTED (the file name does not start with test_): these claims of issue 6 are not reproduced at
# feasible budgets. Ball: FOPG through the exact model (μ → 0) learns as well as through the contact-aware
# one (−0.288 vs −0.290 after 60 iterations, seed 0: Adam's per-coordinate steps make both follow the same
# sign). Hopper: Algorithm 1 with eq. 7.1 lowers the evaluation return (39.0 → 35.1 and 66.9 → 33.4 in
# 12 iterations, seeds 0/1) while the model's H-step return rises; the healthy reward and termination carry
# no gradient (see the issue-6 report). The collected learning test is test_fopg_learning.py.
"""Learning smoke tests on the contact tasks (small budgets, assertions on the numbers).

* Ball throw (Fig. 5's task): FOPG through the contact-aware model (eq. 5.1) learns; the seed's claim that it
  ends higher than FOPG through the exact model (μ → 0) is checked too but is not reproduced here (xfail).
* Hopper: Algorithm 1 with contact-aware smoothing (eq. 7.1) improves the evaluation return.
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


@pytest.mark.timeout(900)
def test_contact_aware_fopg_improves_hopper(tmp_path):
    returns = _train(tmp_path, "hopper", ["experiment=fig6_hopper", "fopg.iterations=10", "fopg.eval_every=3",
                                          "fopg.model.fit_every=100"])
    assert max(returns[1:]) > returns[0] + 10.0, returns
