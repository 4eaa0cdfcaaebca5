import os

# The suite's time is mostly XLA compilation of small programs, run once or a few times: LLVM's optimisation
# passes cost more than they save there (about -20 % wall-clock for the engine and environment tests on 2 cores).
# Set before JAX creates its CPU backend (it reads XLA_FLAGS then); an XLA_FLAGS from the caller wins.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true")

import jax  # noqa: E402

import pydojo  # noqa: F401,E402  (turns on float64)

assert jax.config.jax_enable_x64
