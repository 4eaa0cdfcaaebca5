"""Fig. 6 at scale from saved runs: the table's returns, budgets, gradient-log medians and sample efficiency
are those of the runs written here (known curves), and the figures are drawn."""
import json

import numpy as np
import pytest
import yaml

from pydojo.figures import fig6_scale


def _write(root, name, seed, estimator, smoothing, rows, fopg=None):
    folder = root / f"{name}_seed{seed}"
    folder.mkdir(parents=True)
    config = {"name": name, "seed": seed, "estimator": estimator, "smoothing": smoothing,
              "fopg": {"model": {"healthy_softness": 0.05}, **(fopg or {})}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def _fopg_rows(slope, seed, iterations=11):
    # env steps 100 per iteration; eval return = slope * steps / 100 + seed; gradient log at 0, 5, 10
    rows = []
    for i in range(iterations):
        row = {"iteration": i, "env_steps": 100.0 * (i + 1), "eval_return": slope * (i + 1) + seed,
               "wall_time": 10.0 + 2.0 * i}
        if i % 5 == 0:
            row.update(grad_total_variance=float(10 * slope + i), grad_bias=1.0 + i, grad_relative_bias=0.1,
                       grad_bias_se=3.0, grad_reference_se=4.0)
        rows.append(row)
    return rows


@pytest.fixture()
def runs(tmp_path):
    root = tmp_path / "runs" / "fig6_scale" / "hopper"
    for h in (16, 64):
        for seed in range(3):
            _write(root / f"H{h}", "fig6_hopper", seed, {"kind": "fopg", "horizon": h},
                   {"kind": "distance"}, _fopg_rows(2.0 if h == 16 else 4.0, seed))
            _write(root / f"H{h}", "fig6_hopper_exact", seed, {"kind": "fopg", "horizon": h},
                   {"kind": "constant", "value": 1e-10}, _fopg_rows(1.0, seed))
    for seed in range(3):  # ARS: 1000 steps per iteration, final return 20 + seed (mean 21)
        rows = [{"iteration": i, "env_steps": 1000.0 * (i + 1), "eval_return": 4.0 * (i + 1) + seed,
                 "wall_time": 5.0 + i} for i in range(5)]
        _write(root / "ars", "fig6_hopper_ars", seed, {"kind": "ars", "horizon": 200}, {"kind": "constant", "value": 1e-10},
               rows, {"max_wall_time": 30.0})
    return tmp_path / "runs"


@pytest.mark.timeout(120)
def test_table_reads_returns_budgets_gradient_log_and_sample_efficiency(runs):
    rows = {(r["method"], r["H"]): r for r in fig6_scale.table(runs)}
    assert set(rows) == {("contact-aware μ (eq. 7.1)", 16), ("contact-aware μ (eq. 7.1)", 64), ("μ → 0", 16),
                         ("μ → 0", 64), ("ARS, equal wall-clock", None)}
    ca16 = rows[("contact-aware μ (eq. 7.1)", 16)]
    assert ca16["seeds"] == 3 and ca16["iterations"] == 11 and ca16["env_steps"] == 1100.0
    assert ca16["return_mean"] == pytest.approx(2.0 * 11 + 1.0) and ca16["return_std"] == pytest.approx(np.std([0, 1, 2]))
    assert ca16["wall_clock_s"] == pytest.approx(30.0) and ca16["run_time_s"] == pytest.approx(20.0)
    assert ca16["grad_variance"] == pytest.approx(25.0) and ca16["grad_bias"] == pytest.approx(6.0)  # medians of 20,25,30 / 1,6,11
    assert ca16["grad_bias_error"] == pytest.approx(5.0)  # hypot(3, 4)
    # ARS's final mean is 21; the seed-mean FOPG curve is slope * steps / 100 + 1: it reaches 21 at 1000 steps
    # (slope 2) and 500 steps (slope 4); slope 1 ends at 12 and never reaches it
    assert ca16["steps_to_ars_final"] == pytest.approx(1000.0, rel=0.01)
    assert rows[("contact-aware μ (eq. 7.1)", 64)]["steps_to_ars_final"] == pytest.approx(500.0, rel=0.01)
    assert rows[("contact-aware μ (eq. 7.1)", 64)]["ars_steps_ratio"] == pytest.approx(5000.0 / 500.0, rel=0.01)
    assert np.isnan(rows[("μ → 0", 16)]["steps_to_ars_final"])
    # the reverse: ARS's seed-mean curve is 4 * steps / 1000 + 1; it reaches μ → 0's final 12 at 2750 steps
    assert rows[("μ → 0", 16)]["ars_to_this_ratio"] == pytest.approx(2750.0 / 1100.0, rel=0.01)
    assert np.isnan(rows[("contact-aware μ (eq. 7.1)", 64)]["ars_to_this_ratio"])  # 45 is beyond ARS's 21


@pytest.mark.timeout(120)
def test_figures_are_drawn_and_missing_runs_are_named(runs, tmp_path):
    paths = fig6_scale.main(tmp_path / "out", runs)
    assert sorted(p.name for p in paths) == ["fig6_scale_hopper.png", "fig6_scale_hopper_gradients.png",
                                             "fig6_scale_table.md"]
    assert all(p.stat().st_size > 10_000 for p in paths if p.suffix == ".png")
    table = (tmp_path / "out" / "fig6_scale_table.md").read_text().splitlines()
    # rows by H, then method: contact-aware 16, μ → 0 16, contact-aware 64, μ → 0 64, ARS
    assert len(table) == 2 + 5 and table[4].startswith("| hopper | contact-aware μ (eq. 7.1) | 64 | 3 | 11 | 45.0 ± 0.8 | 1,100 |")
    assert "not reached" in table[3] and table[4].endswith(" | 10.0× | not reached |") and table[6].startswith("| hopper | ARS"), table
    with pytest.raises(FileNotFoundError, match="fig6_scale"):
        fig6_scale.main(tmp_path / "out2", tmp_path / "empty")


@pytest.mark.timeout(120)
def test_fig6_draws_the_scale_study_and_keeps_it_out_of_the_first_runs_figure(runs, tmp_path):
    from pydojo.figures import fig6

    assert fig6.table(runs) == []  # the first figure's table reads no run under fig6_scale/
    assert sorted(p.name for p in fig6.main(tmp_path / "out", runs)) == ["fig6_scale_hopper.png",
                                                                         "fig6_scale_hopper_gradients.png",
                                                                         "fig6_scale_table.md"]
    with pytest.raises(FileNotFoundError, match="fig6_hopper_ars.*and no saved runs under"):
        fig6.main(tmp_path / "out2", tmp_path / "empty")
