"""Learning smoke test on hopper (``experiment=fig6_hopper``): Algorithm 1 with contact-aware smoothing
(eq. 7.1), ψ fitted, and the smooth healthy bonus in the model unrolls raises the evaluation return within five
iterations. (Ball: test_fopg_learning_ball.py.)
"""
import json
import os
import subprocess
import sys

import pytest


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
