"""Compilation hygiene of the FOPG trainer (``pydojo.training.compiled``): each jitted function compiles
once per process, across iterations and across runs, and the persistent cache is really used."""
import logging
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest
from hydra import compose, initialize_config_dir

import pydojo  # noqa: F401
from pydojo.train import CONFIG_DIR, run
from pydojo.training import records
from pydojo.training.compiled import committed_jit, enable_compilation_cache

BASE = ["experiment=fig5", "env=double_integrator", "+env.overrides.timestep=0.3", "policy.bias=null",
        "estimator.horizon=10", "estimator.batch=4", "fopg.episode_length=10", "fopg.eval_every=2",
        "fopg.updates_per_iteration=2", "fopg.starts=data"]


class _Messages(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _compiles(fn, names):
    """Number of XLA compilations of each function name in ``names`` while ``fn()`` runs."""
    handler = _Messages()
    logger = logging.getLogger("jax")
    logger.addHandler(handler)
    try:
        with jax.log_compiles(True):
            fn()
    finally:
        logger.removeHandler(handler)
    return {n: sum(f"Finished XLA compilation of jit({n})" in m for m in handler.messages) for n in names}


def _fresh_then_own_output(g):
    x, y = jnp.ones(3), jax.device_put(jnp.ones(3), jax.devices()[0])
    out = g(x, y)
    for _ in range(2):
        out = g(out, y)


def test_committed_jit_compiles_once_where_filter_jit_compiles_twice():
    def plain(x, y):
        return 2 * x + y

    def placed(x, y):
        return 2 * x + y

    # the failure mode it fixes: a fresh (uncommitted) array, then the function's own (committed) output
    assert _compiles(lambda: _fresh_then_own_output(eqx.filter_jit(plain)), ["plain"]) == {"plain": 2}
    assert _compiles(lambda: _fresh_then_own_output(committed_jit(placed)), ["placed"]) == {"placed": 1}


def _cfg(overrides):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=overrides)


@pytest.mark.timeout(200)
def test_trainer_compiles_each_function_once_across_iterations_and_runs(tmp_path):
    names = ["collect", "estimate_gradient", "data_starts", "apply_update"]
    first = _compiles(lambda: run(_cfg(BASE + ["fopg.iterations=4", "seed=0"]), tmp_path / "a"), names)
    # at most once (zero if an earlier test in this process compiled the same shapes)
    assert all(first[n] <= 1 for n in names), first
    second = _compiles(lambda: run(_cfg(BASE + ["fopg.iterations=3", "seed=1"]), tmp_path / "b"), names)
    assert second["collect"] == second["estimate_gradient"] == second["data_starts"] == 0, second
    rows = records.MetricsLog(tmp_path / "a").read()
    assert len(rows) == 4
    # no model is fitted here: model_loss is absent, not NaN, and every logged number is finite
    assert all("model_loss" not in r for r in rows)
    assert all(math.isfinite(v) for r in rows for v in r.values() if isinstance(v, float))


def test_compilation_cache_is_used_after_earlier_compilations(tmp_path, monkeypatch):
    from jax._src import compilation_cache as cc
    from jax._src import xla_bridge

    jax.jit(lambda x: x + 1)(jnp.ones(2))  # JAX has already decided "no persistent cache" in this process
    before = (jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs)
    monkeypatch.setenv("PYDOJO_JAX_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("EQX_ON_ERROR", raising=False)
    import equinox._errors as eqx_errors

    mode = eqx_errors.EQX_ON_ERROR
    try:
        assert enable_compilation_cache()
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.jit(lambda x: jnp.sin(x) * 3.0 + 0.123)(jnp.ones(5))
        assert cc.is_cache_used(xla_bridge.get_backend())
        assert any((tmp_path / "cache").iterdir()), "nothing was written to the persistent cache"
        assert eqx_errors.EQX_ON_ERROR == "nan"  # runtime checks without host callbacks (cacheable)
    finally:
        eqx_errors.EQX_ON_ERROR = mode
        jax.config.update("jax_compilation_cache_dir", before[0])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", before[1])
        cc.reset_cache()


def test_compilation_cache_is_off_without_the_variable(monkeypatch):
    monkeypatch.delenv("PYDOJO_JAX_CACHE", raising=False)
    assert enable_compilation_cache() is False
