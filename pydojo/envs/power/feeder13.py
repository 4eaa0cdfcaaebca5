"""TASRL's single-phase IEEE 13-bus feeder (../shared/reference/voltage.md): the data, a pandapower network
built from it with pandapower's API, and pandapower's power flows (the reference of the JAX power flow).

13 buses at 4.16 kV, base 5 MVA, slack at bus 0 (|V| = 1 p.u.); 12 lines of length 1 km with the IEEE line
codes' first-phase self impedance; 12 static generators in TASRL's order, sgens 0-2 (buses 2, 7, 9) the
controlled inverters; base loads zero.
"""
from __future__ import annotations

import numpy as np

V_KV, S_BASE_MVA = 4.16, 5.0
Z_BASE = V_KV**2 / S_BASE_MVA  # 3.46112 Ω
# from bus, to bus, r [Ω], x [Ω]
LINES = np.array([
    (0, 1, 0.1312, 0.3856), (1, 2, 0.1259, 0.1276), (1, 3, 0.0713, 0.1119), (2, 4, 0.0755, 0.0765),
    (3, 6, 0.0713, 0.1119), (1, 5, 0.1312, 0.3856), (5, 7, 0.0752, 0.0771), (7, 10, 0.0755, 0.0766),
    (7, 11, 0.2034, 0.0766), (5, 8, 0.0656, 0.1928), (5, 9, 0.0756, 0.0423), (9, 12, 0.0756, 0.0423),
])
N_BUS = 13
SGEN_BUSES = np.array([2, 7, 9, 1, 3, 4, 5, 6, 8, 10, 11, 12])
CONTROLLED = SGEN_BUSES[:3]  # buses 2, 7, 9 (IEEE 645, 684, 692)
IEEE_NODE = (650, 632, 645, 633, 646, 671, 634, 684, 680, 692, 611, 652, 675)
PF_ALGORITHMS = ("bfsw", "nr", "lightsim2grid")


def _pandapower():
    try:
        import pandapower as pp
    except ImportError as err:  # the JAX power flow does not need it; the reference does
        raise ImportError("the pandapower reference needs pandapower: pip install 'pydojo[power]'") from err
    return pp


def pandapower_network():
    """The feeder as a pandapower net with the 12 sgens at zero injection."""
    pp = _pandapower()
    net = pp.create_empty_network(sn_mva=S_BASE_MVA)
    for b in range(N_BUS):
        pp.create_bus(net, vn_kv=V_KV, name=f"{b} (IEEE {IEEE_NODE[b]})")
    pp.create_ext_grid(net, bus=0, vm_pu=1.0)
    for f, t, r, x in LINES:
        pp.create_line_from_parameters(net, int(f), int(t), length_km=1.0, r_ohm_per_km=r, x_ohm_per_km=x, c_nf_per_km=0.0, max_i_ka=1374.0)
    for b in SGEN_BUSES:
        pp.create_sgen(net, int(b), p_mw=0.0, q_mvar=0.0)
    return net


def pandapower_voltages(net, p_mw, q_mvar, algorithm: str = "bfsw") -> np.ndarray:
    """|V| (13,) p.u. for sgen injections p_mw, q_mvar (12,) by pandapower's power flow ``algorithm``
    (bfsw, nr, or lightsim2grid = its Newton-Raphson in C++). A flow that does not converge raises."""
    pp = _pandapower()
    if algorithm not in PF_ALGORITHMS:
        raise ValueError(f"unknown power-flow algorithm {algorithm!r}; valid: {PF_ALGORITHMS}")
    net.sgen["p_mw"], net.sgen["q_mvar"] = np.asarray(p_mw, float), np.asarray(q_mvar, float)
    try:
        if algorithm == "lightsim2grid":
            pp.runpp(net, algorithm="nr", lightsim2grid=True, numba=False, tolerance_mva=1e-10)
        else:
            pp.runpp(net, algorithm=algorithm, numba=False, tolerance_mva=1e-10, init="flat")
    except pp.LoadflowNotConverged as err:
        raise RuntimeError(f"pandapower's {algorithm} power flow did not converge for p={np.round(p_mw, 3).tolist()} "
                           f"q={np.round(q_mvar, 3).tolist()}") from err
    return net.res_bus.vm_pu.to_numpy().copy()
