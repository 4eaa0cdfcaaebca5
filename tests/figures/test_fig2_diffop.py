"""fig2_diffop draws from runs/fig2_diffop/<task>_<method>/<seed>/, writes the table with the seed's two claims
judged from the final costs, and says how to make the runs when there are none."""
import json

import pytest
import yaml

from pydojo.figures import fig2_diffop


def _run(root, task, method, seed, costs, episodes_per_iteration):
    run_dir = root / "fig2_diffop" / f"{task}_{method}" / f"seed{seed}"
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump({"trainer": "pydojo.training.diffop.run", "env": {"name": task}}))
    rows = [{"iteration": 2 * i, "eval_cost": c, "episodes": 2 * i * episodes_per_iteration} for i, c in enumerate(costs)]
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    log = [f"[2026-12-02 10:00:{10 * i:02d},000][pydojo.iterations][INFO] - iteration {2 * i}" for i in range(len(costs))]
    (run_dir / "train.log").write_text("\n".join(log) + "\n")


def test_fig2_table_and_claims_from_saved_runs(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="no Fig. 2 runs under .*fig2_diffop: make them with: .*pydojo-train -m"):
        fig2_diffop.main(tmp_path / "out", tmp_path / "runs")
    finals = {"diffop_step": 100.0, "rlmpc_td": 150.0, "rlmpc_dpg": 90.0, "diffop_traj": 80.0, "pdp": 120.0}
    for method, final in finals.items():
        for seed in (0, 1):
            _run(tmp_path / "runs", "arm", method, seed, [200.0, 150.0 + seed, final + seed], 0 if method == "pdp" else 10)
    png, table = fig2_diffop.main(tmp_path / "out", tmp_path / "runs")
    assert png.stat().st_size > 10_000
    text = table.read_text()
    assert "| arm | RLMPC-TD | 2 | 4 | 40 | 200.0 | 150.5 ± 0.5 | 20 s |" in text
    assert "| arm | PDP (offline) | 2 | 4 | 0 |" in text
    # DiffOP Step (100.5) is not below RLMPC-DPG (90.5); DiffOP Traj (80.5) is below PDP (120.5)
    assert "arm: DiffOP Step 100.5 vs RLMPC-TD 150.5, RLMPC-DPG 90.5: does not hold" in text
    assert "arm: DiffOP Traj 80.5 vs PDP 120.5: holds" in text
    assert text in capsys.readouterr().out
