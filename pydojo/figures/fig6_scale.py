"""Fig. 6 at the seed's scale (issue 14): learning curves per model-unroll horizon H, ARS at equal budgets,
the gradient log, and the sample-efficiency table, from saved runs under ``<runs>/fig6_scale/<task>/``.

The runs: ``pydojo-train -m +sweep=fig6_scale estimator.horizon=16,32,64 experiment=fig6_<task>,...``
(FOPG) and ``experiment=fig6_<task>_ars`` with ``fopg.max_env_steps`` / ``fopg.max_wall_time`` (ARS), see
docs/contact-smoothing.md#fig-6-at-scale-design-chosen-before-the-runs. Bands are the 20th–80th
percentiles over seeds, lines their mean.
"""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pydojo.figures.saved_runs import (curve, final_value, load_runs, method_label, on_grid,  # noqa: E402
                                       save_figure, with_run_time)

FOLDER = "fig6_scale"
TASKS = ("hopper", "halfcheetah", "ant")
FOPG_VARIANTS = ("", "_constant", "_constant_high", "_exact")


def label(config: dict) -> str:
    """The method's label; ARS runs say which budget they were given."""
    fopg = config.get("fopg") or {}
    if config["estimator"]["kind"] == "ars":
        if fopg.get("max_wall_time") is not None:
            return "ARS, equal wall-clock"
        return "ARS, equal env steps" if fopg.get("max_env_steps") is not None else "ARS"
    return method_label(config).replace(", smooth healthy bonus", "")


def scale_runs(runs: pathlib.Path, task: str) -> dict:
    """{"fopg": {(label, H): [run, ...]}, "ars": {label: [run, ...]}} of ``<runs>/fig6_scale/<task>``."""
    root = pathlib.Path(runs) / FOLDER / task
    out = {"fopg": {}, "ars": {}}
    if not root.is_dir():
        return out
    for variant in FOPG_VARIANTS:
        for run in map(with_run_time, load_runs(root, f"fig6_{task}{variant}")):
            key = (label(run["config"]), int(run["config"]["estimator"]["horizon"]))
            out["fopg"].setdefault(key, []).append(run)
    for run in map(with_run_time, load_runs(root, f"fig6_{task}_ars")):
        out["ars"].setdefault(label(run["config"]), []).append(run)
    return out


def band(group: list[dict], x: str, y: str, points: int = 60):
    """Grid, mean, 20th and 80th percentiles over runs of y against x (up to the shortest run's end)."""
    xmax = min(curve(r, x, y)[0][-1] for r in group)
    grid = np.linspace(0.0, xmax, points)
    ys = np.array([on_grid(r, x, y, grid) for r in group])
    keep = np.all(np.isfinite(ys), axis=0)
    lo, hi = np.percentile(ys[:, keep], [20, 80], axis=0)
    return grid[keep], ys[:, keep].mean(axis=0), lo, hi


def steps_to_reach(group: list[dict], target: float) -> float:
    """Env steps at which the seed-mean evaluation curve first reaches ``target`` (NaN: never)."""
    grid, mean, _, _ = band(group, "env_steps", "eval_return", points=400)
    hit = np.nonzero(mean >= target)[0]
    return float(grid[hit[0]]) if hit.size else float("nan")


def _median_logged(group: list[dict], key: str) -> float:
    values = [r[key] for run in group for r in run["metrics"] if r.get(key) is not None]
    return float(np.median(values)) if values else float("nan")


def _median_bias_error(group: list[dict]) -> float:
    """Median over the logged rows of the bias's noise: the two means' standard errors combined."""
    values = [np.hypot(r["grad_bias_se"], r["grad_reference_se"]) for run in group for r in run["metrics"]
              if r.get("grad_bias_se") is not None and r.get("grad_reference_se") is not None]
    return float(np.median(values)) if values else float("nan")


def table(runs: pathlib.Path) -> list[dict]:
    """Per task, method and H: final evaluation return (mean, std over seeds), env steps, wall-clock, the
    gradient log's medians, and the env steps to reach ARS's final return (equal wall-clock) with the ratio."""
    rows = []
    for task in TASKS:
        found = scale_runs(runs, task)
        ars = found["ars"].get("ARS, equal wall-clock") or found["ars"].get("ARS")
        ars_final = float(np.mean([final_value(r, "eval_return") for r in ars])) if ars else float("nan")
        ars_steps = float(np.mean([r["metrics"][-1]["env_steps"] for r in ars])) if ars else float("nan")
        groups = [((name, h), g) for (name, h), g in sorted(found["fopg"].items(), key=lambda kv: (kv[0][1], kv[0][0]))]
        groups += [((name, None), g) for name, g in sorted(found["ars"].items())]
        for (name, horizon), group in groups:
            finals = np.array([final_value(r, "eval_return") for r in group])
            row = {"task": task, "method": name, "H": horizon, "seeds": len(group),
                   "iterations": float(np.mean([r["metrics"][-1]["iteration"] + 1 for r in group])),
                   "return_mean": float(np.mean(finals)), "return_std": float(np.std(finals)),
                   "env_steps": float(np.mean([r["metrics"][-1]["env_steps"] for r in group])),
                   "wall_clock_s": float(np.mean([r["metrics"][-1]["wall_time"] for r in group])),
                   "run_time_s": float(np.mean([r["metrics"][-1]["run_time"] for r in group])),
                   "grad_variance": _median_logged(group, "grad_total_variance"),
                   "grad_bias": _median_logged(group, "grad_bias"), "grad_bias_error": _median_bias_error(group),
                   "grad_relative_bias": _median_logged(group, "grad_relative_bias")}
            if horizon is not None and np.isfinite(ars_final):
                row["steps_to_ars_final"] = steps_to_reach(group, ars_final)
                row["ars_steps_ratio"] = ars_steps / row["steps_to_ars_final"]
                # the reverse question (added after the first results): ARS's steps to this method's final return
                row["ars_steps_to_this_final"] = steps_to_reach(ars, row["return_mean"])
                row["ars_to_this_ratio"] = row["ars_steps_to_this_final"] / row["env_steps"]
            rows.append(row)
    return rows


def markdown(rows: list[dict]) -> str:
    """``table``'s rows as a Markdown table (the README's results table)."""
    head = ("| task | method | H | seeds | iterations | final return | env steps | wall-clock [s] | after it. 0 [s] | grad variance "
            "(median) | bias (median) | its noise (median) | bias / ‖ref‖ | env steps to ARS's final | ARS steps / those | "
            "ARS's steps to this final / these steps |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        reach = r.get("steps_to_ars_final")
        reach_s = "" if reach is None else ("not reached" if not np.isfinite(reach) else f"{reach:,.0f}")
        ratio = r.get("ars_steps_ratio")
        ratio_s = "" if ratio is None or not np.isfinite(ratio) else f"{ratio:.1f}×"
        reverse = r.get("ars_to_this_ratio")
        reverse_s = "" if reverse is None else ("not reached" if not np.isfinite(reverse) else f"{reverse:.1f}×")
        fmt = lambda v: "" if not np.isfinite(v) else f"{v:.3g}"  # noqa: E731
        lines.append(f"| {r['task']} | {r['method']} | {r['H'] if r['H'] is not None else '–'} | {r['seeds']} | "
                     f"{r['iterations']:.0f} | {r['return_mean']:.1f} ± {r['return_std']:.1f} | {r['env_steps']:,.0f} | "
                     f"{r['wall_clock_s']:.0f} | {r['run_time_s']:.0f} | {fmt(r['grad_variance'])} | {fmt(r['grad_bias'])} | {fmt(r['grad_bias_error'])} | "
                     f"{fmt(r['grad_relative_bias'])} | {reach_s} | {ratio_s} | {reverse_s} |")
    return "\n".join(lines) + "\n"


def _curves(task: str, found: dict, out: pathlib.Path) -> pathlib.Path:
    horizons = sorted({h for _, h in found["fopg"]})
    fig, axes = plt.subplots(len(horizons), 2, figsize=(12, 3.6 * len(horizons)), squeeze=False)
    for row, h in zip(axes, horizons):
        groups = [(name, g) for (name, hh), g in sorted(found["fopg"].items()) if hh == h]
        groups += sorted(found["ars"].items())
        for ax, x in zip(row, ("env_steps", "run_time")):
            for name, group in groups:
                grid, mean, lo, hi = band(group, x, "eval_return")
                style = "--" if name.startswith("ARS") else "-"
                line, = ax.plot(grid, mean, style, label=f"{name} (n={len(group)})")
                ax.fill_between(grid, lo, hi, color=line.get_color(), alpha=0.15)
            if x == "env_steps":
                ax.set_xscale("symlog", linthresh=1e3)
            ax.set(xlabel="environment steps" if x == "env_steps" else "wall-clock after iteration 0 (s, compilation excluded)",
                   ylabel="evaluation return", title=f"Fig. 6 at scale: {task}, model unroll H = {h}")
            ax.grid(alpha=0.3)
        row[1].legend(fontsize=7, loc="best")
    return save_figure(fig, out / f"fig6_scale_{task}.png")


def _gradients(task: str, found: dict, out: pathlib.Path) -> pathlib.Path:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    names = sorted({name for name, _ in found["fopg"]})
    colors = dict(zip(names, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    markers = {16: "o", 32: "s", 64: "^"}
    for ax, key, title in zip(axes, ("grad_total_variance", "grad_bias"),
                              ("total gradient variance (Thm. 4.2's v_n)", "bias against the exact model's gradient")):
        for (name, h), group in sorted(found["fopg"].items()):
            rows = [r for run in group for r in run["metrics"] if r.get(key) is not None]
            if not rows:
                continue
            its = sorted({r["iteration"] for r in rows})
            med = [np.median([r[key] for r in rows if r["iteration"] == i]) for i in its]
            ax.plot(its, med, "-", marker=markers.get(h, "x"), color=colors[name], label=f"{name}, H = {h}")
        ax.set(xlabel="iteration", ylabel="median over seeds", title=f"{task}: {title}", yscale="log")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=6, ncol=2, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return save_figure(fig, out / f"fig6_scale_{task}_gradients.png")


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    paths = []
    for task in TASKS:
        found = scale_runs(runs, task)
        if found["fopg"]:
            paths += [_curves(task, found, pathlib.Path(out)), _gradients(task, found, pathlib.Path(out))]
    if paths:
        path = pathlib.Path(out) / "fig6_scale_table.md"
        path.write_text(markdown(table(runs)))
        paths.append(path)
    if not paths:
        raise FileNotFoundError(f"no saved runs under {pathlib.Path(runs) / FOLDER}/<task>: make them with "
                                "pydojo-train -m +sweep=fig6_scale estimator.horizon=16,32,64 experiment=fig6_hopper,"
                                "fig6_hopper_constant,fig6_hopper_constant_high,fig6_hopper_exact "
                                "hydra.sweep.dir=runs/fig6_scale/hopper (README)")
    return paths
