"""Randomized smoothing of the contact solve: the bundled first-order gradient (seed §2.3, Fig. 8 baseline).

The FOPG of eq. (4.2) through a model whose every contact solve is averaged over Gaussian
perturbations of the contact gaps (``pydojo.smoothing.RandomizedSmoothing``): the gradient
is E_w[∇ S₀(z + w)] per step, the bundled gradient of Suh et al. The estimator swaps the
model's schedule for the randomized one, so any environment with a ``schedule`` works.
"""
from __future__ import annotations

import equinox as eqx

from pydojo.estimators.fopg import FOPGEstimator
from pydojo.smoothing import RandomizedSmoothing


def with_schedule(env, schedule):
    """``env`` with its smoothing schedule replaced (environments keep it in a ``schedule`` field)."""
    if not hasattr(env, "schedule"):
        raise ValueError(f"{type(env).__name__} has no smoothing schedule to replace")
    return eqx.tree_at(lambda e: e.schedule, env, schedule, is_leaf=lambda x: x is None)


class RSEstimator(FOPGEstimator):
    """sigma: std of the gap perturbation; samples: perturbations per contact solve."""

    sigma: float = eqx.field(static=True, default=0.01)
    samples: int = eqx.field(static=True, default=16)

    def __check_init__(self):
        super().__check_init__()
        RandomizedSmoothing(sigma=self.sigma, samples=self.samples)  # validates

    def estimate(self, policy, env, starts, key):
        return super().estimate(policy, with_schedule(env, RandomizedSmoothing(self.sigma, self.samples)), starts, key)
