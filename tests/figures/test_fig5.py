"""Fig. 5 from saved runs: one panel per task and, for fig5_impact, per initial throw; the table's numbers."""
import json

import pytest
import yaml

from pydojo.figures import fig5


def _save(root, name, smoothing, bias, seed, returns):
    run_dir = root / name / f"{smoothing}_{bias[1]}_{seed}"
    run_dir.mkdir(parents=True)
    config = {"name": name, "policy": {"bias": list(bias)}, "estimator": {"kind": "fopg"},
              "smoothing": {"kind": "constant", "value": 1e-10} if smoothing == "exact" else {"kind": "gaussian"}}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    rows = [{"iteration": i, "eval_return": r} for i, r in enumerate(returns)]
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.timeout(120)
def test_panels_table_and_figure(tmp_path):
    runs = tmp_path / "runs"
    with pytest.raises(FileNotFoundError, match="experiment=fig5 \\+sweep=fig5"):
        fig5.main(tmp_path / "out", runs)
    _save(runs, "fig5", "exact", (0.5, -0.5), 0, [-0.7, -0.3])
    for seed, last in ((0, -0.01), (1, -0.03)):
        _save(runs, "fig5_impact", "gaussian", (1.0, 0.0), seed, [-4.7, -2.0, last])
        _save(runs, "fig5_impact", "exact", (1.0, 0.0), seed, [-4.7, -4.7, -4.69])
    _save(runs, "fig5_impact", "gaussian", (1.0, -1.0), 0, [-4.7, -0.1])
    killed = runs / "fig5_impact" / "killed_before_its_first_evaluation"  # in no panel and no row
    killed.mkdir()
    (killed / "config.yaml").write_text(yaml.safe_dump({"name": "fig5_impact", "estimator": {"kind": "ars"}}))
    (killed / "metrics.jsonl").write_text(json.dumps({"iteration": 0, "env_steps": 1.0}) + "\n")
    panels = fig5.panels(runs)
    assert sorted(len(v) for v in panels.values()) == [1, 1, 4]
    assert any(title.endswith("θ₀ = (1, -1)") for title in panels)
    table = fig5.table(runs)
    assert "| contact-aware μ (eq. 5.1) | 2 | 3 | -4.7000 ± 0.0000 | -0.0200 ± 0.0100 | nan | nan s |" in table
    assert "| μ → 0 | 2 | 3 | -4.7000 ± 0.0000 | -4.6900 ± 0.0000 | nan | nan s |" in table
    assert "ARS" not in table
    (path,) = fig5.main(tmp_path / "out", runs)
    assert path.stat().st_size > 10_000
