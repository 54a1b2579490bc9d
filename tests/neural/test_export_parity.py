"""PyTorch vs ONNX: the exported frame step must reproduce the sequence model (fails beyond tolerance)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from voxclean.neural import features as F  # noqa: E402
from voxclean.neural.export import export_onnx  # noqa: E402
from voxclean.neural.model import GruMask, ModelConfig  # noqa: E402
from voxclean.neural.runtime import NeuralEnhancer, NeuralModel  # noqa: E402

ATOL = 1e-5


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(3)
    model = GruMask(ModelConfig(hidden=64, layers=2)).eval()
    with torch.no_grad():  # larger weights than the default init, so the gains are not all ~0.5
        for p in model.parameters():
            p.mul_(3.0)
    path = tmp_path_factory.mktemp("onnx") / "m.onnx"
    export_onnx(model, path, corpus={"split": "train (test)"}, steps=0)
    return model, path


def test_onnx_frame_loop_matches_torch_sequence(exported, noisy_speech):
    model, path = exported
    onnx_model = NeuralModel(path)
    stft = F.make_stft()
    feats = F.signal_features(stft.stft(noisy_speech[np.newaxis, :16000]))[0]  # [T, 322]
    with torch.no_grad():
        ref, _ = model(torch.from_numpy(feats)[None])
    ref = ref[0].numpy()
    state = np.zeros((2, 1, 64), np.float32)
    got = np.empty_like(ref)
    for t in range(feats.shape[0]):
        g, state = onnx_model.step(feats[t : t + 1], state)
        got[t] = g[0]
    assert ref.std() > 0.05  # a meaningful comparison
    np.testing.assert_allclose(got, ref, atol=ATOL, rtol=0)


def test_onnx_batch_matches_torch_step(exported, rng):
    model, path = exported
    onnx_model = NeuralModel(path)
    feats = rng.standard_normal((3, F.N_FEATURES)).astype(np.float32)
    state = rng.standard_normal((2, 3, 64)).astype(np.float32)
    g, s = onnx_model.step(feats, state)
    with torch.no_grad():
        tg, ts = model.step(torch.from_numpy(feats), torch.from_numpy(state))
    np.testing.assert_allclose(g, tg.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(s, ts.numpy(), atol=ATOL, rtol=0)


def test_enhancer_output_matches_torch_pipeline(exported, noisy_speech):
    """The whole runtime (STFT, features, ONNX, gains, ISTFT) equals the training-side computation."""
    from voxclean.neural.losses import istft

    model, path = exported
    x = noisy_speech[:16000].astype(np.float32)
    from voxclean import run_offline

    out = run_offline(NeuralEnhancer(16000, model=str(path), strength_db=300.0), x, 16000)  # no gain limit
    stft = F.make_stft()
    spec = stft.stft(x[np.newaxis])
    with torch.no_grad():
        gains, _ = model(torch.from_numpy(F.signal_features(spec)))
        ref = istft(torch.from_numpy(spec.astype(np.complex64)) * gains)[0].numpy()
    n = ref.shape[0]
    np.testing.assert_allclose(out[:n], ref, atol=1e-4)


def test_metadata_round_trip(exported):
    _, path = exported
    meta = NeuralModel(path).metadata
    assert meta["sample_rate"] == "16000" and meta["latency_samples"] == "160"
    assert meta["training_steps"] == "0"
