"""Type aliases shared across voxclean."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Audio buffer, ``(channels, samples)`` float32, time last.
Audio = npt.NDArray[np.float32]
#: Any real array.
FloatArray = npt.NDArray[np.floating]
