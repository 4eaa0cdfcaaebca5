"""The figures' study cache (saved_runs.cached_study) and Figs. 3 and 7 from a cached ball study: a cache of the
current format is drawn as it is (every σ of eq. 5.1 and eq. 7.1 in the legend), one written by an older
version of the study is recomputed, not drawn."""
import json

import matplotlib.pyplot as plt
import pytest

from pydojo.diagnostics import ball_study as study_module
from pydojo.figures import fig3, fig7


def _stats(v):
    return {"max_variance": v, "bias": 10 * v, "bias_standard_error": v}


STUDY = {"mu": [1e-8, 1e-4, 1e-1], "fopg": [_stats(1e-4)] * 3, "lr": [_stats(1e-1)] * 3, "reference": [0.6, 0.0],
         "reference_standard_error": 0.03, "contact_aware": [{"sigma": s, **_stats(s)} for s in (0.01, 0.05)],
         "distance_mu": _stats(1e-3), "format": study_module.STUDY_FORMAT}


@pytest.mark.timeout(120)
def test_cached_study_is_drawn_and_an_old_format_is_recomputed(tmp_path, monkeypatch):
    cache = tmp_path / "runs" / "diagnostics" / "ball_mu_study.json"
    cache.parent.mkdir(parents=True)
    calls = []
    monkeypatch.setattr(study_module, "mu_study", lambda mus: calls.append(mus) or STUDY)
    cache.write_text(json.dumps(STUDY))
    assert fig3.ball_study(tmp_path / "runs") == STUDY and not calls
    for fig in (fig3, fig7):
        (path,) = fig.main(tmp_path / "out", tmp_path / "runs")
        assert path.exists() and path.stat().st_size > 0
    fig, ax = plt.subplots()
    fig3.draw_schedules(ax, STUDY, "bias")
    assert [line.get_label() for line in ax.get_lines()] == ["FOPG, eq. 5.1, σ = 0.01", "FOPG, eq. 5.1, σ = 0.05",
                                                             "FOPG, eq. 7.1 (defaults)"]
    assert [line.get_ydata()[0] for line in ax.get_lines()] == [0.1, 0.5, 0.01]
    plt.close(fig)
    old = {k: v for k, v in STUDY.items() if k != "format"} | {"contact_aware": _stats(0.06)}  # the 2 Dec format
    cache.write_text(json.dumps(old))
    assert fig3.ball_study(tmp_path / "runs") == STUDY and len(calls) == 1
    assert json.loads(cache.read_text())["format"] == study_module.STUDY_FORMAT


@pytest.mark.timeout(60)
def test_cached_study_without_a_format_is_reused_and_a_missing_one_computed(tmp_path):
    from pydojo.figures.saved_runs import cached_study

    computed = []
    first = cached_study(tmp_path, "x.json", lambda: computed.append(1) or {"value": 1}, "a study")
    again = cached_study(tmp_path, "x.json", lambda: computed.append(1) or {"value": 2}, "a study")
    assert first == again == {"value": 1} and computed == [1]
    assert (tmp_path / "diagnostics" / "x.json").exists()
