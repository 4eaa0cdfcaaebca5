"""Fig. 3 of the barrier-smoothing paper: maximum gradient variance of first-order (FOPG) vs likelihood-ratio (LR)
gradients in the noisy ball-throw dynamics, against μ (computed by ``pydojo.diagnostics.ball_study``;
the numbers are cached in ``<runs>/diagnostics/ball_mu_study.json`` and shared with Fig. 7)."""
from __future__ import annotations

import json
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pydojo.figures.saved_runs import save_figure  # noqa: E402
import numpy as np  # noqa: E402

MUS = tuple(np.logspace(-8, -1, 6))


def ball_study(runs: pathlib.Path) -> dict:
    """The μ study, computed once and cached under ``runs/diagnostics``."""
    cache = pathlib.Path(runs) / "diagnostics" / "ball_mu_study.json"
    if cache.exists():
        return json.loads(cache.read_text())
    from pydojo.diagnostics.ball_study import mu_study
    from pydojo.progress import status

    status(f"computing the ball's mu study ({len(MUS)} values; cached afterwards in {cache})")
    result = mu_study(MUS)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(result, indent=1))
    return result


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    study = ball_study(runs)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for kind, label in (("fopg", "first-order (FOPG)"), ("lr", "likelihood ratio (LR)")):
        ax.loglog(study["mu"], [s["max_variance"] for s in study[kind]], marker="o", label=label)
    ax.axhline(study["contact_aware"]["max_variance"], color="r", ls="--", label="FOPG, contact-aware μ (eq. 5.1)")
    ax.set(xlabel="μ", ylabel="max gradient variance", title="Fig. 3: noisy ball throw")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    path = save_figure(fig, pathlib.Path(out) / "fig3_gradient_variance_vs_mu.png")
    return [path]
