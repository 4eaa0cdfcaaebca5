"""Reading saved training runs for the figures: every folder under ``runs`` holding config.yaml + metrics.jsonl."""
from __future__ import annotations

import json
import pathlib
from collections import defaultdict

import numpy as np
import yaml


def load_runs(runs: pathlib.Path, name: str) -> list[dict]:
    """Runs whose config has ``name: <name>``: dicts with config, metrics (list of rows) and path."""
    found = []
    for config_path in sorted(pathlib.Path(runs).rglob("config.yaml")):
        if config_path.parent.name == ".hydra":
            continue
        metrics_path = config_path.parent / "metrics.jsonl"
        if not metrics_path.exists():
            continue
        config = yaml.safe_load(config_path.read_text())
        if not isinstance(config, dict) or config.get("name") != name:
            continue
        rows = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
        if rows:
            found.append({"config": config, "metrics": rows, "path": config_path.parent})
    return found


def method_label(config: dict) -> str:
    """A legend label: the estimator, and for first-order ones the model's smoothing schedule."""
    est = config["estimator"]["kind"]
    if est in ("ars", "lr"):
        return est.upper()
    if est == "rs":
        return f"randomized smoothing (σ={config['estimator']['sigma']:g})"
    sm = config["smoothing"]
    if sm["kind"] == "constant":
        label = "μ → 0" if sm["value"] <= 1e-9 else f"constant μ = {sm['value']:g}"
    else:
        label = {"distance": "contact-aware μ (eq. 7.1)", "gaussian": "contact-aware μ (eq. 5.1)"}.get(sm["kind"], sm["kind"])
    softness = ((config.get("fopg") or {}).get("model") or {}).get("healthy_softness", 0.0)
    return f"{label}, smooth healthy bonus" if softness else label


def with_run_time(run: dict) -> dict:
    """Adds ``run_time`` = wall_time − wall_time of iteration 0 to every row: runs of a sweep that share one
    process (or the persistent cache) compile only in the first run, so the first iteration's wall-clock
    is mostly compilation and differs between seeds; this is the comparable training time."""
    start = run["metrics"][0]["wall_time"]
    return {**run, "metrics": [{**r, "run_time": r["wall_time"] - start} for r in run["metrics"]]}


def group_by_method(runs: list[dict]) -> dict[str, list[dict]]:
    groups = defaultdict(list)
    for run in runs:
        groups[method_label(run["config"])].append(run)
    return dict(groups)


def curve(run: dict, x: str, y: str) -> tuple[np.ndarray, np.ndarray]:
    rows = [r for r in run["metrics"] if r.get(y) is not None and np.isfinite(r[y])]
    return np.array([r[x] for r in rows], float), np.array([r[y] for r in rows], float)


def on_grid(run: dict, x: str, y: str, grid: np.ndarray) -> np.ndarray:
    """A run's y interpolated on ``grid`` of x (NaN beyond the run's range, all NaN for an empty curve)."""
    xs, vals = curve(run, x, y)
    if xs.size == 0:
        return np.full(np.shape(grid), np.nan)
    interp = np.interp(grid, xs, vals)
    interp[(grid < xs[0]) | (grid > xs[-1])] = np.nan
    return interp


def mean_and_spread(runs: list[dict], x: str, y: str, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over runs of y interpolated on ``grid`` of x (NaN beyond a run's range)."""
    ys = np.array([on_grid(run, x, y, grid) for run in runs if curve(run, x, y)[0].size])
    return np.nanmean(ys, axis=0), np.nanstd(ys, axis=0)


def final_value(run: dict, y: str) -> float:
    _, vals = curve(run, "iteration", y)
    return float(vals[-1]) if vals.size else float("nan")


def finish_cost_axes(ax, title: str, ylabel: str, legend_size: float = 7) -> None:
    """Labels, a log scale when the costs span more than 5×, grid and legend of a cost-vs-iteration panel."""
    ax.set(xlabel="iteration", ylabel=ylabel, title=title)
    ymin, ymax = ax.get_ylim()
    if ymin > 0 and ymax / ymin > 5:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=legend_size)


def save_figure(fig, path) -> pathlib.Path:
    """Tight layout, write the PNG, close the figure."""
    import matplotlib.pyplot as plt

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def cached_study(runs, filename: str, compute, what: str, study_format=None) -> dict:
    """A diagnostic study's numbers from ``<runs>/diagnostics/<filename>``, computed by ``compute()`` and
    written there when absent, or when ``study_format`` is given and the cached file's "format" differs
    (a file written by an older version of the study is recomputed, not drawn)."""
    from pydojo.progress import status

    cache = pathlib.Path(runs) / "diagnostics" / filename
    if cache.exists():
        cached = json.loads(cache.read_text())
        if study_format is None or cached.get("format") == study_format:
            return cached
        status(f"{cache} was computed by an older version of the study: recomputing it")
    status(f"computing {what} (cached afterwards in {cache})")
    result = compute()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(result, indent=1))
    return result
