"""Toy tensors from request bodies: nested lists → float64 arrays, bounded by ``Settings.max_tensor_elements``.

The schemas (:mod:`app.schemas.common`) have already bounded every axis and value; what is left to check is
that the lists are rectangular, have the rank the operation needs and hold at most the configured number of
elements in all.
"""

from typing import Any

import numpy as np

from app.settings import Settings


def as_array(values: list[Any], name: str, settings: Settings, ndim: int | None = None) -> np.ndarray:
    """A float64 array from nested lists; ragged lists, another rank than ``ndim`` (if given) and tensors over
    the element limit are refused."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{name} must be a rectangular nested list (every row the same length)") from exc
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(array.shape)}")
    if array.size > settings.max_tensor_elements:
        raise ValueError(
            f"{name} has {array.size:,} elements, more than the limit of {settings.max_tensor_elements:,}: "
            "send a smaller tensor"
        )
    return array


def optional_array(values: list[Any] | None) -> np.ndarray | None:
    """``values`` as a float64 array, ``None`` kept (a per-channel vector the schema has bounded)."""
    return None if values is None else np.asarray(values, dtype=np.float64)
