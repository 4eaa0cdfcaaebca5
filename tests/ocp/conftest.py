import jax
import pytest

import pydojo  # noqa: F401  (x64)
from pydojo.ocp import ipm


@pytest.fixture(scope="module")
def jit_solve():
    """jit-compiled IPM solve per OCP, cached for the module."""
    cache = {}

    def get(ocp, tol=1e-11):
        key = (id(ocp), tol)
        if key not in cache:
            cache[key] = jax.jit(lambda x, th, ocp=ocp: ipm.solve(ocp, x, th, ipm.IPMOptions(tol=tol)))
        return cache[key]

    return get
