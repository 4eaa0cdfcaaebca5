"""Environments: ``pydojo.envs.make(name, **overrides)``; ``pydojo.envs.names()`` lists them."""
from pydojo.envs.base import AbstractEnv, EnvState
from pydojo.envs.registry import default_config, make, names, register

__all__ = ["AbstractEnv", "EnvState", "make", "names", "register", "default_config"]

# Importing the task packages registers their environments.
from pydojo.envs import contact as _contact  # noqa: E402,F401
from pydojo.envs import control as _control  # noqa: E402,F401
from pydojo.envs import power as _power  # noqa: E402,F401
