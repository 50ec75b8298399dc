"""Is a difference from the empty scene light, or something in view?"""

from __future__ import annotations

import numpy as np


def relit(
    seen: np.ndarray,
    empty: np.ndarray,
    texture_std: float,
    correlation: float,
    ratio_spread: float,
    texture_ratio_spread: float,
) -> bool:
    """The pixels ``seen`` are the ``empty`` scene's under other light: its texture, brighter or darker.

    Light multiplies what is there: across the blob, one brightness ratio to the empty
    scene, and a person's blob takes in their outline and shading, a ratio that varies.
    Over an area with too little texture for a correlation (less than ``texture_std``
    grey levels, a bare wall) that ratio is the whole test (spread within
    ``ratio_spread`` of it). Over texture the correlation of the two must be high too
    (at least ``correlation``: a person hides the texture behind their own), and the
    ratio may spread further (``texture_ratio_spread``: the blur and half-pixel shifts
    at texture edges). The correlation alone is not enough: a small dark figure in
    front of a wall's foot keeps most of the wall-floor step's correlation in the
    halo of background around it (0.84), but its ratio is two, one per side (spread 0.33).
    """
    seen, empty = seen.astype(np.float32).ravel(), empty.astype(np.float32).ravel()
    if seen.size < 8:
        return False
    ratio = (seen + 1.0) / (empty + 1.0)
    spread = float(ratio.std()) / float(ratio.mean())
    if empty.std() < texture_std:
        return spread <= ratio_spread
    if seen.std() < 1e-3:  # a flat patch where there was texture: something covers it
        return False
    return spread <= texture_ratio_spread and _correlation(seen, empty) >= correlation


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's correlation of two flat arrays, as ``np.corrcoef(a, b)[0, 1]`` gives it, without its 2x2 matrix
    (asked of every blob at every sample)."""
    a, b = a.astype(np.float64) - a.mean(dtype=np.float64), b.astype(np.float64) - b.mean(dtype=np.float64)
    scale = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return float(np.clip(np.dot(a, b) / scale, -1.0, 1.0)) if scale > 0 else float("nan")
