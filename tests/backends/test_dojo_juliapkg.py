"""pydojo/juliapkg.json, julia/Project.toml and the root Project.toml: valid, pinned and consistent.

juliapkg's schema (JuliaPy/pyjuliapkg, src/juliapkg/deps.py): top-level "julia" (a Julia
compat specifier) and "packages": {name: {"uuid", optional "version", "path" (relative to
the json file), "dev", "url", "rev", "subdir"}}.
"""
import importlib.util
import json
import pathlib
import re
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
JULIAPKG = ROOT / "pydojo" / "juliapkg.json"
PACKAGE = ROOT / "julia"
DOJO_UUID = "ac60b53e-8d92-4c83-b960-e78698fa1916"  # Dojo.jl Project.toml (v0.7.1)
DOJO_ENVIRONMENTS_UUID = "8728bab7-e8ae-46fd-a1b6-a8c4d00f608e"  # DojoEnvironments/Project.toml
PACKAGE_KEYS = {"uuid", "version", "path", "dev", "url", "rev", "subdir"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
COMPAT_CLAUSE = re.compile(r"^\s*([\^~=]?)(\d+)(?:\.(\d+)(?:\.(\d+))?)?\s*$")


def _load():
    return json.loads(JULIAPKG.read_text())


def _versions_in(spec: str, versions):
    """Julia compat semantics (^ default, ~, =) for a few clauses; returns the versions matched."""
    matched = set()
    for clause in spec.split(","):
        m = COMPAT_CLAUSE.match(clause)
        assert m, f"not a Julia compat clause: {clause!r}"
        op, parts = m.group(1), [int(p) for p in m.groups()[1:] if p is not None]
        lo = tuple(parts + [0] * (3 - len(parts)))
        for v in versions:
            if op == "=":
                ok = v == lo
            elif op == "~":  # ~1 = [1, 2); ~1.2 and ~1.2.3: same major.minor
                ok = lo <= v and v[: min(len(parts), 2)] == lo[: min(len(parts), 2)]
            else:  # caret: the first nonzero of the given parts may not change
                first = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
                ok = lo <= v and v[: first + 1] == lo[: first + 1]
            if ok:
                matched.add(v)
    return matched


def test_schema():
    data = _load()
    assert set(data) == {"julia", "packages"}
    assert isinstance(data["julia"], str)
    for name, spec in data["packages"].items():
        assert set(spec) <= PACKAGE_KEYS, f"{name}: unknown keys {set(spec) - PACKAGE_KEYS}"
        assert UUID.match(spec["uuid"]), f"{name}: bad uuid {spec['uuid']}"


def test_versions_are_pinned():
    data = _load()
    julia = _versions_in(data["julia"], [(1, 8, 5), (1, 9, 4), (1, 10, 0), (1, 10, 2), (1, 10, 3), (1, 10, 9),
                                         (1, 11, 1), (2, 0, 0)])
    assert julia == {(1, 10, 3), (1, 10, 9)}  # juliacall >= 0.9.29 needs Julia >= 1.10.3; Dojo was released on <= 1.9
    dojo = data["packages"]["Dojo"]
    assert dojo["uuid"] == DOJO_UUID
    assert _versions_in(dojo["version"], [(0, 7, 0), (0, 7, 1), (0, 7, 2)]) == {(0, 7, 1)}
    envs = data["packages"]["DojoEnvironments"]
    assert envs["uuid"] == DOJO_ENVIRONMENTS_UUID
    assert _versions_in(envs["version"], [(0, 5, 1), (0, 5, 2), (0, 5, 3)]) == {(0, 5, 2)}


def test_juliapkg_parses_it_when_installed():
    compat = pytest.importorskip("juliapkg.compat", reason="juliapkg not installed (optional extra [julia])")
    data = _load()
    for spec in [data["julia"]] + [p["version"] for p in data["packages"].values() if "version" in p]:
        assert compat.Compat.parse(spec)


def test_bridge_is_a_dev_path_dependency_on_julia_dir():
    spec = _load()["packages"]["PyDojoBridge"]
    assert spec["dev"] is True
    assert (JULIAPKG.parent / spec["path"]).resolve() == PACKAGE
    project = tomllib.loads((PACKAGE / "Project.toml").read_text())
    assert project["name"] == "PyDojoBridge" and project["uuid"] == spec["uuid"]


def test_julia_package_compat_covers_every_dependency_and_matches_the_pins():
    project = tomllib.loads((PACKAGE / "Project.toml").read_text())
    deps = set(project["deps"]) | set(project.get("extras", {}))
    assert deps <= set(project["compat"]), f"no [compat] for {deps - set(project['compat'])}"
    assert "julia" in project["compat"]
    assert project["deps"]["Dojo"] == DOJO_UUID and project["deps"]["DojoEnvironments"] == DOJO_ENVIRONMENTS_UUID
    pins = _load()["packages"]
    assert project["compat"]["Dojo"] == pins["Dojo"]["version"]
    assert _versions_in(project["compat"]["DojoEnvironments"], [(0, 5, 2), (0, 5, 3)]) == {(0, 5, 2)}
    candidates = [(1, 9, 0), (1, 10, 0), (1, 10, 5), (1, 11, 2)]
    juliapkg_julia = _versions_in(_load()["julia"], candidates)
    assert juliapkg_julia and juliapkg_julia <= _versions_in(project["compat"]["julia"], candidates)
    assert (1, 9, 0) not in _versions_in(project["compat"]["julia"], candidates)


def test_root_project_uses_the_package_by_path():
    root = tomllib.loads((ROOT / "Project.toml").read_text())
    bridge = tomllib.loads((PACKAGE / "Project.toml").read_text())
    assert root["deps"]["PyDojoBridge"] == bridge["uuid"]
    assert root["sources"]["PyDojoBridge"] == {"path": "julia"}
    assert (ROOT / root["sources"]["PyDojoBridge"]["path"] / "Project.toml").is_file()
    assert root["compat"]["Dojo"] == bridge["compat"]["Dojo"]


def test_one_testset_per_included_file():
    module = (PACKAGE / "src" / "PyDojoBridge.jl").read_text()
    included = re.findall(r'include\("([^"]+)"\)', module)
    assert included and all((PACKAGE / "src" / f).is_file() for f in included)
    tests = (PACKAGE / "test" / "runtests.jl").read_text()
    testsets = re.findall(r'@testset "([^"]+\.jl)"', tests)
    assert testsets == included


def test_juliapkg_json_ships_with_the_package():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "juliapkg.json" in pyproject["tool"]["setuptools"]["package-data"]["pydojo"]


def test_julia_version_agrees_with_juliacall_and_the_messages():
    """juliacall's own juliapkg.json (where installed) admits every Julia ours does; no message names 1.9."""
    data = _load()
    candidates = [(1, 9, 4), (1, 10, 0), (1, 10, 3), (1, 10, 9), (1, 11, 1)]
    ours = _versions_in(data["julia"], candidates)
    juliacall = importlib.util.find_spec("juliacall")
    if juliacall is not None:
        theirs = json.loads((pathlib.Path(juliacall.origin).parent / "juliapkg.json").read_text())["julia"]
        assert ours <= _versions_in(theirs, candidates), (data["julia"], theirs)
    hint = (ROOT / "pydojo" / "backends" / "_julia.py").read_text()
    assert "1.10.3" in hint and "1.9" not in hint
    assert "1.9/1.10" not in (ROOT / "tests" / "backends" / "test_dojo_julia.py").read_text()
