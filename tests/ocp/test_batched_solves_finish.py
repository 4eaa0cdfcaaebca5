"""Batched OCP solves that hung XLA:CPU (jaxlib 0.10.1's fusion emitters) now finish (``pydojo._xla``).

Measured before the fix, with the same program: a ``vmap`` of 32, 64 or 256 cartpole solves (H = 30)
spun one core forever in a compiled while loop, while 8 or 16 lanes took milliseconds. Each check runs
in a fresh interpreter with ``XLA_FLAGS`` unset (the suite's own conftest flags would mask the hang), under
a timeout, and compares the batched solution with one-at-a-time solves.
"""
import os
import subprocess
import sys

import pytest

PROGRAM = r"""
import sys, numpy as np, jax, jax.numpy as jnp
import pydojo, os
from pydojo import envs
from pydojo.ocp import ipm
name, horizon, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
env = envs.make(name)
ocp = env.diffop_ocp(horizon)
theta = env.perturbed_theta(jax.random.PRNGKey(0), 0.2)
base = jnp.asarray(env.initial_states)[jnp.arange(batch) % len(env.initial_states)]
X = base + 0.2 * jax.random.uniform(jax.random.PRNGKey(1), base.shape, minval=-1.0, maxval=1.0) * (jnp.abs(base) > 0)
opts = ipm.IPMOptions(tol=1e-8)
out = jax.block_until_ready(jax.jit(jax.vmap(lambda x: ipm.solve(ocp, x, theta, opts)))(X))
one = jax.jit(lambda x: ipm.solve(ocp, x, theta, opts))
ref = np.stack([np.asarray(one(x).us) for x in X[:8]])
print("FLAGS", os.environ.get("XLA_FLAGS"))
print("RESULTS", sorted(set(np.asarray(out.result).tolist())))
print("DIFF", float(np.abs(np.asarray(out.us[:8]) - ref).max()))
"""


def _run(args, timeout, **env_changes):
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("batch", [32, 64])
def test_a_wide_vmap_of_the_ocp_solver_finishes_and_matches_single_solves(batch):
    out = _run(["cartpole", "30", str(batch)], timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if line.startswith(("FLAGS", "RESULTS", "DIFF")))
    assert lines["FLAGS"] == "--xla_cpu_use_fusion_emitters=false"
    assert lines["RESULTS"] == "[0]"
    assert float(lines["DIFF"]) < 1e-9


@pytest.mark.timeout(120)
def test_a_callers_choice_is_kept_and_a_late_import_warns():
    code = ("import os, warnings; warnings.simplefilter('error')\n"
            "import pydojo; print(os.environ['XLA_FLAGS'])")
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=100,
                         env={**env, "XLA_FLAGS": "--xla_cpu_use_fusion_emitters=true"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "--xla_cpu_use_fusion_emitters=true"
    late = "import jax, jax.numpy as jnp; jnp.zeros(1).block_until_ready()\nimport pydojo"
    out = subprocess.run([sys.executable, "-W", "always", "-c", late], capture_output=True, text=True, timeout=100, env=env)
    assert out.returncode == 0 and "batched solves" in out.stderr and "may hang" in out.stderr, out.stderr[-2000:]

