"""Fig. 4 of the barrier-smoothing paper: mean FOPG gradient variance against the model unroll length H for
several μ, on hopper and halfcheetah (``pydojo.diagnostics.horizon_study``; cached in
``<runs>/diagnostics/horizon_<task>.json``)."""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pydojo.figures.saved_runs import cached_study, save_figure  # noqa: E402

TASKS = ("hopper", "halfcheetah")
MUS = (1e-8, 1e-4, 1e-2)
HORIZONS = (1, 2, 4, 8, 16)
# K gradient samples of M rollouts per (mu, H); halfcheetah's contact solve is several times slower than hopper's
GRID = {"hopper": dict(horizons=HORIZONS, n_samples=8, batch=4),
        "halfcheetah": dict(horizons=(1, 2, 4, 8), n_samples=6, batch=2)}


def horizon_results(runs: pathlib.Path, task: str) -> dict:
    def compute():
        from pydojo.diagnostics.horizon_study import horizon_study

        grid = GRID[task]
        return horizon_study(task, MUS, grid["horizons"], n_samples=grid["n_samples"], batch=grid["batch"])

    return cached_study(runs, f"horizon_{task}.json", compute, f"the {task} horizon study")


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs"), tasks=TASKS) -> list[pathlib.Path]:
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        res = horizon_results(runs, task)
        for mu, row in zip(res["mu"], res["variance"]):
            ax.semilogy(res["horizon"], row, marker="o", label=f"μ = {mu:g}")
        ax.set(xlabel="model unroll length H", ylabel="mean gradient variance",
               title=f"Fig. 4: {task} (K={res.get('n_samples', '?')}, M={res.get('batch', '?')})")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    path = save_figure(fig, pathlib.Path(out) / "fig4_variance_vs_unroll_length.png")
    return [path]
