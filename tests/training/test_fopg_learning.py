"""Learning smoke tests on the contact tasks (small budgets, assertions on the numbers).

* Ball throw (the seed's Fig. 5 task): Algorithm 1's policy update through the contact-aware model (eq. 5.1)
  raises the true-system return of the throw policy above its initial value (−0.671 with θ₀ = (0.5, −0.5),
  a throw into the ground).
* Hopper (``experiment=fig6_hopper``): Algorithm 1 with contact-aware smoothing (eq. 7.1), ψ fitted, and the
  smooth healthy bonus in the model unrolls raises the evaluation return within five iterations.
The claim "contact-aware μ beats μ → 0 on the ball" is not reproduced and is not collected: see
pending_fopg_learning.py and the issue-6 report for the numbers.
"""
import json
import os
import subprocess
import sys

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


@pytest.mark.timeout(900)
def test_contact_aware_fopg_improves_hopper(tmp_path):
    # a child process, so that XLA's fast-compile flags apply (hopper's gradient compiles for minutes)
    env = {**os.environ, "PYDOJO_NO_PROGRESS": "1",
           "XLA_FLAGS": "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"}
    cmd = [sys.executable, "-m", "pydojo.train", "experiment=fig6_hopper", "fopg.iterations=5", "fopg.eval_every=2",
           "seed=0", f"hydra.run.dir={tmp_path}"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=880)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    returns = [r["eval_return"] for r in rows if r.get("eval_return") is not None]
    assert len(returns) == 3, returns  # iterations 0, 2, 4
    # measured (seed 0): 48.1, 48.6, 167.9 (without the smooth healthy bonus FOPG lowers it: 39.0 → 36.5)
    assert returns[-1] > returns[0] + 20.0, returns
