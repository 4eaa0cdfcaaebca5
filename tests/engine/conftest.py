"""Shared systems for the engine tests (built once per session to keep MJX compile cost down)."""
import pytest

from pydojo.engine import ball_mjcf, block_mjcf, make_system

BLOCK_FRICTION = 0.5
GRAVITY = 9.81


@pytest.fixture(scope="session")
def block_constants():
    """(sliding friction μ_f, gravity g) of ``block_system`` (mass 1, h = 0.01)."""
    return BLOCK_FRICTION, GRAVITY


@pytest.fixture(scope="session")
def ball_system():
    return make_system(ball_mjcf(radius=0.1, mass=1.0, friction=0.5, timestep=0.01))


@pytest.fixture(scope="session")
def block_system():
    return make_system(block_mjcf(mass=1.0, friction=BLOCK_FRICTION, timestep=0.01))
