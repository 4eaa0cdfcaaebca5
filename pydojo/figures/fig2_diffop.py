"""The DiffOP seed's Fig. 2 from our runs: control cost of the deterministic policy against training iteration
for DiffOP (Step, Traj), RLMPC-TD, RLMPC-DPG and PDP (offline; a horizontal line at its learned problem's
true-system cost), one panel per task, mean over seeds with the 20–80 % band. The seed's own settings
(``*_paper`` experiments) are drawn dashed beside ours. Also writes the results table
(fig2_diffop_table.md) with final costs, true-system episodes, wall-clock and the seed's two claims.

Reads runs/fig2_diffop/<task>_<method>/seed<k>/ (config.yaml, metrics.jsonl, train.log), written by
``pydojo-train -m experiment=<task>_<method> seed=0,1,2,3,4 hydra.sweep.dir=runs/fig2_diffop/<task>_<method>
'hydra.sweep.subdir=seed${seed}'``.
"""
from __future__ import annotations

import datetime
import json
import pathlib
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from pydojo.figures.saved_runs import curve, finish_cost_axes, on_grid, save_figure  # noqa: E402

FOLDER = "fig2_diffop"
TASKS = ("cartpole", "arm", "quadrotor")
# method folder suffix -> (label, line style); the paper variants share their method's colour
METHODS = {
    "diffop_step": ("DiffOP (Step)", "-"), "diffop_traj": ("DiffOP (Traj)", "-"),
    "rlmpc_td": ("RLMPC-TD", "-"), "rlmpc_dpg": ("RLMPC-DPG", "-"), "pdp": ("PDP (offline)", "-"),
    "diffop_step_paper": ("DiffOP (Step), seed's settings", "--"), "diffop_traj_paper": ("DiffOP (Traj), seed's settings", "--"),
    "pdp_paper": ("PDP (offline), PDP's settings", "--"),
}
COLOURS = {"diffop_step": "C0", "diffop_traj": "C1", "rlmpc_td": "C2", "rlmpc_dpg": "C3", "pdp": "C4"}
COMMAND = ("for each task in cartpole, arm, quadrotor and method in diffop_step, diffop_traj, rlmpc_td, rlmpc_dpg, pdp "
           "(and diffop_step_paper, diffop_traj_paper): `pydojo-train -m experiment=<task>_<method> seed=0,1,2,3,4 "
           "hydra.sweep.dir=runs/fig2_diffop/<task>_<method> 'hydra.sweep.subdir=seed${seed}'`")
_STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+)\]\[pydojo\.iterations\]")


def _wall_seconds(log: pathlib.Path) -> float:
    """Seconds from the first to the last iteration line of train.log: iterations 1.. (iteration 0's line comes
    after its step, which holds the compilation; NaN if absent)."""
    if not log.exists():
        return float("nan")
    stamps = [m.group(1) for m in map(_STAMP.match, log.read_text().splitlines()) if m]
    if len(stamps) < 2:
        return float("nan")
    t = [datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S,%f") for s in (stamps[0], stamps[-1])]
    return (t[1] - t[0]).total_seconds()


def load(folder: pathlib.Path) -> dict[tuple[str, str], list[dict]]:
    """{(task, method): [run, ...]} from <folder>/<task>_<method>/<seed>/."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for config_path in sorted(pathlib.Path(folder).glob("*/*/config.yaml")):
        task, _, method = config_path.parent.parent.name.partition("_")
        metrics = config_path.parent / "metrics.jsonl"
        if task not in TASKS or method not in METHODS or not metrics.exists():
            continue
        rows = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
        if rows:
            groups.setdefault((task, method), []).append({
                "config": yaml.safe_load(config_path.read_text()), "metrics": rows, "path": config_path.parent,
                "wall_s": _wall_seconds(config_path.parent / "train.log")})
    return groups


def _final(run, key="eval_cost"):
    _, vals = curve(run, "iteration", key)
    return float(vals[-1]) if vals.size else float("nan")


def summary(groups) -> list[dict]:
    rows = []
    for (task, method), group in sorted(groups.items(), key=lambda kv: (TASKS.index(kv[0][0]), list(METHODS).index(kv[0][1]))):
        finals = np.array([_final(r) for r in group])
        initial = np.array([curve(r, "iteration", "eval_cost")[1][0] for r in group if curve(r, "iteration", "eval_cost")[1].size])
        episodes = [max((row.get("episodes", 0) for row in r["metrics"]), default=0) for r in group]
        rows.append({"task": task, "method": method, "label": METHODS[method][0], "seeds": len(group),
                     "iterations": max(int(curve(r, "iteration", "eval_cost")[0].max(initial=0)) for r in group),
                     "initial": float(np.nanmean(initial)), "final_mean": float(np.nanmean(finals)), "final_std": float(np.nanstd(finals)),
                     "failed_seeds": int(np.sum(~np.isfinite(finals))), "episodes": int(np.mean(episodes)),
                     "wall_s": float(np.nanmean([r["wall_s"] for r in group]))})
    return rows


def verdicts(rows: list[dict]) -> list[str]:
    """The seed's two claims per task, where the runs exist: DiffOP Step below both RLMPC baselines,
    DiffOP Traj below PDP (final mean cost; lower is better)."""
    out = []
    for task in TASKS:
        final = {r["method"]: r["final_mean"] for r in rows if r["task"] == task}
        if {"diffop_step", "rlmpc_td", "rlmpc_dpg"} <= set(final):
            held = final["diffop_step"] < min(final["rlmpc_td"], final["rlmpc_dpg"])
            out.append(f"{task}: DiffOP Step {final['diffop_step']:.1f} vs RLMPC-TD {final['rlmpc_td']:.1f}, "
                       f"RLMPC-DPG {final['rlmpc_dpg']:.1f}: {'holds' if held else 'does not hold'}")
        if {"diffop_traj", "pdp"} <= set(final):
            held = final["diffop_traj"] < final["pdp"]
            out.append(f"{task}: DiffOP Traj {final['diffop_traj']:.1f} vs PDP {final['pdp']:.1f}: {'holds' if held else 'does not hold'}")
    return out


def table(rows: list[dict]) -> str:
    lines = ["| task | method | seeds | iterations | true-system episodes | initial cost | final cost (mean ± std) | wall-clock per seed after iteration 0 |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        failed = f" ({r['failed_seeds']} NaN)" if r["failed_seeds"] else ""
        lines.append(f"| {r['task']} | {r['label']} | {r['seeds']} | {r['iterations']} | {r['episodes']} | {r['initial']:.1f} | "
                     f"{r['final_mean']:.1f} ± {r['final_std']:.1f}{failed} | {r['wall_s']:.0f} s |")
    return "\n".join(lines)


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    folder = pathlib.Path(runs) / FOLDER
    groups = load(folder) if folder.exists() else {}
    if not groups:
        raise FileNotFoundError(f"no Fig. 2 runs under {folder}: make them with: {COMMAND}")
    tasks = [t for t in TASKS if any(k[0] == t for k in groups)]
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.8 * len(tasks), 3.9), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for method, (label, style) in METHODS.items():
            group = groups.get((task, method), [])
            if not group:
                continue
            colour = COLOURS[method.replace("_paper", "")]
            if method.startswith("pdp"):  # its learned problem's cost: a level, not a curve against RL iterations
                finals = np.array([_final(r) for r in group])
                ax.axhline(np.nanmean(finals), color=colour, ls=style, lw=1.5, label=f"{label}, n={len(group)}")
                lo, hi = np.nanpercentile(finals, [20, 80])
                ax.axhspan(lo, hi, color=colour, alpha=0.08)
                continue
            grid = np.arange(0, max(int(curve(r, "iteration", "eval_cost")[0].max(initial=0)) for r in group) + 1)
            ys = np.array([on_grid(r, "iteration", "eval_cost", grid) for r in group])
            keep = np.all(np.isfinite(ys), axis=0)
            ax.plot(grid[keep], ys.mean(axis=0)[keep], color=colour, ls=style, label=f"{label}, n={len(group)}")
            if style == "-":
                lo, hi = np.percentile(ys[:, keep], [20, 80], axis=0)
                ax.fill_between(grid[keep], lo, hi, color=colour, alpha=0.2)
        finish_cost_axes(ax, task, "control cost (true system)", 6)
    fig.suptitle("Fig. 2 (our runs): deterministic policy's control cost, mean and 20–80 % band over seeds", fontsize=10)
    paths = [save_figure(fig, pathlib.Path(out) / "fig2_diffop.png")]
    rows = summary(groups)
    text = table(rows) + "\n\nThe seed's claims (final mean cost, lower is better):\n" + "\n".join(f"- {v}" for v in verdicts(rows)) + "\n"
    print(text)
    paths.append(pathlib.Path(out) / "fig2_diffop_table.md")
    paths[-1].write_text(text)
    return paths
