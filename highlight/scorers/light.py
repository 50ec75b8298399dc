"""Is a difference from the empty scene light, or something in view?"""

from __future__ import annotations

import numpy as np


def relit(seen: np.ndarray, empty: np.ndarray, texture_std: float, correlation: float, ratio_spread: float) -> bool:
    """The pixels ``seen`` are the ``empty`` scene's under other light: its texture, brighter or darker.

    Light multiplies what is there, so the correlation of the two over the blob stays
    high (at least ``correlation``); a person hides the background's texture behind
    their own. Over an area with too little texture for a correlation (less than
    ``texture_std`` grey levels, a bare wall), light shows as one brightness ratio
    across the whole blob (spread within ``ratio_spread`` of it), while a person's blob
    takes in their outline and shading: a ratio that varies.
    """
    seen, empty = seen.astype(np.float32).ravel(), empty.astype(np.float32).ravel()
    if seen.size < 8:
        return False
    if empty.std() < texture_std:
        ratio = (seen + 1.0) / (empty + 1.0)
        return float(ratio.std()) <= ratio_spread * float(ratio.mean())
    if seen.std() < 1e-3:  # a flat patch where there was texture: something covers it
        return False
    return float(np.corrcoef(seen, empty)[0, 1]) >= correlation
