"""Fig. 8 of the barrier-smoothing paper: analytical (AS) vs randomized (RS) smoothing gradients for (a) impact
(ball) and (b) friction (block), computed by ``pydojo.diagnostics.smoothing_study`` (cached in
``<runs>/diagnostics/smoothing_<case>.json``). Each gradient's error is given against RS's own target (the
input-smoothed outcome) and against the exact gradient."""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pydojo.figures.saved_runs import cached_study, save_figure  # noqa: E402
import numpy as np  # noqa: E402

CASES = {
    "impact": dict(grid=(0.6, 1.6, 61), mu=1e-3, sigma=0.03, samples=8, xlabel="initial height z₀",
                   ylabel="final v_z", outcome="impact_outcome"),
    "friction": dict(grid=(0.0, 10.0, 61), mu=1e-3, sigma=0.5, samples=8, xlabel="push force u",
                     ylabel="final x", outcome="friction_outcome"),
}


def case_result(runs: pathlib.Path, name: str) -> dict:
    from pydojo.diagnostics import smoothing_study

    def compute():
        c = CASES[name]
        f = getattr(smoothing_study, c["outcome"])()
        return smoothing_study.compare(f, np.linspace(*c["grid"]), mu=c["mu"], sigma=c["sigma"], samples=c["samples"])

    return cached_study(runs, f"smoothing_{name}.json", compute, f"the {name} smoothing study", smoothing_study.FORMAT)


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    fig, axes = plt.subplots(2, 2, figsize=(10, 8.5))
    for col, name in enumerate(CASES):
        r, c = case_result(runs, name), CASES[name]
        top, bottom = axes[0, col], axes[1, col]
        top.plot(r["grid"], r["exact_value"], "k", label="exact (μ → 0)")
        top.plot(r["grid"], r["as_value"], "r--", label=f"AS, μ = {r['mu']:g}")
        top.set(xlabel=c["xlabel"], ylabel=c["ylabel"], title=f"({'ab'[col]}) {name}")
        bottom.plot(r["grid"], r["rs_reference"], "k", lw=2, label="RS target: input-smoothed f₀ (many samples)")
        bottom.plot(r["grid"], r["exact_grad"], color="0.6", lw=1, label="exact gradient (μ → 0)")
        err = "mean |err| vs RS target / vs exact"
        bottom.plot(r["grid"], r["as_grad"], "r",
                    label=f"AS, μ = {r['mu']:g} ({err}: {r['as_error']:.3g} / {r['as_error_exact']:.3g})")
        bottom.plot(r["grid"], r["as_grad_small"], "m:",
                    label=f"AS, μ = {r['mu_small']:g} ({r['as_small_error']:.3g} / {r['as_small_error_exact']:.3g})")
        bottom.plot(r["grid"], r["rs_grad"], "b.", ms=4,
                    label=f"RS, N={r['samples']}, σ={r['sigma']:g} ({r['rs_error']:.3g} / {r['rs_error_exact']:.3g})")
        bottom.set(xlabel=c["xlabel"], ylabel=f"d({c['ylabel']})/d{c['xlabel'].split()[-1]}")
        top.legend(fontsize=7)
        bottom.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2))  # below, off the curves
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
    path = save_figure(fig, pathlib.Path(out) / "fig8_analytic_vs_randomized.png")
    return [path]
