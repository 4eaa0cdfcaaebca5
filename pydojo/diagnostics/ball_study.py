"""Gradient variance and bias of the ball throw (Figs. 3 and 7) as functions of μ.

The throw task of Fig. 5 (from the ground, θ = (0.5, 0): half the noisy throws go up, half into the
ground) with Gaussian noise on the throw velocity (the policy noise σ): for each
constant μ the model is the engine at μ_sc = μ (μ is a traced value, so one compilation serves
every μ); FOPG (eq. 4.2) and LR (eq. 2.1) estimates are drawn K times and summarised. The
reference gradient for the bias is the LR estimate on the exact system (μ → 0) with a large batch,
which is unbiased for the noise-smoothed true objective.

The contact-aware schedules are summarised beside the constant μ: eq. 5.1 (``GaussianMu``) for several widths
σ, because the ball rests on the ground in this task and eq. 5.1's force holds a resting ball about 2σ above
it (σ = 0.05, half the ball's radius, makes the model ball hover and oscillate: bias 4.3 against ≤ 0.05 for
σ ≤ 0.01), and eq. 7.1 (``DistanceMu`` with its defaults, the schedule of the locomotion runs).
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.diagnostics.variance import gradient_samples, summarize
from pydojo.estimators import make_estimator
from pydojo.policies import LinearPolicy
from pydojo.smoothing import DistanceMu, GaussianMu
from pydojo.training.tasks import build_env, with_schedule

STUDY_FORMAT = 2  # cached studies of another format are recomputed (fig3.ball_study)
SIGMAS = (0.005, 0.01, 0.02, 0.05)
THROW = dict(timestep=0.01, episode_length=100, start=(0.0, 0.0), goal=(1.5, 0.3), goal_velocity=(1.0, 1.0))


def throw_setup(theta=(0.5, 0.0), noise_std: float = 0.1):
    env = build_env("ball", "throw", THROW)
    policy = LinearPolicy(1, 2, noise_std=noise_std, bias=jnp.asarray(theta))
    return env, policy


def _estimator_fn(kind: str, policy, batch: int):
    est = make_estimator(kind, horizon=1, discount=1.0, batch=batch)

    @eqx.filter_jit
    def fn(env, key):
        starts = jax.vmap(env.reset)(jax.random.split(key, batch))
        return est.estimate(policy, env, starts, key)[0]

    return fn


def mu_study(mus, *, n_samples: int = 8, batch: int = 4, reference_batch: int = 128, reference_samples: int = 8,
             theta=(0.5, 0.0), noise_std: float = 0.1, sigmas=SIGMAS, seed: int = 0) -> dict:
    """Per μ: FOPG and LR variance statistics and FOPG bias; plus FOPG with the contact-aware schedules:
    eq. 5.1 for each σ in ``sigmas`` (list ``contact_aware``, each with its ``sigma``) and eq. 7.1
    (``distance_mu``)."""
    env, policy = throw_setup(theta, noise_std)
    key = jax.random.PRNGKey(seed)
    fopg, lr = _estimator_fn("fopg", policy, batch), _estimator_fn("lr", policy, batch)
    lr_ref = _estimator_fn("lr", policy, reference_batch)
    exact = with_schedule(env, jnp.asarray(1e-10))
    ref_samples = gradient_samples(lambda k: lr_ref(exact, k), jax.random.fold_in(key, 99), reference_samples)
    reference = ref_samples.mean(axis=0)
    result = {"mu": [float(m) for m in mus], "fopg": [], "lr": [], "reference": reference.tolist(),
              "reference_standard_error": float(np.sqrt(ref_samples.var(axis=0, ddof=1).sum() / reference_samples))}
    for i, mu in enumerate(mus):
        model = with_schedule(env, jnp.asarray(float(mu)))
        k = jax.random.fold_in(key, i)
        result["fopg"].append(summarize(gradient_samples(lambda kk: fopg(model, kk), k, n_samples), reference))
        result["lr"].append(summarize(gradient_samples(lambda kk: lr(model, kk), k, n_samples), reference))
    def schedule_summary(schedule):
        model = with_schedule(env, schedule)
        return summarize(gradient_samples(lambda kk: fopg(model, kk), jax.random.fold_in(key, 7), n_samples), reference)

    result["contact_aware"] = [{"sigma": float(sigma), **schedule_summary(GaussianMu(sigma=float(sigma)))}
                               for sigma in sigmas]
    result["distance_mu"] = schedule_summary(DistanceMu())
    result["format"] = STUDY_FORMAT
    return result
