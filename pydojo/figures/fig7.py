"""Fig. 7 of the barrier-smoothing paper: FOPG gradient bias ‖E ĝ − g_ref‖ against μ on the noisy ball throw
(reference: LR on the exact system with a large batch); the contact-aware schedules (eq. 5.1 per σ, eq. 7.1)
as horizontal lines. Biases below the reference's standard error (dotted) are not resolved."""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pydojo.figures.saved_runs import save_figure  # noqa: E402
import numpy as np  # noqa: E402

from pydojo.figures.fig3 import ball_study, draw_schedules  # noqa: E402


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    study = ball_study(runs)
    bias = np.array([s["bias"] for s in study["fopg"]])
    err = np.array([s["bias_standard_error"] for s in study["fopg"]])
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.errorbar(study["mu"], bias, yerr=err, marker="o", capsize=3, label="FOPG, constant μ")
    draw_schedules(ax, study, "bias")
    ax.axhline(study["reference_standard_error"], color="gray", ls=":", label="reference standard error")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel="μ", ylabel="gradient bias ‖E ĝ − ∇J‖", title="Fig. 7: gradient bias vs μ (ball throw)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    path = save_figure(fig, pathlib.Path(out) / "fig7_gradient_bias_vs_mu.png")
    return [path]
