"""Fig. 8's study: its exact-gradient yardstick equals central differences of the exact engine, each reported
error is the mean |difference| of the curves it names, and AS at a small μ is the exact gradient away from the kink."""
import numpy as np
import pytest

import pydojo  # noqa: F401  (x64)
from pydojo.diagnostics import smoothing_study


@pytest.mark.timeout(300)
def test_friction_study_yardsticks():
    f = smoothing_study.friction_outcome(steps=20)
    grid = np.array([1.0, 2.5, 6.0, 8.5])
    r = smoothing_study.compare(f, grid, mu=1e-3, sigma=0.5, samples=4, reference_samples=16)
    h = 1e-5
    fd = np.array([(float(f(u + h, 1e-10)) - float(f(u - h, 1e-10))) / (2 * h) for u in grid])
    np.testing.assert_allclose(r["exact_grad"], fd, rtol=1e-4, atol=1e-7)
    for key, curve, against in (("as_error_exact", "as_grad", "exact_grad"), ("rs_error", "rs_grad", "rs_reference"),
                                ("as_small_error", "as_grad_small", "rs_reference")):
        assert r[key] == pytest.approx(np.mean(np.abs(np.subtract(r[curve], r[against]))), rel=1e-12)
    assert r["as_small_error_exact"] < 1e-3 * max(1.0, np.max(np.abs(r["exact_grad"])))
    assert r["format"] == smoothing_study.FORMAT
