"""Mean FOPG gradient variance against the model unroll length H for several μ (Fig. 4).

On a locomotion task with the true parameters (as in the seed's §7.2) and a zero-mean linear
Gaussian policy, K independent first-order estimates of ∇ Σ_{t<H} r_t (M rollouts each, from
reset states) are drawn for every (μ, H); H is a traced mask in one unroll of max(H) steps and μ
a traced constant, so one compilation serves the whole grid.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.diagnostics.variance import gradient_samples, summarize, truncated_fopg
from pydojo.policies import LinearPolicy
from pydojo.training.tasks import build_env, stop_on_failure, with_schedule


def horizon_study(env_name: str, mus, horizons, *, n_samples: int = 8, batch: int = 4, noise_std: float = 0.1,
                  seed: int = 0, overrides: dict | None = None) -> dict:
    env = build_env(env_name, "episode", overrides or {})
    policy = LinearPolicy(env.observation_size, env.action_size, noise_std=noise_std)
    max_h = int(max(horizons))

    @eqx.filter_jit
    def estimate(model, key, horizon):
        starts = jax.vmap(model.reset)(jax.random.split(jax.random.fold_in(key, 1), batch))
        return truncated_fopg(policy, model, starts, key, horizon, max_h)

    result = {"env": env_name, "mu": [float(m) for m in mus], "horizon": [int(h) for h in horizons], "variance": [],
              "n_samples": n_samples, "batch": batch}
    key = jax.random.PRNGKey(seed)
    for i, mu in enumerate(mus):
        model = stop_on_failure(with_schedule(env, jnp.asarray(float(mu))))
        row = []
        for h in horizons:
            samples = gradient_samples(lambda k: estimate(model, k, jnp.asarray(h)), jax.random.fold_in(key, i), n_samples)
            row.append(summarize(samples)["mean_variance"])
        result["variance"].append(row)
    return result
