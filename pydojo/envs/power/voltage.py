"""Voltage control on the IEEE 13-bus feeder (the DiffOP seed's Table 2 task, TASRL's set-up; facts in
../shared/reference/voltage.md): ``pydojo.envs.make("voltage13", ...)``.

State (``physics``, a flat vector so that optimization-based policies plan from it): x = (v², q, v₀², p) with
v² the squared |V| (p.u.²) at buses 2, 7, 9 now, q the inverters' reactive power (MVAr) there, v₀² the squared
voltages at reset and p the scenario's 12 sgen MW (constant in an episode). The observation is x too (as in the
control tasks; TASRL's observation |V| at buses 2, 7, 9 is √x[0:3]). Step: q ← clip(q + u, limits) (incremental
control; the clip keeps q in the inverters' box), an AC power flow (pydojo.envs.power.flow, equal to
pandapower's to 1e-8, measured ≤ 3e-11), cost F(q) = ½qᵀdiag(C)q + ½qᵀ(v² + v₀² − 2), reward −F. A flow that does not
converge raises (``eqx.error_if``) and is reported in ``info["flow_converged"]``.

Scenarios: TASRL's generator, seeded with NumPy's legacy RandomState(seed) (np.random.seed), so seed k is
their scenario k: a fair draw of low voltage (negative sgen p at the three controlled buses) or high
voltage (PV at eight buses). Training resets draw a seed in [0, num_scenarios); the evaluation uses seeds
0–499 (``evaluation_seeds``) with ``limits="evaluation"`` and 100 steps.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.envs.base import AbstractEnv, EnvState
from pydojo.envs.power import feeder13, policy_problem
from pydojo.envs.power.flow import RadialFlow, radial_flow

COST_WEIGHTS = np.array([0.105, 0.075, 0.09])
LIMITS = {"training": ((-1.5, 1.5), (-1.4, 1.4), (-1.0, 1.0)), "evaluation": ((-1.5, 1.5), (-1.4, 1.4), (-1.0, 0.6))}
EVALUATION_SEEDS = range(500)
DEMONSTRATION_SEEDS = range(500, 505)
MAX_SEED = 2**32 - 1


def scenario(seed: int) -> np.ndarray:
    """The 12 sgens' active power (MW) of TASRL's scenario ``seed``."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"voltage13: a scenario seed must be an integer in [0, {MAX_SEED}], got {seed!r}")
    rs = np.random.RandomState(int(seed))
    p = np.zeros(len(feeder13.SGEN_BUSES))
    if rs.choice([0, 1]) == 0:  # low voltage: load-like negative injections
        p[0], p[1], p[2] = -0.5 * rs.uniform(1, 7), -0.8 * rs.uniform(1, 4), -0.3 * rs.uniform(1, 5)
    else:  # high voltage: PV
        p[0], p[1], p[2] = rs.uniform(0.5, 4), rs.uniform(1, 4.51), rs.uniform(0, 5)
        p[3], p[4], p[5] = 0.6 * rs.uniform(0, 2), 0.6 * rs.uniform(2, 3), 0.7 * rs.uniform(0, 2)
        p[10], p[11] = rs.uniform(0.2, 3), rs.uniform(0, 1.5)
    return p


def check_limits(limits) -> np.ndarray:
    """(3, 2) array of [lower, upper] MVAr; a name of LIMITS or explicit pairs with lower <= upper."""
    if isinstance(limits, str):
        if limits not in LIMITS:
            raise ValueError(f"voltage13: unknown limits {limits!r}; valid: {sorted(LIMITS)} or three [lower, upper] pairs")
        limits = LIMITS[limits]
    arr = np.asarray(limits, float)
    if arr.shape != (3, 2) or not np.all(np.isfinite(arr)):
        raise ValueError(f"voltage13: limits must be three finite [lower, upper] pairs (buses 2, 7, 9), got {limits!r}")
    bad = np.flatnonzero(arr[:, 0] > arr[:, 1])
    if bad.size:
        raise ValueError(f"voltage13: limits of bus {int(feeder13.CONTROLLED[bad[0]])} have lower {arr[bad[0], 0]} > upper {arr[bad[0], 1]}")
    return arr


STATE_SIZE = 21  # v² (3), q (3), v₀² (3), p (12)


def split_state(x):
    """(v², q, v₀², p) of a state vector."""
    return x[0:3], x[3:6], x[6:9], x[9:21]


class Voltage13(AbstractEnv):
    flow: RadialFlow
    scenarios: jax.Array  # (num_scenarios, 12)
    limits: jax.Array  # (3, 2)
    eval_starts: jax.Array  # (num_eval_starts, 21): initial states of the first scenarios
    episode_length: int = eqx.field(static=True)
    throw_on_failure: bool = eqx.field(static=True, default=True)

    @property
    def observation_size(self) -> int:
        return STATE_SIZE

    @property
    def action_size(self) -> int:
        return 3

    @property
    def action_bounds(self):
        width = self.limits[:, 1] - self.limits[:, 0]
        return -width, width  # any step that keeps q inside its box

    def bus_voltages(self, p, q):
        """|V| at all 13 buses and whether the flow converged, for sgen p (12,) and controlled q (3,)."""
        n = feeder13.N_BUS
        buses = jnp.asarray(feeder13.SGEN_BUSES)
        q_sgen = jnp.zeros(len(feeder13.SGEN_BUSES)).at[:3].set(q)
        v, ok = self.flow.voltages(jnp.zeros(n).at[buses].add(p), jnp.zeros(n).at[buses].add(q_sgen))
        return jnp.abs(v), ok

    def _controlled_voltages(self, p, q):
        v, ok = self.bus_voltages(p, q)
        if self.throw_on_failure:
            v = eqx.error_if(v, ~ok, "voltage13: the AC power flow did not converge (Newton-Raphson, mismatch > 1e-11 p.u. after 30 iterations)")
        return v[jnp.asarray(feeder13.CONTROLLED)], ok

    def initial_state(self, p) -> jax.Array:
        """x at the start of the episode of scenario injections p (12,): q = 0, v = v₀."""
        p = jnp.asarray(p, jnp.float64)
        v, _ = self._controlled_voltages(p, jnp.zeros(3))
        return jnp.concatenate([v**2, jnp.zeros(3), v**2, p])

    def state_at(self, x, t=0) -> EnvState:
        return EnvState(physics=x, obs=x, reward=jnp.asarray(0.0), done=jnp.asarray(0.0),
                        info={"t": jnp.asarray(t), "flow_converged": jnp.asarray(True), "step_failed": jnp.asarray(False)})

    def reset_to(self, p) -> EnvState:
        return self.state_at(self.initial_state(p))

    def reset(self, key) -> EnvState:
        return self.reset_to(self.scenarios[jax.random.randint(key, (), 0, self.scenarios.shape[0])])

    def cost(self, q, v2, v02):
        """F(q) of TASRL: ½qᵀdiag(C)q + ½qᵀ(v² + v₀² − 2), v² and v₀² squared magnitudes."""
        return 0.5 * q @ (jnp.asarray(COST_WEIGHTS) * q) + 0.5 * q @ (v2 + v02 - 2.0)

    def terminal_cost(self, x):
        return jnp.asarray(0.0)  # the cost is F per step only

    def step(self, state: EnvState, action) -> EnvState:
        u = self.check_action(action)
        x = eqx.error_if(state.physics, ~jnp.all(jnp.isfinite(state.physics)), "voltage13: state contains NaN or Inf")
        _, q, v02, p = split_state(x)
        q = jnp.clip(q + u, self.limits[:, 0], self.limits[:, 1])
        v, ok = self._controlled_voltages(p, q)
        t = state.info["t"] + 1
        x = jnp.concatenate([v**2, q, v02, p])
        return EnvState(physics=x, obs=x, reward=-self.cost(q, v**2, v02),
                        done=(t >= self.episode_length).astype(jnp.float64), info={"t": t, "flow_converged": ok, "step_failed": ~ok})


    # ---- the seed's policy problem, eq. (11) (pydojo.envs.power.policy_problem) ----------------------
    @property
    def initial_states(self) -> np.ndarray:
        """The first ``num_eval_starts`` scenarios' initial states: the DiffOP trainer's evaluation starts."""
        return self.eval_starts

    @property
    def demonstration_states(self) -> np.ndarray:
        """PDP's demonstration starts: the initial states of scenarios 500–504 (our choice: five, as cartpole's,
        outside the evaluation seeds 0–499). Their demonstrations are plans of the reference θ (``true_theta``)."""
        return np.asarray(jax.jit(jax.vmap(self.initial_state))(jnp.stack([jnp.asarray(scenario(s)) for s in DEMONSTRATION_SEEDS])))

    td_cost_scale = 1.0  # κ of RLMPC-TD: F and eq. (11)'s cost have no common unit; F is used as it is (docs/voltage.md)

    def critic_state(self, x):
        """RLMPC-DPG's value features use (v², q): v₀² and p are constant within an episode, so their monomials would
        only repeat the constant feature."""
        return x[0:6]

    def diffop_ocp(self, horizon: int, constrained: bool = True):
        return policy_problem.voltage_ocp(np.asarray(self.limits), horizon, constrained, STATE_SIZE)

    def true_theta(self):
        return policy_problem.reference_theta()

    def perturbed_theta(self, key, perturbation: float):
        return policy_problem.perturbed_theta(key, perturbation)


def make_voltage13(episode_length: int = 30, limits="training", num_scenarios: int = 10_000, num_eval_starts: int | None = None,
                   throw_on_failure: bool = True) -> Voltage13:
    """num_eval_starts: scenarios 0.. whose initial states are ``initial_states`` (default min(10, num_scenarios));
    throw_on_failure: raise on a power flow that does not converge (False: report it in info["flow_converged"] and
    info["step_failed"], as training does, where the DiffOP estimator counts it as a failure and rejects the update)."""
    if not (isinstance(episode_length, int) and episode_length >= 1) or not (isinstance(num_scenarios, int) and 1 <= num_scenarios <= MAX_SEED):
        raise ValueError(f"voltage13: need integers episode_length >= 1 and num_scenarios in [1, {MAX_SEED}], got "
                         f"{episode_length!r}, {num_scenarios!r}")
    table = np.stack([scenario(s) for s in range(num_scenarios)])
    flow = radial_flow(feeder13.LINES, feeder13.N_BUS, feeder13.V_KV, feeder13.S_BASE_MVA)
    num_eval_starts = min(10, num_scenarios) if num_eval_starts is None else num_eval_starts
    if not (isinstance(num_eval_starts, int) and 1 <= num_eval_starts <= num_scenarios):
        raise ValueError(f"voltage13: num_eval_starts must be an integer in [1, num_scenarios], got {num_eval_starts!r}")
    env = Voltage13(flow, jnp.asarray(table), jnp.asarray(check_limits(limits)), jnp.zeros((num_eval_starts, STATE_SIZE)), episode_length,
                    bool(throw_on_failure))
    starts = jax.jit(jax.vmap(lambda p: env.initial_state(p)))(env.scenarios[:num_eval_starts])
    return eqx.tree_at(lambda e: e.eval_starts, env, starts)


DEFAULTS = dict(episode_length=30, limits="training", num_scenarios=10_000, num_eval_starts=None, throw_on_failure=True)
