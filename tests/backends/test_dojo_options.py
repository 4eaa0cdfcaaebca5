"""Option mapping of the dojo backend (pydojo names/options -> Dojo mechanism names/keywords).

The expected Dojo keywords are the ones DojoEnvironments' constructors declare at Dojo's tag v0.7.1
(DojoEnvironments/src/mechanisms/<name>/mechanism.jl) and julia/src/mechanisms.jl accepts.
"""
import pathlib
import re

import numpy as np
import pytest

from pydojo.backends import dojo

JULIA_MECHANISMS = pathlib.Path(__file__).resolve().parents[2] / "julia" / "src" / "mechanisms.jl"


def test_names_map_to_dojo_mechanisms():
    assert dojo.dojo_mechanism_options("ball") == ("sphere", {})
    assert dojo.dojo_mechanism_options("sphere")[0] == "sphere"
    for name in ("block", "pendulum", "hopper", "halfcheetah", "ant"):
        assert dojo.dojo_mechanism_options(name) == (name, {})


def test_options_are_converted():
    mechanism, kw = dojo.dojo_mechanism_options("block", timestep=0.02, gravity=9.81, friction=0.3,
                                                friction_cone="linear")
    assert mechanism == "block"
    assert kw == {"timestep": 0.02, "gravity": -9.81, "friction_coefficient": 0.3, "contact_type": "linear"}
    assert dojo.dojo_mechanism_options("hopper", friction=1.0)[1] == {"friction_coefficient": 1.0}
    # the ball's and block's sizes and masses (get_sphere(; mass, radius), get_block(; mass, edge_length))
    assert dojo.dojo_mechanism_options("ball", radius=0.1, mass=2.0)[1] == {"radius": 0.1, "mass": 2.0}
    assert dojo.dojo_mechanism_options("block", half_size=0.1)[1] == {"edge_length": 0.2}


@pytest.mark.parametrize(
    "name, options, message",
    [
        ("cheetah", {}, "valid names: ant, ball, block, halfcheetah, hopper, pendulum, sphere"),
        ("pendulum", {"friction": 0.5}, "valid options: timestep, gravity"),
        ("hopper", {"friction_cone": "linear"}, "valid options: timestep, gravity, friction"),
        ("ball", {"friction_cone": "soft"}, "friction_cone must be one of ('nonlinear', 'linear', 'impact')"),
        ("ball", {"timestep": 0.0}, "timestep must be > 0"),
        ("block", {"friction": -1.0}, "friction must be >= 0"),
        ("ball", {"incline": 0.1}, "unknown option(s) ['incline']"),  # Dojo's ground is flat
        ("ball", {"radius": 0.0}, "radius must be > 0"),
        ("block", {"half_size": -0.1}, "half_size must be > 0"),
    ],
)
def test_bad_options_are_rejected_with_the_valid_ones(name, options, message):
    with pytest.raises(ValueError) as err:
        dojo.dojo_mechanism_options(name, **options)
    assert message in str(err.value)


def test_python_and_julia_keyword_tables_agree():
    """Every Dojo keyword the Python side can emit is accepted by julia/src/mechanisms.jl for that mechanism."""
    text = JULIA_MECHANISMS.read_text()
    for mechanism, options in dojo.MECHANISM_OPTIONS.items():
        match = re.search(rf":{mechanism} => \(([^)]*)\)", text)
        assert match, f"{mechanism} missing from MECHANISM_KEYWORDS in {JULIA_MECHANISMS}"
        julia_keywords = {k.strip().lstrip(":") for k in match.group(1).split(",") if k.strip()}
        assert {dojo.OPTION_KEYWORDS[o] for o in options} == julia_keywords


def test_solver_options():
    assert dojo.solver_options() == dojo.SOLVER_OPTIONS
    assert dojo.solver_options(rtol=1e-6, max_iter=20)["max_iter"] == 20
    with pytest.raises(ValueError, match="valid: rtol, comp_rtol, comp_atol, max_iter, max_ls"):
        dojo.DojoBackend(btol=1e-3)
    with pytest.raises(ValueError, match="rtol > 0"):
        dojo.solver_options(rtol=0.0)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1"):
        dojo.solver_options(max_iter=0)


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "3", None])
def test_max_ls_below_one_is_refused(value):
    """Dojo v0.7.1's line_search! loops `for n = 1:max_ls`: with 0 it takes no step and returns (Inf, Inf)."""
    with pytest.raises(ValueError) as err:
        dojo.solver_options(max_ls=value)
    assert "dojo backend option max_ls must be an integer >= 1 (1, 2, ...)" in str(err.value)
    with pytest.raises(ValueError, match="max_ls must be an integer >= 1"):
        dojo.DojoBackend(max_ls=value)
    assert dojo.solver_options(max_ls=1)["max_ls"] == 1 and dojo.solver_options(max_ls=4.0)["max_ls"] == 4


def test_julia_options_refuse_max_ls_below_one_too():
    """julia/src/central_path.jl's CentralPathOptions checks the same bound (read, not run: no Julia here)."""
    text = (JULIA_MECHANISMS.parent / "central_path.jl").read_text()
    assert "max_ls >= 1 ||" in text and "max_ls >= 0" not in text


def test_actuation_skips_the_floating_base_of_robots_only():
    sphere = dojo.Layout((6,), (True,))
    np.testing.assert_array_equal(dojo.actuation_matrix("sphere", sphere), np.eye(6))
    hopper = dojo.Layout((3, 0, 1, 1, 1), (False,) * 5)  # planar base, a fixed joint, three hinges
    a = dojo.actuation_matrix("hopper", hopper)
    assert a.shape == (6, 3)
    np.testing.assert_array_equal(a @ np.array([1.0, 2.0, 3.0]), [0, 0, 0, 1, 2, 3])


def test_backend_is_registered_and_imports_without_julia():
    from pydojo.backends import get_backend, names

    assert "dojo" in names()
    backend = get_backend("dojo", comp_rtol=1e-3)
    assert backend.name == "dojo" and backend.options["comp_rtol"] == 1e-3
