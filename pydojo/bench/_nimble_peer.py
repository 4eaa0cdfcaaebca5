"""The block scenario in nimblephysics (run by ``python -m pydojo.bench nimble`` in nimblephysics' own Python).

Needs only numpy and nimblephysics (no pydojo, no jax: nimblephysics 0.10.52 wants numpy < 2). Reads
one JSON object from argv[1] (steps, timestep, half_size, mass, friction, gravity, force, repeats) and
prints one JSON object: forward steps/s (best of ``repeats``), seconds per reverse-mode gradient of the
rollout's final x with respect to every step's force (nimble's BackpropSnapshot chain), and the final
state and that gradient for the physics check.

A box of side 2·half_size on a welded floor box, two translational degrees of freedom (x along the
floor, y up; nimblephysics' y-up convention), Coulomb friction ``friction`` on both bodies, a constant
push ``force`` along x, from rest on the floor.
"""
import json
import sys
import time

import numpy as np

try:  # nimblephysics' package __init__ imports torch for its PyTorch layer; the C++ module does not need it
    import nimblephysics as nimble
except ImportError:
    import nimblephysics_libs._nimblephysics as nimble


def build(cfg):
    world = nimble.simulation.World()
    world.setGravity([0.0, -cfg["gravity"], 0.0])
    world.setTimeStep(cfg["timestep"])
    block = nimble.dynamics.Skeleton()
    joint, body = block.createTranslationalJoint2DAndBodyNodePair()
    joint.setXYPlane()
    side = 2.0 * cfg["half_size"]
    body.createShapeNode(nimble.dynamics.BoxShape([side, side, side])).createCollisionAspect()
    body.setMass(cfg["mass"])
    body.setFrictionCoeff(cfg["friction"])
    for i in range(2):
        joint.setControlForceUpperLimit(i, 1e6)
        joint.setControlForceLowerLimit(i, -1e6)
        joint.setVelocityUpperLimit(i, 1e6)
        joint.setVelocityLowerLimit(i, -1e6)
    world.addSkeleton(block)
    floor = nimble.dynamics.Skeleton()
    floor_joint, floor_body = floor.createWeldJointAndBodyNodePair()
    offset = nimble.math.Isometry3()
    offset.set_translation([0.0, -0.5, 0.0])
    floor_joint.setTransformFromParentBodyNode(offset)
    floor_body.createShapeNode(nimble.dynamics.BoxShape([1000.0, 1.0, 1000.0])).createCollisionAspect()
    floor_body.setFrictionCoeff(cfg["friction"])
    world.addSkeleton(floor)
    return world


def reset(world, cfg):
    world.setPositions(np.array([0.0, cfg["half_size"]]))
    world.setVelocities(np.zeros(2))


def forward(world, cfg):
    reset(world, cfg)
    push = np.array([cfg["force"], 0.0])
    for _ in range(cfg["steps"]):
        world.setControlForces(push)
        world.step()
    return world.getPositions().copy(), world.getVelocities().copy()


def gradient(world, cfg):
    """d x_T / d F_t for every step t (reverse mode through nimble's snapshots)."""
    reset(world, cfg)
    push = np.array([cfg["force"], 0.0])
    snapshots = []
    for _ in range(cfg["steps"]):
        world.setControlForces(push)
        snapshots.append(nimble.neural.forwardPass(world))
    upstream = nimble.neural.LossGradient()
    upstream.lossWrtPosition = np.array([1.0, 0.0])
    upstream.lossWrtVelocity = np.zeros(2)
    per_step = []
    for snapshot in reversed(snapshots):
        this = nimble.neural.LossGradient()
        snapshot.backprop(world, this, upstream)
        per_step.append(float(np.asarray(this.lossWrtTorque)[0]))
        upstream = this
    return per_step[::-1]


def installed_version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nimblephysics")
    except PackageNotFoundError:
        return "(version unknown)"


def best_time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    cfg = json.loads(sys.argv[1])
    world = build(cfg)
    q, v = forward(world, cfg)
    grad = gradient(world, cfg)
    fwd = best_time(lambda: forward(world, cfg), cfg["repeats"])
    bwd = best_time(lambda: gradient(world, cfg), cfg["repeats"])
    print(json.dumps({"steps_per_s": cfg["steps"] / fwd, "gradient_s": bwd, "forward_s": fwd,
                      "final_x": float(q[0]), "final_height": float(q[1]), "final_vx": float(v[0]),
                      "gradient": grad, "version": installed_version()}))


if __name__ == "__main__":
    main()
