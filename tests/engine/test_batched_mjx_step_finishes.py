"""MJX's own step on ant at batch 256 deadlocked XLA:CPU's thread pool (``pydojo._xla``); it now finishes.

Measured before the fix, the same program as here: 1 of 3 runs hung with jaxlib's default flags and 6 of 6
with the fusion emitters off (both pool threads waiting in LAPACK's ParallelBatchMap, 0 % CPU). It runs in a
fresh interpreter with ``XLA_FLAGS`` unset (the suite's conftest flags would change the program) under a
timeout, and the final state must be finite.
"""
import os
import subprocess
import sys

import pytest

PROGRAM = r"""
import jax, jax.numpy as jnp, numpy as np
import pydojo
from pydojo._quiet import import_mjx
from pydojo.engine import load_gymnasium
mjx = import_mjx()
model = mjx.put_model(load_gymnasium("ant"))
data = mjx.make_data(model)
batch = jax.vmap(lambda k: data.replace(ctrl=0.1 * jax.random.normal(k, (model.nu,))))(jax.random.split(jax.random.PRNGKey(0), 256))
run = jax.jit(lambda d: jax.lax.scan(lambda c, _: (jax.vmap(lambda x: mjx.step(model, x))(c), None), d, None, length=20)[0])
for _ in range(2):
    out = jax.block_until_ready(run(batch))
print("FINITE", bool(np.all(np.isfinite(np.asarray(out.qpos)))))
"""


@pytest.mark.timeout(300)
def test_mjx_step_on_ant_at_batch_256_finishes():
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=240, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "FINITE True" in out.stdout
