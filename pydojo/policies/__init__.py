"""Policies: stochastic linear and MLP policies (reparameterized Gaussian), and the OCP policy (``ocp.py``)."""
from pydojo.options import checked_options
from pydojo.policies.linear import AbstractPolicy, LinearPolicy, Normalizer, trainable_filter
from pydojo.policies.mlp import MLPPolicy

__all__ = ["AbstractPolicy", "LinearPolicy", "MLPPolicy", "Normalizer", "trainable_filter", "make_policy"]

POLICY_KINDS = {"linear": LinearPolicy, "mlp": MLPPolicy}


def make_policy(kind: str, observation_size: int, action_size: int, key=None, **options) -> AbstractPolicy:
    """Build a policy from a config group: kind in {linear, mlp}."""
    if kind not in POLICY_KINDS:
        raise ValueError(f"unknown policy kind {kind!r}; valid kinds: {', '.join(sorted(POLICY_KINDS))}")
    cls = POLICY_KINDS[kind]
    checked_options(cls, options, "policy", skip=("observation_size", "action_size", "key"), label=f" (kind {kind})")
    return cls(observation_size, action_size, key=key, **options)
