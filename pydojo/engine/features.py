"""MJCF features the engine does not simulate are refused when the system is built, never ignored.

pydojo replaces MuJoCo's constraint solver with its own complementarity problem (contacts, joint limits)
and takes the rigid-body terms from MJX. What MJX computes outside the constraint solver but pydojo does
not pass on would be silently dropped; each such feature is refused here with the element that uses it
and what to change. (Limited ball joints are refused in ``system._limit_rows``.)
"""
from __future__ import annotations

import mujoco
import numpy as np


def _name(model: mujoco.MjModel, kind: mujoco.mjtObj, index: int) -> str:
    name = mujoco.mj_id2name(model, kind, index)
    return repr(name) if name else f"#{index}"


def unsupported_features(model: mujoco.MjModel, contacts: bool = True) -> list[str]:
    """One sentence per unsupported feature used by ``model`` (empty: everything it uses is simulated);
    ``contacts=False`` (a system without contact) skips the contact features."""
    problems = []
    if model.ntendon:
        names = ", ".join(_name(model, mujoco.mjtObj.mjOBJ_TENDON, i) for i in range(model.ntendon))
        problems.append(f"tendons ({names}): their length limits, springs, damping and actuation are not "
                        "simulated; remove the <tendon> elements (and actuators or sensors on them)")
    if model.neq:
        kinds = {int(mujoco.mjtEq.mjEQ_CONNECT): "connect", int(mujoco.mjtEq.mjEQ_WELD): "weld",
                 int(mujoco.mjtEq.mjEQ_JOINT): "joint", int(mujoco.mjtEq.mjEQ_TENDON): "tendon"}
        names = ", ".join(f"{kinds.get(int(model.eq_type[i]), 'other')} {_name(model, mujoco.mjtObj.mjOBJ_EQUALITY, i)}"
                          for i in range(model.neq))
        problems.append(f"equality constraints ({names}) are not simulated; remove the <equality> elements")
    friction_dofs = np.flatnonzero(model.dof_frictionloss > 0)
    if friction_dofs.size:
        joints = sorted({int(model.dof_jntid[d]) for d in friction_dofs})
        names = ", ".join(_name(model, mujoco.mjtObj.mjOBJ_JOINT, j) for j in joints)
        problems.append(f"joint frictionloss on joints {names} is not simulated; set frictionloss=\"0\"")
    if int(model.opt.integrator) != int(mujoco.mjtIntegrator.mjINT_EULER):
        chosen = mujoco.mjtIntegrator(int(model.opt.integrator)).name.removeprefix("mjINT_")
        problems.append(f"option integrator=\"{chosen}\": pydojo steps semi-implicit Euler (MuJoCo's Euler, with its "
                        "implicit joint damping) whatever the model asks for; set <option integrator=\"Euler\"/> or "
                        "model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER to simulate the model that way "
                        "(pydojo.engine.load_gymnasium does this for gymnasium's models)")
    colliding = np.flatnonzero((model.geom_contype | model.geom_conaffinity) != 0) if contacts else []
    spatial = [g for g in colliding if int(model.geom_condim[g]) > 3]
    if spatial:
        names = ", ".join(f"{_name(model, mujoco.mjtObj.mjOBJ_GEOM, g)} (condim {int(model.geom_condim[g])})"
                          for g in spatial)
        problems.append(f"geoms {names}: torsional and rolling friction (condim 4 and 6) are not simulated; set "
                        "condim=\"3\" (sliding friction) or condim=\"1\" (frictionless)")
    pairs = [p for p in range(model.npair) if int(model.pair_dim[p]) > 3] if contacts else []
    if pairs:
        names = ", ".join(_name(model, mujoco.mjtObj.mjOBJ_PAIR, p) for p in pairs)
        problems.append(f"contact pairs {names} have condim 4 or 6 (torsional and rolling friction), which is not "
                        "simulated; set condim=\"3\" or \"1\"")
    joint_transmission = (int(mujoco.mjtTrn.mjTRN_JOINT), int(mujoco.mjtTrn.mjTRN_JOINTINPARENT))
    other = [a for a in range(model.nu) if int(model.actuator_trntype[a]) not in joint_transmission]
    if other:
        names = ", ".join(_name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, a) for a in other)
        problems.append(f"actuators {names} act through a tendon, site or body; only joint actuators are simulated")
    return problems


def check_supported(model: mujoco.MjModel, contacts: bool = True) -> None:
    """Raise ``ValueError`` listing every unsupported feature ``model`` uses."""
    problems = unsupported_features(model, contacts)
    if problems:
        raise ValueError("this MJCF model uses features pydojo's engine does not simulate (refused rather than "
                         "ignored):\n  - " + "\n  - ".join(problems))
