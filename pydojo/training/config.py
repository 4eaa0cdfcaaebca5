"""Validation and construction of everything a FOPG run needs, before any work starts.

Each config group is ``kind`` + options; the builders (``make_policy``, ``make_estimator``,
``make_schedule``, ``build_env``, ``pydojo.backends.as_backend``) reject unknown kinds and options with
the list of valid ones, and ``TrainSettings`` rejects unknown or out-of-range trainer settings. The
``backend`` group (conf/backend/) selects the simulator the environment is built on; a backend that
cannot run here (``backend=dojo`` without Julia) raises ``BackendUnavailableError`` before anything else
is built.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import jax
from omegaconf import DictConfig, OmegaConf

from pydojo.backends import as_backend
from pydojo.estimators import make_estimator
from pydojo.options import checked_options
from pydojo.policies import make_policy
from pydojo.smoothing import make_schedule
from pydojo.smoothing.randomized import RandomizedSmoothing
from pydojo.training.gradient_log import DiagnoseSettings
from pydojo.training.model_fit import FIT_METHODS, ParamSpec
from pydojo.training.tasks import build_env

OPTIMIZERS = ("sgd", "adam")
STARTS = ("reset", "data")


@dataclasses.dataclass(frozen=True)
class ModelSettings:
    fit: tuple = ()  # ((field, index), ...) of ψ to estimate; empty: the model uses ψ* (no fitting)
    init_scale: float = 1.5  # ψ₀ = init_scale · ψ*
    method: str = "random_search"
    fit_every: int = 10
    transitions: int = 64
    rounds: int = 10
    candidates: int = 8
    step: float = 0.3
    gradient_steps: int = 30
    gradient_learning_rate: float = 0.05
    healthy_softness: float = 0.0  # > 0: smooth healthy bonus in model unrolls (LocomotionEnv.healthy_weight)


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    iterations: int = 50
    episodes_per_iteration: int = 2
    episode_length: int = 100
    buffer_size: int = 5000
    starts: str = "data"
    updates_per_iteration: int = 1
    optimizer: str = "adam"
    learning_rate: float = 1e-2
    max_grad_norm: Optional[float] = None
    normalize_observations: bool = False
    eval_every: int = 5
    eval_episodes: int = 2
    checkpoint_every: int = 5
    max_env_steps: Optional[float] = None  # budget: stop after the iteration that reaches it (true-system steps)
    max_wall_time: Optional[float] = None  # budget: stop after the iteration that reaches it (seconds, as logged)
    model: ModelSettings = ModelSettings()
    diagnose: DiagnoseSettings = DiagnoseSettings()

    def __post_init__(self):
        positive = ("iterations", "episodes_per_iteration", "episode_length", "buffer_size", "updates_per_iteration",
                    "eval_every", "eval_episodes", "checkpoint_every")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"fopg.{name} must be >= 1, got {getattr(self, name)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"fopg.optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.starts not in STARTS:
            raise ValueError(f"fopg.starts must be one of {STARTS}, got {self.starts!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"fopg.learning_rate must be > 0, got {self.learning_rate}")
        for name in ("max_env_steps", "max_wall_time"):
            value = getattr(self, name)
            if value is not None and not float(value) > 0:
                raise ValueError(f"fopg.{name} must be > 0 or null (no budget), got {value}")
        if self.model.method not in FIT_METHODS:
            raise ValueError(f"fopg.model.method must be one of {FIT_METHODS}, got {self.model.method!r}")
        if not self.model.init_scale > 0 or self.model.fit_every < 1 or self.model.transitions < 1:
            raise ValueError(f"fopg.model needs init_scale > 0, fit_every >= 1, transitions >= 1; got {self.model}")
        if not self.model.healthy_softness >= 0:
            raise ValueError(f"fopg.model.healthy_softness must be >= 0 (0: gymnasium's step function), "
                             f"got {self.model.healthy_softness}")


def _dataclass_from(cls, values: dict, where: str):
    return cls(**checked_options(cls, values, where))


def _group(cfg: dict, name: str) -> tuple[str, dict]:
    if name not in cfg or not isinstance(cfg[name], dict):
        raise ValueError(f"config group {name!r} is missing: the experiment must select one (e.g. {name}=...)")
    group = dict(cfg[name])
    if "kind" not in group:
        raise ValueError(f"config group {name!r} has no 'kind'")
    return group.pop("kind"), group


@dataclasses.dataclass
class RunSpec:
    """Everything built from a config: true system, model schedule, policy, estimator, settings."""

    true_env: Any
    schedule: Any
    policy: Any
    estimator: Any
    settings: TrainSettings
    spec: ParamSpec
    env_name: str
    backend: Any = None


def make_backend(cfg: DictConfig | dict):
    """The backend a run's config selects (``backend`` group: ``kind`` + options; absent: the JAX engine),
    started: a backend that cannot run here raises ``BackendUnavailableError`` (before any work)."""
    cfg = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    backend = as_backend(cfg.get("backend"))
    backend.start()
    return backend


def build_run(cfg: DictConfig | dict, backend: Any = None) -> RunSpec:
    """Build and validate a FOPG run from its resolved config (raises ``ValueError`` on any bad entry).
    ``backend`` (an ``AbstractBackend``) replaces the one the config selects."""
    cfg = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    env_cfg = dict(cfg.get("env") or {})
    unknown = sorted(set(env_cfg) - {"name", "task", "overrides"})
    if unknown or "name" not in env_cfg:
        raise ValueError(f"env config needs 'name' (and optional 'task', 'overrides'); got keys {sorted(env_cfg)}")
    backend = make_backend(cfg) if backend is None else backend
    true_env = build_env(env_cfg["name"], env_cfg.get("task", "episode"), env_cfg.get("overrides") or {},
                         backend=backend)
    kind, options = _group(cfg, "smoothing")
    schedule = make_schedule(kind, **options)
    train = dict(cfg.get("fopg") or {})
    model = _dataclass_from(ModelSettings, dict(train.pop("model", {}) or {}), "fopg.model")
    model = dataclasses.replace(model, fit=tuple(tuple(e) for e in model.fit))
    diagnose = _dataclass_from(DiagnoseSettings, dict(train.pop("diagnose", {}) or {}), "fopg.diagnose")
    settings = _dataclass_from(TrainSettings, {**train, "model": model, "diagnose": diagnose}, "fopg")
    spec = ParamSpec.parse(model.fit)
    if model.healthy_softness > 0 and getattr(true_env, "kind", None) not in ("hopper", "ant"):
        raise ValueError(f"fopg.model.healthy_softness > 0 needs a locomotion environment with a healthy bonus "
                         f"(hopper, ant), got {env_cfg['name']!r}")
    if spec.entries:
        spec.check(true_env.system.params)
        if model.method == "gradient" and not backend.param_gradients:
            raise ValueError(f"fopg.model.method=gradient needs the step's derivative in ψ, which backend="
                             f"{backend.name} does not provide; use fopg.model.method=random_search")
    kind, options = _group(cfg, "estimator")
    estimator = make_estimator(kind, **options)
    if not backend.randomized_smoothing and (isinstance(schedule, RandomizedSmoothing) or hasattr(estimator, "samples")):
        raise ValueError(f"randomized smoothing (smoothing=randomized, estimator=rs) is not supported by "
                         f"backend={backend.name}; use backend=jax")
    kind, options = _group(cfg, "policy")
    policy = make_policy(kind, true_env.observation_size, true_env.action_size,
                         key=jax.random.PRNGKey(int(cfg.get("seed", 0))), **options)
    return RunSpec(true_env, schedule, policy, estimator, settings, spec, env_cfg["name"], backend)
