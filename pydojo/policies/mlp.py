"""MLP Gaussian policy: mean(x) = MLP(norm(x)) (tanh hidden layers), reparameterized noise (eq. 4.2)."""
from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.policies.linear import AbstractPolicy, Normalizer, _check_common


class MLPPolicy(AbstractPolicy):
    """``hidden`` tanh layers; the last layer is scaled by ``last_layer_scale`` so the initial mean is ≈ 0."""

    net: eqx.nn.MLP

    def __init__(self, observation_size: int, action_size: int, *, hidden: tuple = (32, 32), noise_std: float = 0.1,
                 last_layer_scale: float = 0.01, action_low: float = -math.inf, action_high: float = math.inf,
                 key: jax.Array | None = None):
        hidden = tuple(int(h) for h in hidden)
        if observation_size < 1 or action_size < 1 or not hidden or min(hidden) < 1:
            raise ValueError(f"MLPPolicy needs sizes >= 1 and a non-empty hidden tuple, got {observation_size}, "
                             f"{action_size}, {hidden}")
        if len(set(hidden)) != 1:
            raise ValueError(f"MLPPolicy hidden layers must have equal widths (equinox MLP), got {hidden}")
        _check_common(noise_std, action_low, action_high)
        key = jax.random.PRNGKey(0) if key is None else key
        net = eqx.nn.MLP(observation_size, action_size, hidden[0], len(hidden), activation=jnp.tanh, key=key,
                         dtype=jnp.float64)
        last = net.layers[-1]
        net = eqx.tree_at(lambda n: (n.layers[-1].weight, n.layers[-1].bias), net,
                          (last.weight * last_layer_scale, jnp.zeros_like(last.bias)))
        self.net = net
        self.normalizer = Normalizer.identity(observation_size)
        self.noise_std, self.action_low, self.action_high = float(noise_std), float(action_low), float(action_high)

    @property
    def observation_size(self) -> int:
        return self.net.in_size

    @property
    def action_size(self) -> int:
        return self.net.out_size

    def raw_mean(self, z):
        return self.net(z)
