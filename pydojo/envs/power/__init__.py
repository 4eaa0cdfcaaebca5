"""Power-system tasks: voltage control on the IEEE 13-bus feeder (the DiffOP seed's Table 2). Registered on import.

The power flow is a JAX backward/forward sweep (``flow.py``); pandapower (``feeder13.pandapower_network``,
the optional ``power`` extra) is its reference in the tests and the benchmark.
"""
from pydojo.envs.power import voltage
from pydojo.envs.registry import register

register("voltage13", voltage.make_voltage13, voltage.DEFAULTS,
         "voltage control with three inverters on the IEEE 13-bus feeder (DiffOP Table 2, TASRL's set-up)")
