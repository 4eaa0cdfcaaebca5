"""μ(x, u) schedules and randomized smoothing behind one interface (``AbstractSmoothing``)."""
from pydojo.smoothing.base import AbstractSmoothing, ContactState, smoothed_solve
from pydojo.smoothing.randomized import RandomizedSmoothing
from pydojo.smoothing.schedules import ConstantMu, DistanceMu, GaussianMu, gaussian_smoothed_force

__all__ = ["AbstractSmoothing", "ContactState", "smoothed_solve", "ConstantMu", "GaussianMu", "DistanceMu",
           "RandomizedSmoothing", "gaussian_smoothed_force", "make_schedule"]


def make_schedule(kind: str, **options) -> AbstractSmoothing:
    """Build a schedule from a config: kind in {constant, gaussian, distance, randomized}."""
    table = {"constant": ConstantMu, "gaussian": GaussianMu, "distance": DistanceMu, "randomized": RandomizedSmoothing}
    if kind not in table:
        raise ValueError(f"unknown smoothing kind {kind!r}; valid kinds: {', '.join(sorted(table))}")
    try:
        return table[kind](**options)
    except TypeError as err:
        raise ValueError(f"bad options {sorted(options)} for smoothing {kind!r}: {err}") from None
