"""The embedded JAX contact engine: MJCF → system (MJX), hard-contact steps (barrier-smoothing paper, eqs. 2.3–2.5).

``make_system(mj_model)`` → ``System``; ``init(system, q, v)`` / ``step(system, state, u, schedule)``
/ ``rollout``; ``step_problem`` gives one step's complementarity problem; ψ via ``System.params``
and ``System.with_params``.
"""
from pydojo.engine.contact import ContactData, contact_problem, pair_mu, split_impulses
from pydojo.engine.models import ball_mjcf, block_mjcf, gymnasium_asset, load_gymnasium
from pydojo.engine.params import Params
from pydojo.engine.pipeline import as_schedule, init, rollout, signed_distances, step, step_problem
from pydojo.engine.state import SolverStats, State
from pydojo.engine.system import System, make_system
from pydojo.engine.terms import StepTerms, model_terms

__all__ = ["ContactData", "contact_problem", "pair_mu", "split_impulses", "ball_mjcf", "block_mjcf",
           "gymnasium_asset", "load_gymnasium", "Params", "as_schedule", "init", "rollout", "signed_distances",
           "step", "step_problem", "SolverStats", "State", "System", "make_system", "StepTerms", "model_terms"]
