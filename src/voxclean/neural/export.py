"""Export a trained :class:`~voxclean.neural.model.GruMask` to a streaming ONNX model.

The ONNX graph is one frame step with the recurrent state as explicit tensors::

    features     float32 [B, 322 or 483]       gains      float32 [B, 161]
    df_features  float32 [B, 2F]               coefs      float32 [B, K, F, 2]
    state        float32 [layers, B, hidden]   state_out  float32 [layers, B, hidden]

so a caller runs it once per 10 ms hop and feeds ``state_out`` back as ``state``.
``df_features`` and ``coefs`` exist only for a model with a deep-filter head
(``F = df_bins``, ``K = df_order``; see :mod:`voxclean.neural.model`); the caller
applies the filter (:mod:`voxclean.neural.runtime`).
The file carries its own description in ``metadata_props`` (read by
:mod:`voxclean.neural.runtime`): name, format version, sample rate, window, hop,
FFT size, latency, feature constants, state shape, parameter count and a summary
of the training data and recipe.

With ``weights="float16"`` the weights and biases are stored as IEEE half floats,
each followed by a ``Cast`` to float32 that onnxruntime folds once when it loads
the file: the file is half the size and the network still computes in float32,
with weights rounded to 11 significant bits (``tests/neural/test_export_parity.py``
compares such a file with the PyTorch model rounded the same way).

Usage::

    python -m voxclean.neural.export runs/neural/checkpoint.pt src/voxclean/models/gru_mask_16k.onnx --float16
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import torch

from . import features as F
from .features import FORMAT_VERSION, feature_spec
from .model import GruMask, ModelConfig

__all__ = ["FORMAT_VERSION", "export_checkpoint", "export_onnx", "feature_spec", "load_checkpoint_model"]

class _Step(torch.nn.Module):
    def __init__(self, model: GruMask) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        gains, _, state = self.model.step(features, state)
        return gains, state


class _FilterStep(torch.nn.Module):
    def __init__(self, model: GruMask) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, features: torch.Tensor, df_features: torch.Tensor, state: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        gains, coefs, state = self.model.step(features, state, df_features)
        assert coefs is not None
        return gains, coefs, state


def load_checkpoint_model(path: str | Path) -> tuple[GruMask, dict]:
    """Model and checkpoint dict from a training checkpoint."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = GruMask(ModelConfig(**ck["config"]["model"]))
    model.load_state_dict(ck["model"])
    return model.eval(), ck


def export_onnx(
    model: GruMask,
    path: str | Path,
    *,
    name: str = "gru_mask_16k",
    train_config: dict | None = None,
    corpus: dict | None = None,
    steps: int | None = None,
    extra: dict | None = None,
    weights: str = "float32",
) -> Path:
    """Write ``model`` as a one-frame ONNX step with metadata; returns the path.

    ``weights`` is the storage type of the weights and biases, ``"float32"`` or
    ``"float16"`` (see the module docstring).
    """
    if weights not in ("float32", "float16"):
        raise ValueError(f"weights={weights!r}: use 'float32' or 'float16'")
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    cfg = model.config
    tmp = path.with_suffix(".tmp.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and legacy-exporter notices; parity is tested instead
        n_in = F.n_features(cfg.noise_floor)
        batch = {"features": {0: "batch"}, "state": {1: "batch"}, "gains": {0: "batch"}, "state_out": {1: "batch"}}
        if cfg.df_bins:
            module: torch.nn.Module = _FilterStep(model)
            args: tuple = (torch.zeros(1, n_in), torch.zeros(1, 2 * cfg.df_bins), model.initial_state(1))
            inputs, outputs = ["features", "df_features", "state"], ["gains", "coefs", "state_out"]
            batch.update(df_features={0: "batch"}, coefs={0: "batch"})
        else:
            module, args = _Step(model), (torch.zeros(1, n_in), model.initial_state(1))
            inputs, outputs = ["features", "state"], ["gains", "state_out"]
        torch.onnx.export(
            module,
            args,
            str(tmp),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=batch,
            opset_version=17,
            dynamo=False,
        )
    proto = onnx.load(str(tmp))
    tmp.unlink()
    stft = F.make_stft()
    latency = F.model_latency(cfg.lookahead)  # samples at 16 kHz
    meta = {
        "name": name,
        "format_version": FORMAT_VERSION,
        "sample_rate": str(F.SAMPLE_RATE),
        "win_length": str(stft.win_length),
        "hop": str(stft.hop),
        "n_fft": str(stft.n_fft),
        "latency_samples": str(latency),
        "latency_ms": str(1000.0 * latency / F.SAMPLE_RATE),
        "state_shape": json.dumps([cfg.layers, "batch", cfg.hidden]),
        "n_params": str(model.n_params()),
        "macs_per_frame": str(model.macs_per_frame()),
        "features": json.dumps(feature_spec(cfg.noise_floor)),
        "model_config": json.dumps(cfg.to_dict()),
        "training_data": json.dumps(corpus or {}),
        "training_steps": str(steps if steps is not None else ""),
        "training_config": json.dumps(train_config or {}),
        "torch_version": torch.__version__,
        "weights": weights,
    }
    meta.update({k: str(v) for k, v in (extra or {}).items()})
    del proto.metadata_props[:]
    for k, v in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v
    if weights == "float16":
        _store_float16(proto)
    proto.doc_string = "voxclean causal GRU mask (+ deep filter) denoiser, one 10 ms frame per call, explicit GRU state"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return path


def _store_float16(proto) -> None:
    """Store each float32 initializer (the weights and biases) as float16, cast back to float32 on load.

    The graph keeps reading the original name, now the output of a ``Cast`` node put
    first in the graph (an initializer-only input, which onnxruntime constant-folds).
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    graph = proto.graph
    casts, kept = [], []
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype != np.float32:
            kept.append(init)
            continue
        half = numpy_helper.from_array(arr.astype(np.float16), name=f"{init.name}.f16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=onnx.TensorProto.FLOAT, name=f"{init.name}.cast"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)


def export_checkpoint(checkpoint: str | Path, output: str | Path, *, float16: bool = False) -> tuple[Path, GruMask, dict]:
    """Export a training checkpoint to ``output`` with the metadata it carries.

    Parameters
    ----------
    checkpoint : str or Path
        A checkpoint of ``voxclean.neural.train`` or ``recipes/neural/average.py`` (whose
        ``averaged`` list becomes the metadata ``averaged_from``).
    output : str or Path
        The ONNX file to write.
    float16 : bool
        Store the weights as float16 (see the module docstring).

    Returns
    -------
    (Path, GruMask, dict)
        The written file, the model and the checkpoint dict.
    """
    model, ck = load_checkpoint_model(checkpoint)
    extra = {"averaged_from": json.dumps(ck["averaged"])} if "averaged" in ck else None  # recipes/neural/average.py
    out = export_onnx(
        model, output, train_config=ck.get("config"), corpus=ck.get("corpus"), steps=ck.get("step"), extra=extra,
        weights="float16" if float16 else "float32",
    )
    return out, model, ck


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m voxclean.neural.export", description="checkpoint -> ONNX")
    p.add_argument("checkpoint")
    p.add_argument("output")
    p.add_argument("--float16", action="store_true", help="store the weights as float16 (half the file)")
    a = p.parse_args(argv)
    out, model, ck = export_checkpoint(a.checkpoint, a.output, float16=a.float16)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB, {model.n_params()} parameters, step {ck.get('step')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
