"""Neural speech enhancement: a small causal GRU mask model.

Run time (numpy + onnxruntime only): :mod:`~voxclean.neural.features` (feature
extraction shared with training) and :mod:`~voxclean.neural.runtime`
(:class:`~voxclean.neural.runtime.NeuralEnhancer`, registered as method
``"neural"``). Training and export (PyTorch, the ``train`` extra):
:mod:`~voxclean.neural.data`, :mod:`~voxclean.neural.model`,
:mod:`~voxclean.neural.losses`, :mod:`~voxclean.neural.train`,
:mod:`~voxclean.neural.export`; the recipe is in ``recipes/neural``.
Importing this package imports neither torch nor onnxruntime.
"""

from __future__ import annotations

__all__: list[str] = []
