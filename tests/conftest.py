import jax

import pydojo  # noqa: F401  (turns on float64)

assert jax.config.jax_enable_x64
