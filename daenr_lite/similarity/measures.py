"""The population similarity measures by name (one table, read by ``compare`` and the noise ceilings)."""
from __future__ import annotations

from typing import Callable

from .cka import linear_cka
from .predictivity import linear_predictivity
from .rsa import rsa

__all__ = ["MEASURES"]

#: measure name -> f(X (stimuli, units), Y (stimuli, units)) -> float
MEASURES: dict[str, Callable[..., float]] = {
    "cka": linear_cka,
    "rsa": rsa,
    "predictivity": linear_predictivity,
}
