"""Registration of the ``neural`` method (imported by :mod:`voxclean.enhance._builtin`).

Importing this module does not import onnxruntime or load the model: both happen
when an enhancer is created.
"""

from __future__ import annotations

from typing import Any

from ..errors import ParameterError
from ..registry import register
from .runtime import NeuralParams


def _factory(sample_rate: int, params: NeuralParams | None = None, *, noise_clip: Any = None, **overrides: Any):
    if noise_clip is not None:
        raise ParameterError("method='neural' does not use a noise clip (noise_clip must be None)")
    from .runtime import NeuralEnhancer

    return NeuralEnhancer(sample_rate, params if params is not None else NeuralParams(), **overrides)


register("neural", _factory, NeuralParams,
         "GRU bin-gain + deep-filter denoiser trained on voxclean's train split (ONNX; latency from the model's "
         "metadata: 20 ms at 16 kHz packaged, 10 ms with model=low-latency, the live default)",
         live={"model": "low-latency"})
