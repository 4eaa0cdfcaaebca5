"""Learning smoke test on a contact task (small budget, assertion on the number).

Ball throw (the seed's Fig. 5 task): Algorithm 1's policy update through the contact-aware model (eq. 5.1)
raises the true-system return of the throw policy above its initial value (−0.671 with θ₀ = (0.5, −0.5),
a throw into the ground). The stronger claims of the issue (contact-aware beats μ → 0 on the ball; contact-
aware FOPG improves hopper's return) were not reproduced at feasible budgets and are not collected: see
pending_fopg_learning.py and the issue-6 report for the numbers.
"""
import pytest
from hydra import compose, initialize_config_dir

import pydojo  # noqa: F401
from pydojo.train import CONFIG_DIR, run
from pydojo.training import records


@pytest.mark.timeout(300)
def test_contact_aware_fopg_improves_the_ball_throw(tmp_path):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose("train", overrides=["experiment=fig5", "smoothing=gaussian", "fopg.iterations=6", "seed=0"])
    run(cfg, tmp_path)
    returns = [r["eval_return"] for r in records.MetricsLog(tmp_path).read() if "eval_return" in r]
    assert len(returns) == 6
    # the initial throw misses the goal by an MSE of 0.67; six Adam steps (lr 0.05) bring it to about 0.53
    assert returns[-1] > returns[0] + 0.1, returns
    assert all(b > a for a, b in zip(returns, returns[1:])), returns  # monotone progress on this smooth task
