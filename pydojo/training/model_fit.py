"""Model update of Algorithm 1: fit the physical parameters ψ of the engine to true-system transitions.

L(ψ; D) = Σ_t ½‖f(x*_t, u*_t; ψ) − x*_{t+1}‖²  (barrier-smoothing paper, eq. 4.1),

minimised by random search (the paper's choice; ``random_search``) or, as an option, by gradient
descent through the engine (``gradient_fit``, implicit gradients of the contact solve w.r.t. ψ).
ψ is a vector of selected entries of ``pydojo.engine.Params`` (``ParamSpec``), searched in
log-space (all entries are positive physical quantities).
"""
from __future__ import annotations

from typing import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from pydojo.engine import Params
from pydojo.training.tasks import predict, state_vector, with_params

FIT_METHODS = ("random_search", "gradient")


class ParamSpec(eqx.Module):
    """Which entries of ψ are estimated: ((field, index), ...), e.g. (("body_mass", 1), ("friction", 1))."""

    entries: tuple = eqx.field(static=True)

    def __check_init__(self):
        fields = Params.__dataclass_fields__
        for entry in self.entries:
            if len(entry) != 2 or entry[0] not in fields:
                raise ValueError(f"model parameter {entry!r} must be [field, index] with field in {sorted(fields)}")

    @staticmethod
    def parse(entries: Sequence) -> "ParamSpec":
        return ParamSpec(tuple((str(f), int(i)) for f, i in entries))

    def check(self, params: Params) -> None:
        for field, index in self.entries:
            n = jnp.shape(getattr(params, field))[0]
            if not 0 <= index < n:
                raise ValueError(f"model parameter {field}[{index}] is out of range: this system has {n} entries")

    def read(self, params: Params) -> jax.Array:
        return jnp.stack([getattr(params, f)[i] for f, i in self.entries]) if self.entries else jnp.zeros(0)

    def write(self, params: Params, values: jax.Array) -> Params:
        for k, (field, index) in enumerate(self.entries):
            params = eqx.tree_at(lambda p: getattr(p, field), params, getattr(params, field).at[index].set(values[k]))
        return params


def model_env(true_env, spec: ParamSpec, values: jax.Array):
    """The true environment with the estimated entries ψ replaced (``values`` in natural units)."""
    if not spec.entries:
        return true_env
    return with_params(true_env, spec.write(true_env.system.params, values))


def transition_loss(true_env, spec: ParamSpec, values, transitions) -> jax.Array:
    """eq. (4.1), averaged over the given transitions (states, actions, next states; leading axis T)."""
    env = model_env(true_env, spec, values)
    states, actions, next_states = transitions

    def one(s, u, s_next):
        pred, failed = predict(env, s, u)
        err = 0.5 * jnp.sum((state_vector(pred) - state_vector(s_next)) ** 2)
        return jnp.where(failed | ~jnp.isfinite(err), 0.0, err), failed

    errors, failed = jax.vmap(one)(states, actions, next_states)
    # a transition whose contact solve failed under this ψ counts with the largest error of the batch
    loss = (jnp.sum(errors) + jnp.sum(failed) * jnp.max(errors)) / errors.shape[0]
    return jnp.where(jnp.all(failed), jnp.inf, loss)


def random_search(loss_fn, values0: jax.Array, key, *, rounds: int = 10, candidates: int = 8, step: float = 0.3,
                  decay: float = 0.7) -> tuple[jax.Array, jax.Array]:
    """(1+K) random search in log ψ: K Gaussian candidates around the incumbent per round, keep the best,
    shrink the step by ``decay``. ``loss_fn(values (K, d)) -> (K,)``. Returns (ψ, loss)."""
    if rounds < 1 or candidates < 1 or not step > 0 or not 0 < decay <= 1:
        raise ValueError(f"random_search needs rounds, candidates >= 1, step > 0, decay in (0, 1]; got "
                         f"{rounds}, {candidates}, {step}, {decay}")
    best = jnp.log(values0)
    # the incumbent is evaluated in a batch of the candidates' shape, so loss_fn compiles once
    best_loss = loss_fn(jnp.broadcast_to(jnp.exp(best), (candidates, best.shape[0])))[0]
    for r in range(rounds):
        cands = best + step * decay**r * jax.random.normal(jax.random.fold_in(key, r), (candidates, best.shape[0]))
        losses = loss_fn(jnp.exp(cands))
        i = jnp.argmin(losses)
        better = losses[i] < best_loss
        best, best_loss = jnp.where(better, cands[i], best), jnp.where(better, losses[i], best_loss)
    return jnp.exp(best), best_loss


def gradient_fit(loss_fn, values0: jax.Array, *, steps: int = 50, learning_rate: float = 0.05, value_and_grad=None):
    """Adam on log ψ with ∇ψ L through the engine. ``loss_fn(values (d,)) -> scalar``. Returns (ψ, loss).

    ``value_and_grad(log ψ) -> (L, ∇ L)``, if given, replaces the jit of ``loss_fn``'s (a caller that fits
    repeatedly passes one whose compilation is shared across calls)."""
    if steps < 1 or not learning_rate > 0:
        raise ValueError(f"gradient_fit needs steps >= 1 and learning_rate > 0, got {steps}, {learning_rate}")
    opt = optax.adam(learning_rate)
    log_v = jnp.log(values0)
    state = opt.init(log_v)
    if value_and_grad is None:
        value_and_grad = jax.jit(jax.value_and_grad(lambda lv: loss_fn(jnp.exp(lv))))
    for _ in range(steps):
        loss, g = value_and_grad(log_v)
        updates, state = opt.update(g, state)
        log_v = optax.apply_updates(log_v, updates)
    return jnp.exp(log_v), loss_fn(jnp.exp(log_v))


# Compiled once per process (per environment structure), not once per fit: the data and ψ are arguments.
_candidate_losses = eqx.filter_jit(
    lambda env, spec, values, data: jax.vmap(lambda v: transition_loss(env, spec, v, data))(values))
_loss = eqx.filter_jit(transition_loss)
_log_value_and_grad = eqx.filter_jit(
    lambda env, spec, log_values, data: jax.value_and_grad(
        lambda lv: transition_loss(env, spec, jnp.exp(lv), data))(log_values))


def fit_psi(true_env, spec: ParamSpec, values0: jax.Array, transitions, key, settings) -> tuple[jax.Array, jax.Array]:
    """Minimise eq. (4.1) over ψ on ``transitions`` starting from ``values0`` with ``settings`` (a
    ``ModelSettings``: random search or gradient descent). Returns (ψ, loss)."""
    if settings.method == "gradient":
        return gradient_fit(lambda v: _loss(true_env, spec, v, transitions), values0, steps=settings.gradient_steps,
                            learning_rate=settings.gradient_learning_rate,
                            value_and_grad=lambda lv: _log_value_and_grad(true_env, spec, lv, transitions))
    return random_search(lambda v: _candidate_losses(true_env, spec, v, transitions), values0, key,
                         rounds=settings.rounds, candidates=settings.candidates, step=settings.step)
