"""A box or a convex mesh on a plane: every vertex is a contact candidate, always.

MJX's plane–convex collision returns at most four points, chosen among the vertices within a 1 mm skin of
the deepest one, with duplicates parked at distance 1. Which vertices those are changes as the body rocks
by a fraction of a millimetre, so with interior-point contact a resting box drifts, rocks, sinks and
creeps under pushes below μmg (found in the generality issue, item 4). A convex body touches a plane only
at its vertices, so the exact and stable candidate set is all of them: φ_k = n·(x_k − p) for each vertex
x_k, the plane's normal n and a point p of it, with the same frame and friction MJX gives that pair.

``vertex_layout`` finds, once per model, which of MJX's candidate slots belong to plane–box and
plane–mesh pairs (they are static: MJX groups geom pairs by collision function and condim); ``merge``
replaces those slots by the vertex candidates in every step.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

MAX_MESH_VERTICES = 64  # beyond this a mesh on a plane is refused (each vertex is a candidate of every step)
_PLANE, _BOX, _MESH = int(mujoco.mjtGeom.mjGEOM_PLANE), int(mujoco.mjtGeom.mjGEOM_BOX), int(mujoco.mjtGeom.mjGEOM_MESH)


class VertexSet(NamedTuple):
    plane: int  # geom id of the plane (MJX's geom 1 of the pair)
    body: int  # geom id of the box or mesh (geom 2)
    slot: int  # first of MJX's slots of this pair (its friction and condim are the pair's)
    vertices: tuple  # ((x, y, z), ...) in the geom's frame


class VertexLayout(NamedTuple):
    kept: tuple  # MJX slots that stay as they are, in order
    sets: tuple  # VertexSet per plane–box / plane–mesh pair (its candidates follow the kept ones)

    @property
    def n_candidates(self) -> int:
        return len(self.kept) + sum(len(s.vertices) for s in self.sets)


def mjx_candidate_geoms(model: mujoco.MjModel) -> np.ndarray:
    """(n_slots, 2) geom ids of MJX's contact slots, in the order ``mjx.collision`` writes them (pairs
    grouped by collision function and condim, each pair repeated once per point its function returns,
    groups concatenated in order of condim)."""
    from mujoco.mjx._src import collision_driver as driver

    by_condim: dict[int, list[np.ndarray]] = {}
    for key, pairs in driver._geom_groups(model).items():
        ncon = driver._COLLISION_FUNC[key.types].ncon
        geom = np.repeat(np.asarray(pairs, dtype=int)[:, :2], ncon, axis=0)
        by_condim.setdefault(int(key.condim), []).append(geom)
    blocks = [g for c in sorted(by_condim) for g in by_condim[c]]
    return np.concatenate(blocks) if blocks else np.zeros((0, 2), dtype=int)


def _vertices(model: mujoco.MjModel, mjx_model, geom: int) -> np.ndarray:
    if int(model.geom_type[geom]) == _BOX:
        half = np.asarray(model.geom_size[geom])
        return np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * half
    vert = np.asarray(mjx_model._impl.mesh_convex[int(model.geom_dataid[geom])].vert)  # the convex hull's
    if len(vert) > MAX_MESH_VERTICES:
        name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, geom) or f"#{geom}"
        raise ValueError(f"mesh geom {name!r} touches a plane with {len(vert)} convex-hull vertices; pydojo makes every "
                         f"vertex a contact candidate and accepts at most {MAX_MESH_VERTICES}: simplify the mesh or "
                         "use a box or other primitive geom for its collision")
    return vert


def vertex_layout(model: mujoco.MjModel, mjx_model) -> VertexLayout:
    """Which MJX slots are kept and which plane–box / plane–mesh pairs become vertex candidates."""
    geoms = mjx_candidate_geoms(model)
    convex = [(i, g) for i, g in enumerate(map(tuple, geoms)) if int(model.geom_type[g[0]]) == _PLANE
              and int(model.geom_type[g[1]]) in (_BOX, _MESH)]
    if not convex:
        return VertexLayout(kept=tuple(range(len(geoms))), sets=())
    for numeric in ("max_contact_points", "max_geom_pairs"):
        if any(mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_NUMERIC, i) == numeric for i in range(model.nnumeric)):
            raise ValueError(f"<numeric name=\"{numeric}\"> makes MJX's candidate set depend on the state, which "
                             "pydojo's box and mesh contacts on planes cannot follow; remove it (pydojo's "
                             "make_system(max_contacts=...) keeps the closest candidates instead)")
    replaced, sets = set(), []
    for slot, pair in convex:
        if pair in {(s.plane, s.body) for s in sets}:
            replaced.add(slot)
            continue
        vert = _vertices(model, mjx_model, pair[1])
        sets.append(VertexSet(plane=int(pair[0]), body=int(pair[1]), slot=int(slot), vertices=tuple(tuple(float(c) for c in v) for v in np.asarray(vert))))
        replaced.add(slot)
    return VertexLayout(kept=tuple(i for i in range(len(geoms)) if i not in replaced), sets=tuple(sets))


class Candidates(NamedTuple):
    """The fields of MJX's contact the engine uses, one row per candidate."""

    dist: jax.Array
    pos: jax.Array
    frame: jax.Array  # (n, 3, 3) or (n, 9), as MJX's
    friction: jax.Array  # (n, 5)
    geom: jax.Array  # (n, 2)
    dim: np.ndarray  # (n,) condim, static


def merge(layout: VertexLayout, d, contact) -> Candidates:
    """MJX's candidates with each plane–box / plane–mesh pair's slots replaced by one per vertex."""
    from mujoco.mjx._src import math as mjx_math

    kept = np.asarray(layout.kept, dtype=int)
    parts = [Candidates(dist=contact.dist[kept], pos=contact.pos[kept], frame=contact.frame[kept],
                        friction=contact.friction[kept], geom=jnp.asarray(contact.geom)[kept],
                        dim=np.asarray(contact.dim)[kept])]
    for s in layout.sets:
        n = d.geom_xmat[s.plane][:, 2]  # MJX's plane normal: the plane geom's z axis, from geom 1 to geom 2
        x = d.geom_xpos[s.body] + jnp.asarray(s.vertices) @ d.geom_xmat[s.body].T  # (k, 3) world vertices
        dist = (x - d.geom_xpos[s.plane]) @ n
        k = len(s.vertices)
        parts.append(Candidates(dist=dist, pos=x - 0.5 * dist[:, None] * n, frame=jnp.broadcast_to(mjx_math.make_frame(n).reshape(contact.frame.shape[1:]), (k,) + contact.frame.shape[1:]),
                                friction=jnp.tile(contact.friction[s.slot][None], (k, 1)),
                                geom=jnp.tile(jnp.asarray([s.plane, s.body])[None], (k, 1)),
                                dim=np.full(k, np.asarray(contact.dim)[s.slot])))
    return Candidates(*(np.concatenate(f) if isinstance(f[0], np.ndarray) else jnp.concatenate(f) for f in zip(*parts)))
