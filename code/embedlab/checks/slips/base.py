"""The `Slip` record and small helpers shared by the slip lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np


class Slip(NamedTuple):
    description: str
    make: Callable[..., Any]
    hint: str


def _a(x) -> np.ndarray:
    return (x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)).astype(float)


def _sig(x):
    return 1 / (1 + np.exp(-x))
