"""pydojo: policy learning through hard contact and through optimization layers.

Importing pydojo turns on float64 in JAX (the interior-point solver and the implicit gradients are only
meaningful in double precision) and, before JAX's CPU backend exists, turns off XLA:CPU's fusion emitters,
which compile some batched solver loops into loops that never end (``pydojo._xla``).
"""
import jax

from pydojo import _quiet, _xla

_xla.configure()
_quiet.install()  # known-harmless dependency notices (pydojo._quiet)
jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"
