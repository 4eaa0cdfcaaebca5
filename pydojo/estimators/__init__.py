"""Policy-gradient estimators behind one interface (``AbstractEstimator.estimate``).

fopg: first-order gradient through the (smoothed) model, eq. 4.2; constant μ, μ → 0 and the
contact-aware schedules are this estimator with a different model schedule.
rs: fopg through randomized smoothing of the contact solve (bundled gradient).
lr: likelihood ratio, eq. 2.1 (Gaussian policy). ars: Augmented Random Search V2-t.
diffop: DiffOP's estimator (``pydojo.estimators.diffop``, its own interface).
"""
from pydojo.estimators.ars import ARSEstimator
from pydojo.estimators.base import AbstractEstimator, Unroll, batched_unroll, unroll
from pydojo.estimators.fopg import FOPGEstimator
from pydojo.estimators.lr import LREstimator
from pydojo.estimators.rs import RSEstimator, with_schedule

ESTIMATORS = {"fopg": FOPGEstimator, "lr": LREstimator, "ars": ARSEstimator, "rs": RSEstimator}

__all__ = ["AbstractEstimator", "Unroll", "unroll", "batched_unroll", "FOPGEstimator", "LREstimator", "ARSEstimator",
           "RSEstimator", "with_schedule", "ESTIMATORS", "make_estimator"]


def make_estimator(kind: str, **options) -> AbstractEstimator:
    """Build an estimator from its config group: kind in {fopg, lr, ars, rs}."""
    if kind not in ESTIMATORS:
        raise ValueError(f"unknown estimator {kind!r}; valid estimators: {', '.join(sorted(ESTIMATORS))}")
    try:
        return ESTIMATORS[kind](**options)
    except TypeError as err:
        raise ValueError(f"bad options {sorted(options)} for estimator {kind!r}: {err}") from None
