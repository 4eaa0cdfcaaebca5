"""MJCF sources of the contact tasks: gymnasium's shipped models and two small generated ones.

The locomotion models (hopper, halfcheetah, ant) are read from the installed
``gymnasium`` package; no model file is copied into this repository. The ball
(Fig. 1(a), 2, 5 of the barrier-smoothing paper) and the block (Fig. 1(b), 8(b)) are
generated here from their physical parameters.
"""
from __future__ import annotations

import math
import pathlib

import mujoco

GYMNASIUM_MODELS = {"hopper": "hopper.xml", "halfcheetah": "half_cheetah.xml", "ant": "ant.xml"}


def gymnasium_asset(name: str) -> pathlib.Path:
    """Path of the MJCF file of ``name`` inside the installed gymnasium package."""
    if name not in GYMNASIUM_MODELS:
        raise ValueError(f"no gymnasium model {name!r}; valid names: {', '.join(sorted(GYMNASIUM_MODELS))}")
    import gymnasium

    path = pathlib.Path(gymnasium.__file__).parent / "envs" / "mujoco" / "assets" / GYMNASIUM_MODELS[name]
    if not path.exists():
        raise FileNotFoundError(f"gymnasium does not ship {path}; reinstall gymnasium[mujoco]")
    return path


def load_gymnasium(name: str, timestep: float | None = None) -> mujoco.MjModel:
    """The gymnasium MJCF model ``name`` with an optional timestep override, set to MuJoCo's Euler integrator
    (the one the engine simulates; gymnasium's hopper and ant ask for RK4, which the engine refuses)."""
    model = mujoco.MjModel.from_xml_path(str(gymnasium_asset(name)))
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    if timestep is not None:
        model.opt.timestep = _positive("timestep", timestep)
    return model


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def ball_mjcf(radius: float = 0.1, mass: float = 1.0, friction: float = 0.5, gravity: float = 9.81,
              timestep: float = 0.01) -> mujoco.MjModel:
    """A 2-D ball (slides x, z and rotation about y) above a ground plane (barrier-smoothing paper, Fig. 1(a))."""
    radius, mass, timestep = _positive("radius", radius), _positive("mass", mass), _positive("timestep", timestep)
    if friction < 0:
        raise ValueError(f"friction must be >= 0, got {friction}")
    xml = f"""
<mujoco model="ball">
  <option timestep="{timestep!r}" gravity="0 0 {-gravity!r}"/>
  <worldbody>
    <geom name="floor" type="plane" size="0 0 1" friction="0 0 0"/>
    <body name="ball" pos="0 0 {radius!r}">
      <joint name="x" type="slide" axis="1 0 0" damping="0"/>
      <joint name="z" type="slide" axis="0 0 1" damping="0"/>
      <joint name="rot" type="hinge" axis="0 1 0" damping="0"/>
      <geom name="ball" type="sphere" size="{radius!r}" mass="{mass!r}" friction="{friction!r} 0 0"/>
    </body>
  </worldbody>
  <actuator>
    <motor name="push_x" joint="x" gear="1"/>
    <motor name="push_z" joint="z" gear="1"/>
  </actuator>
</mujoco>"""
    return mujoco.MjModel.from_xml_string(xml)


def block_mjcf(half_size: float = 0.1, mass: float = 1.0, friction: float = 0.5, incline: float = 0.0,
               gravity: float = 9.81, timestep: float = 0.01) -> mujoco.MjModel:
    """A box on a plane tilted by ``incline`` (rad) about y, pushed along the plane (barrier-smoothing paper, Fig. 1(b)).

    The box keeps the plane's orientation (joints: slide along the plane's x axis and along its
    normal); the actuator "push" applies a force along the plane's x axis (horizontal when flat).
    """
    half_size, mass, timestep = _positive("half_size", half_size), _positive("mass", mass), _positive("timestep", timestep)
    if friction < 0:
        raise ValueError(f"friction must be >= 0, got {friction}")
    if not -math.pi / 2 < incline < math.pi / 2:
        raise ValueError(f"incline must be in (-pi/2, pi/2) rad, got {incline}")
    deg = math.degrees(incline)
    xml = f"""
<mujoco model="block">
  <compiler angle="degree"/>
  <option timestep="{timestep!r}" gravity="0 0 {-gravity!r}"/>
  <worldbody>
    <body name="slope" euler="0 {-deg!r} 0">
      <geom name="floor" type="plane" size="0 0 1" friction="0 0 0"/>
      <body name="block" pos="0 0 {half_size!r}">
        <joint name="x" type="slide" axis="1 0 0" damping="0"/>
        <joint name="z" type="slide" axis="0 0 1" damping="0"/>
        <geom name="block" type="box" size="{half_size!r} {half_size!r} {half_size!r}" mass="{mass!r}"
              friction="{friction!r} 0 0"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="push" joint="x" gear="1"/>
  </actuator>
</mujoco>"""
    return mujoco.MjModel.from_xml_string(xml)
