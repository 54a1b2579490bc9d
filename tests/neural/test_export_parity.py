"""PyTorch vs ONNX: the exported frame step must reproduce the sequence model (fails beyond tolerance).

Run for a gains-only model, one with a deep-filter head, one with the head and a frame of lookahead,
that one stored with float16 weights (compared with the PyTorch model whose weights are
rounded the same way, so the tolerance stays that of float32 arithmetic), and that one again
reading the noise-floor feature block.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from voxclean.neural import features as F  # noqa: E402
from voxclean.neural.export import export_onnx  # noqa: E402
from voxclean.neural.model import GruMask, ModelConfig, apply_filter, delay_outputs  # noqa: E402
from voxclean.neural.runtime import NeuralEnhancer, NeuralModel  # noqa: E402

ATOL = 1e-5
DF_BINS = 40


def _export(tmp_path_factory, df_bins: int, lookahead: int = 0, weights: str = "float32", noise_floor: bool = False):
    torch.manual_seed(3)
    cfg = ModelConfig(
        hidden=64, layers=2, df_bins=df_bins, df_order=3, df_hidden=32, lookahead=lookahead, noise_floor=noise_floor
    )
    model = GruMask(cfg).eval()
    with torch.no_grad():  # larger weights than the default init, so the gains are not all ~0.5
        for p in model.parameters():
            if p.abs().max() == 0:  # the filter's output layer starts at zero: give it weights
                p.normal_(0.0, 0.1)
            p.mul_(3.0)
            if weights == "float16":  # the reference holds the weights the file stores
                p.copy_(p.half().float())
    path = tmp_path_factory.mktemp("onnx") / "m.onnx"
    export_onnx(model, path, corpus={"split": "train (test)"}, steps=0, weights=weights)
    return model, path


@pytest.fixture(
    scope="module",
    params=[(0, 0), (DF_BINS, 0), (DF_BINS, 1), (DF_BINS, 1, "float16"), (DF_BINS, 1, "float32", True)],
    ids=["gains", "deep_filter", "lookahead", "float16", "noise_floor"],
)
def exported(request, tmp_path_factory):
    return _export(tmp_path_factory, *request.param)


@pytest.fixture(
    scope="module", params=[(0, False), (1, False), (1, True)], ids=["causal", "lookahead", "noise_floor"]
)
def exported_filter(request, tmp_path_factory):
    lookahead, noise_floor = request.param
    return _export(tmp_path_factory, DF_BINS, lookahead, noise_floor=noise_floor)


def _inputs(
    x: np.ndarray, df_bins: int, noise_floor: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Spectrum ``[1, T, 161]``, features ``[T, 322 or 483]`` and filter input ``[T, 2F]`` of a signal."""
    spec = F.make_stft().stft(x[np.newaxis])
    df = F.df_features(F.signal_phase_advance(spec)[..., :df_bins])[0] if df_bins else None
    return spec, F.signal_features(spec, noise_floor)[0], df


def _assert_blocks_equal_whole(enh, x: np.ndarray, sr: int, rng, max_block: int) -> None:
    """Streaming ``x [C, N]`` in random blocks of 1..``max_block`` samples gives the whole-file output."""
    from voxclean import run_offline
    from voxclean.enhance.base import stream_compensated

    whole = run_offline(enh, x, sr)
    blocks, i = [], 0
    while i < x.shape[1]:
        n = int(rng.integers(1, max_block))
        blocks.append(x[:, i : i + n])
        i += n
    np.testing.assert_array_equal(np.concatenate(list(stream_compensated(enh, blocks, 1)), axis=1), whole)


def test_onnx_frame_loop_matches_torch_sequence(exported, noisy_speech):
    model, path = exported
    f = model.config.df_bins
    onnx_model = NeuralModel(path)
    _, feats, df = _inputs(noisy_speech[:16000], f, model.config.noise_floor)
    with torch.no_grad():
        ref, ref_c, _ = model(torch.from_numpy(feats)[None], None, None if df is None else torch.from_numpy(df)[None])
    ref = ref[0].numpy()
    state = np.zeros((2, 1, 64), np.float32)
    got = np.empty_like(ref)
    got_c = []
    for t in range(feats.shape[0]):
        g, c, state = onnx_model.step(feats[t : t + 1], state, None if df is None else df[t : t + 1])
        got[t] = g[0]
        if c is not None:
            got_c.append(c[0])
    assert ref.std() > 0.05  # a meaningful comparison
    np.testing.assert_allclose(got, ref, atol=ATOL, rtol=0)
    if f:
        assert ref_c is not None and ref_c.std() > 0.05
        np.testing.assert_allclose(np.stack(got_c), ref_c[0].numpy(), atol=ATOL, rtol=0)


def test_onnx_batch_matches_torch_step(exported, rng):
    model, path = exported
    f = model.config.df_bins
    onnx_model = NeuralModel(path)
    feats = rng.standard_normal((3, F.n_features(model.config.noise_floor))).astype(np.float32)
    df = rng.uniform(-1, 1, (3, 2 * f)).astype(np.float32) if f else None
    state = rng.standard_normal((2, 3, 64)).astype(np.float32)
    g, c, s = onnx_model.step(feats, state, df)
    with torch.no_grad():
        tg, tc, ts = model.step(torch.from_numpy(feats), torch.from_numpy(state), None if df is None else torch.from_numpy(df))
    np.testing.assert_allclose(g, tg.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(s, ts.numpy(), atol=ATOL, rtol=0)
    if f:
        np.testing.assert_allclose(c, tc.numpy(), atol=ATOL, rtol=0)


def test_enhancer_output_matches_torch_pipeline(exported, noisy_speech):
    """The whole runtime (STFT, features, ONNX, gains, filter, ISTFT) equals the training-side computation."""
    from voxclean import run_offline
    from voxclean.neural.losses import istft

    model, path = exported
    x = noisy_speech[:16000].astype(np.float32)
    out = run_offline(NeuralEnhancer(16000, model=str(path), strength_db=300.0), x, 16000)  # no gain limit
    spec, feats, df = _inputs(x, model.config.df_bins, model.config.noise_floor)
    with torch.no_grad():
        dft = None if df is None else torch.from_numpy(df)[None]
        gains, coefs, _ = model(torch.from_numpy(feats)[None], None, dft)
        gains, coefs = delay_outputs(gains, coefs, model.config.lookahead)
        est = apply_filter(torch.from_numpy(spec.astype(np.complex64)), gains, coefs, dft)
        ref = istft(est)[0].numpy()
        plain = istft(torch.from_numpy(spec.astype(np.complex64)) * gains)[0].numpy()
    n = ref.shape[0] - 160 * model.config.lookahead  # the last frames' outputs differ at the end (see delay_outputs)
    ref, plain = ref[:n], plain[:n]
    if model.config.df_bins:  # the filter changes the output: the comparison covers it
        assert np.abs(ref - plain).max() > 100 * 1e-4
    np.testing.assert_allclose(out[:n], ref, atol=1e-4)


def test_metadata_round_trip(exported):
    model, path = exported
    onnx_model = NeuralModel(path)
    meta = onnx_model.metadata
    assert meta["sample_rate"] == "16000" and meta["latency_samples"] == str(160 * (1 + model.config.lookahead))
    assert NeuralEnhancer(16000, model=str(path)).latency == 160 * (1 + model.config.lookahead)
    assert meta["training_steps"] == "0"
    assert onnx_model.df_bins == model.config.df_bins
    assert onnx_model.noise_floor == model.config.noise_floor
    assert json.loads(meta["features"]).get("n_features") == F.n_features(model.config.noise_floor)


def test_float16_storage_halves_the_file(exported, tmp_path):
    """The float16 export stores every weight and bias as float16 and is about half the float32 file."""
    import onnx
    from onnx import numpy_helper

    model, path = exported
    proto = onnx.load(str(path))
    dtypes = {numpy_helper.to_array(i).dtype for i in proto.graph.initializer if i.data_type != onnx.TensorProto.INT64}
    weights = NeuralModel(path).metadata["weights"]
    assert dtypes == {np.dtype(weights)}
    other = "float32" if weights == "float16" else "float16"
    export_onnx(model, tmp_path / "other.onnx", weights=other)
    sizes = {weights: path.stat().st_size, other: (tmp_path / "other.onnx").stat().st_size}
    assert 0.45 < sizes["float16"] / sizes["float32"] < 0.6, sizes


def test_filter_head_starts_as_the_gains_only_model(noisy_speech):
    """A head added to a trained gains model starts at exactly that model (warm start of the recipe)."""
    torch.manual_seed(5)
    base = GruMask(ModelConfig(hidden=32, layers=1)).eval()
    torch.manual_seed(5)
    grown = GruMask(ModelConfig(hidden=32, layers=1, df_bins=DF_BINS)).eval()
    for (na, pa), (nb, pb) in zip(base.named_parameters(), grown.named_parameters()):  # same draws for the mask layers
        assert na == nb and torch.equal(pa, pb)
    spec, feats, df = _inputs(noisy_speech[:8000], DF_BINS)
    with torch.no_grad():
        g0, _, _ = base(torch.from_numpy(feats)[None])
        g1, c1, _ = grown(torch.from_numpy(feats)[None], None, torch.from_numpy(df)[None])
        s = torch.from_numpy(spec.astype(np.complex64))
        assert torch.equal(apply_filter(s, g0, None, None), apply_filter(s, g1, c1, torch.from_numpy(df)[None]))


def test_widened_model_computes_the_same(noisy_speech):
    """A trained model widened to more hidden units starts as exactly the same function."""
    from voxclean.neural.model import widen_state_dict

    torch.manual_seed(2)
    small = GruMask(ModelConfig(hidden=24, layers=2, df_bins=DF_BINS, df_hidden=16)).eval()
    with torch.no_grad():
        for p in small.parameters():
            if p.abs().max() == 0:
                p.normal_(0.0, 0.3)
    wide = GruMask(ModelConfig(hidden=40, layers=2, df_bins=DF_BINS, df_hidden=16)).eval()
    wide.load_state_dict(widen_state_dict(small.state_dict(), wide))
    spec, feats, df = _inputs(noisy_speech[:8000], DF_BINS)
    with torch.no_grad():
        a = small(torch.from_numpy(feats)[None], None, torch.from_numpy(df)[None])
        b = wide(torch.from_numpy(feats)[None], None, torch.from_numpy(df)[None])
    np.testing.assert_allclose(b[0].numpy(), a[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(b[1].numpy(), a[1].numpy(), atol=1e-6)
    assert not torch.equal(b[2][:, :, 24:], torch.zeros_like(b[2][:, :, 24:]))  # the new units run, unheard


def test_added_input_columns_compute_the_same(noisy_speech):
    """A trained model given the noise-floor block (new encoder columns of zeros) starts as the same function."""
    from voxclean.neural.model import add_input_columns

    torch.manual_seed(4)
    old = GruMask(ModelConfig(hidden=24, layers=2, df_bins=DF_BINS, df_hidden=16)).eval()
    new = GruMask(ModelConfig(hidden=24, layers=2, df_bins=DF_BINS, df_hidden=16, noise_floor=True)).eval()
    new.load_state_dict(add_input_columns(old.state_dict(), new))
    _, feats, df = _inputs(noisy_speech[:8000], DF_BINS, noise_floor=True)
    assert np.abs(feats[:, F.N_FEATURES :]).max() > 0.5  # the new block carries a signal the model ignores at first
    with torch.no_grad():
        a = old(torch.from_numpy(feats[:, : F.N_FEATURES])[None], None, torch.from_numpy(df)[None])
        b = new(torch.from_numpy(feats)[None], None, torch.from_numpy(df)[None])
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(y, x, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="does not fit"):
        add_input_columns(new.state_dict(), old)


def test_filter_runtime_streams_batches_and_limits(exported_filter, noisy_speech, noises, rng):
    """The runtime with a deep filter: random blocks == whole file, batched streams == alone, attenuation limit."""
    from voxclean import Stream, run_offline
    from voxclean.enhance.base import process_streams

    _, path = exported_filter
    enh = NeuralEnhancer(16000, model=str(path), strength_db=12.0)
    x = noisy_speech[np.newaxis, :24000].astype(np.float32)
    _assert_blocks_equal_whole(enh, x, 16000, rng, 700)

    xs = [x[:, k * 1600 : k * 1600 + 8000] for k in range(3)]
    alone = [np.concatenate([enh.process(s[:, j : j + 160], st) for j in range(0, 8000, 160)], axis=1)
             for s, st in ((s, enh.init_state(1)) for s in xs)]
    streams = [Stream(enh, 1) for _ in xs]
    together = [[] for _ in xs]
    for j in range(0, 8000, 160):
        for k, y in enumerate(process_streams(streams, [s[:, j : j + 160] for s in xs])):
            together[k].append(y)
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(np.concatenate(b, axis=1), a)

    noise = (noises["aircon"][:32000] * 0.3).astype(np.float32)
    y = run_offline(enh, noise[np.newaxis], 16000)[0]
    loss_db = 10 * np.log10(np.mean(noise[3200:] ** 2) / np.mean(y[3200:] ** 2))
    assert loss_db <= 12.0 + 1.0
    assert np.isfinite(run_offline(enh, np.sign(x) * 1.0, 16000)).all()



@pytest.mark.parametrize("sr", [8000, 22050, 48000])
def test_filter_model_at_other_rates(exported_filter, noisy_speech, sr, rng):
    """Resampled path: strength 0 is the input delayed by exactly the declared latency; blocks == whole file."""
    import soxr

    from voxclean import run_offline

    model, path = exported_filter
    x = soxr.resample(noisy_speech[:16000], 16000, sr).astype(np.float32)[np.newaxis]
    bypass = NeuralEnhancer(sr, model=str(path), strength_db=0.0)
    np.testing.assert_allclose(run_offline(bypass, x, sr), x, atol=1e-4)
    core = 160 * (1 + model.config.lookahead) * sr / 16000  # the 16 kHz core; resamplers and FIFO add under 20 ms
    assert core < bypass.latency < core + 0.02 * sr
    enh = NeuralEnhancer(sr, model=str(path), strength_db=20.0)
    _assert_blocks_equal_whole(enh, x, sr, rng, 900)


@pytest.mark.parametrize("name", ["", "low-latency"], ids=["default", "low_latency"])
def test_packaged_model_is_the_export_of_its_committed_checkpoint(name, tmp_path):
    """Each shipped ONNX file is byte for byte what exporting its checkpoint in the tree writes.

    The checkpoint is found from the file's ``training_steps`` metadata
    (``recipes/neural/checkpoints/step<N>/``), so the shipped weights can always be
    traced to, and rebuilt from, a committed checkpoint with the current exporter.
    """
    from pathlib import Path

    from voxclean.neural.export import export_checkpoint
    from voxclean.neural.runtime import _packaged_model_path

    packaged = _packaged_model_path(name)
    steps = NeuralModel(packaged).metadata["training_steps"]
    root = Path(__file__).resolve().parents[2]
    checkpoint = root / "recipes" / "neural" / "checkpoints" / f"step{steps}" / "checkpoint.pt"
    assert checkpoint.is_file(), f"{packaged.name}: no committed checkpoint for step {steps}"
    out, _, _ = export_checkpoint(checkpoint, tmp_path / "again.onnx", float16=True)
    assert out.read_bytes() == packaged.read_bytes()
