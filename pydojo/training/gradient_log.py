"""Gradient variance and bias logged during FOPG training (issue 14, item 4: Thm. 4.2's terms per curve).

Every ``fopg.diagnose.every`` iterations (0: off) the trainer calls ``gradient_terms`` with the current
policy, the model f_ψ it trains through and the true system. It draws ``samples`` independent estimates
of the trainer's own estimator (each from ``estimator.batch`` starts sampled from D, whatever ``fopg.starts``) and
returns Fig. 4's statistics of them (``grad_total_variance``: Thm. 4.2's v_n, ``grad_mean_variance``),
and their bias ``grad_bias`` = ‖E ĝ − g_ref‖ against a reference g_ref of the same objective (same H, γ,
exploration noise, start distribution), the mean of ``reference_samples`` estimates on the true system
(ψ*, μ → 0, the true reward):

* ``reference: exact`` (default): the trainer's first-order estimator through the exact model. The bias is
  then what the model adds — the smoothing, ψ's error, the smooth healthy bonus — but not the bias that
  the exact model's own first-order gradient has at hard contacts and terminations.
* ``reference: lr``: likelihood-ratio estimates of ``reference_batch`` rollouts (Fig. 7's reference, unbiased
  for the true objective). On the locomotion tasks its standard error at affordable batches is as large as
  the gradient (hopper, H = 16: 329 vs a norm of 317 at 256 rollouts), so it resolves no bias there.

``grad_reference_se`` is the reference's standard error (a bias below it is not resolved) and
``grad_bias_se`` the sampled mean's.
"""
from __future__ import annotations

import dataclasses

import jax
import numpy as np

from pydojo.diagnostics.variance import flatten, summarize
from pydojo.estimators import make_estimator


REFERENCES = ("exact", "lr")


@dataclasses.dataclass(frozen=True)
class DiagnoseSettings:
    every: int = 0               # iterations between diagnostics (0: off); the last one (or a budget's) is also diagnosed
    samples: int = 8             # estimates of the trainer's estimator (variance needs >= 2)
    reference: str = "exact"     # exact: the estimator through the true system; lr: likelihood ratio on it
    reference_batch: int = 64    # rollouts per likelihood-ratio reference estimate (reference: lr)
    reference_samples: int = 16  # reference estimates averaged (>= 2: their spread gives the reference's error)

    def __post_init__(self):
        if self.reference not in REFERENCES:
            raise ValueError(f"fopg.diagnose.reference must be one of {REFERENCES}, got {self.reference!r}")
        if self.every < 0:
            raise ValueError(f"fopg.diagnose.every must be >= 0 (0: off), got {self.every}")
        if self.samples < 2 or self.reference_samples < 2 or self.reference_batch < 2:
            raise ValueError(f"fopg.diagnose needs samples >= 2, reference_samples >= 2 and reference_batch >= 2; "
                             f"got {self}")

    def due(self, iteration: int, iterations: int) -> bool:
        return self.every > 0 and (iteration % self.every == 0 or iteration == iterations - 1)


def reference_estimator(estimator, settings: DiagnoseSettings):
    """``estimator`` itself (reference: exact) or the likelihood-ratio estimator of its objective (its H and γ)
    on ``reference_batch`` rollouts (reference: lr)."""
    if settings.reference == "exact":
        return estimator
    return make_estimator("lr", horizon=estimator.horizon, discount=estimator.discount,
                          batch=settings.reference_batch, baseline=True)


def gradient_terms(estimate, data_starts, estimator, policy, model, true_env, buffer, key,
                   settings: DiagnoseSettings) -> dict:
    """Variance of ``estimator`` through ``model`` and its bias against the reference on ``true_env``.

    ``estimate(est, policy, env, starts, key)`` and ``data_starts(env, physics)`` are the trainer's jitted
    functions (shared compilations); starts are drawn from ``buffer`` (D)."""
    reference = reference_estimator(estimator, settings)
    k_samples, k_ref = jax.random.split(key)

    def draw(est, env, k):
        k_start, k_est = jax.random.split(k)
        starts = data_starts(env, buffer.sample(k_start, est.batch)[2])
        return flatten(estimate(est, policy, env, starts, k_est)[0])

    samples = np.stack([draw(estimator, model, k) for k in jax.random.split(k_samples, settings.samples)])
    refs = np.stack([draw(reference, true_env, k) for k in jax.random.split(k_ref, settings.reference_samples)])
    if not (np.all(np.isfinite(samples)) and np.all(np.isfinite(refs))):
        return {"grad_diagnose_failed": 1.0}  # a diverged unroll: logged, training goes on
    stats = summarize(samples, refs.mean(axis=0))
    ref_se = float(np.sqrt(refs.var(axis=0, ddof=1).sum() / refs.shape[0]))
    return {"grad_total_variance": stats["total_variance"], "grad_mean_variance": stats["mean_variance"],
            "grad_bias": stats["bias"], "grad_relative_bias": stats["relative_bias"],
            "grad_bias_se": stats["bias_standard_error"], "grad_reference_se": ref_se,
            "grad_reference_norm": float(np.linalg.norm(refs.mean(axis=0)))}
