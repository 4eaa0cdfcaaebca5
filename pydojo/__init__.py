"""pydojo: policy learning through hard contact and through optimization layers.

Importing pydojo turns on float64 in JAX: the interior-point solver and the
implicit gradients are only meaningful in double precision.
"""
import jax

jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"
