"""Fig. 3 of the barrier-smoothing paper: maximum gradient variance of first-order (FOPG) vs likelihood-ratio (LR)
gradients in the noisy ball-throw dynamics, against μ (computed by ``pydojo.diagnostics.ball_study``;
the numbers are cached in ``<runs>/diagnostics/ball_mu_study.json`` and shared with Fig. 7). The paper's
Fig. 3 has only the two constant-μ curves; ours adds the contact-aware schedules as horizontal lines
(eq. 5.1 for several σ, eq. 7.1)."""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pydojo.figures.saved_runs import cached_study, save_figure  # noqa: E402
import numpy as np  # noqa: E402

MUS = tuple(np.logspace(-8, -1, 6))


def ball_study(runs: pathlib.Path) -> dict:
    """The μ study, computed once and cached under ``runs/diagnostics``."""
    from pydojo.diagnostics.ball_study import STUDY_FORMAT, mu_study

    return cached_study(runs, "ball_mu_study.json", lambda: mu_study(MUS), f"the ball's mu study ({len(MUS)} values)",
                        STUDY_FORMAT)


def draw_schedules(ax, study, key):
    """The contact-aware schedules' values of ``key`` as horizontal lines: eq. 5.1 per σ (reds) and eq. 7.1."""
    reds = plt.cm.Reds(np.linspace(0.45, 0.95, len(study["contact_aware"])))
    dashes = [(6, 2), (2, 2), (4, 1, 1, 1), (8, 3)]  # distinct patterns: equal values stay visible
    for i, (colour, s) in enumerate(zip(reds, study["contact_aware"])):
        ax.axhline(s[key], color=colour, dashes=dashes[i % len(dashes)], label=f"FOPG, eq. 5.1, σ = {s['sigma']:g}")
    ax.axhline(study["distance_mu"][key], color="m", ls="-.", label="FOPG, eq. 7.1 (defaults)")


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    study = ball_study(runs)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for kind, label in (("fopg", "first-order (FOPG)"), ("lr", "likelihood ratio (LR)")):
        ax.loglog(study["mu"], [s["max_variance"] for s in study[kind]], marker="o", label=label)
    draw_schedules(ax, study, "max_variance")
    ax.set(xlabel="μ", ylabel="max gradient variance", title="Fig. 3: noisy ball throw")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    path = save_figure(fig, pathlib.Path(out) / "fig3_gradient_variance_vs_mu.png")
    return [path]
