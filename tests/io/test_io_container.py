"""Container formats (M4A/MP4/MKV) through PyAV and the ffmpeg fallback."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import voxclean.io._container as container_mod
from voxclean.errors import AudioFileError
from voxclean.io import SUPPORTED_EXTENSIONS, info, is_audio_path, load, read_blocks

SR = 44100
N_FRAMES = 40 * 1024


def _encode(path: Path, y: np.ndarray, sr: int, codec: str) -> None:
    """Encode ``y`` [shape=(C, T)] with PyAV into ``path`` using the encoder's frame size."""
    av = pytest.importorskip("av")
    layout = {1: "mono", 2: "stereo"}[y.shape[0]]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=sr)
        stream.layout = layout
        stream.codec_context.open()  # fixes format and frame_size
        fmt = stream.codec_context.format.name
        step = stream.codec_context.frame_size or 1024
        for i in range(0, y.shape[1], step):
            chunk = np.ascontiguousarray(y[:, i : i + step])
            if fmt.startswith("s16"):
                chunk = np.round(chunk * 32767).astype(np.int16)
            if not fmt.endswith("p"):  # packed formats take (1, T*C)
                chunk = np.ascontiguousarray(chunk.T).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format=fmt, layout=layout)
            frame.sample_rate = sr
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


@pytest.fixture(params=[".m4a", ".mp4", ".mkv"])
def aac_file(request, tmp_path, h):
    pytest.importorskip("av")
    y = h.sine(1000, SR, N_FRAMES, channels=2)
    path = tmp_path / f"tone{request.param}"
    _encode(path, y, SR, "aac")
    return path


@pytest.fixture
def no_pyav(monkeypatch):
    def fail():
        raise ImportError("simulated: no PyAV")

    monkeypatch.setattr(container_mod, "_import_av", fail)


def _check_tone(y: np.ndarray, sr: int, h) -> None:
    assert y.dtype == np.float32 and y.ndim == 2
    mid = y[0, y.shape[1] // 4 : 3 * y.shape[1] // 4]
    assert abs(h.peak_freq(mid, sr) - 1000) < 5
    assert 0.3 < np.abs(mid).max() < 0.7


def test_pyav_roundtrip(aac_file, h):
    y, sr = load(aac_file)
    assert sr == SR and y.shape[0] == 2
    assert abs(y.shape[1] - N_FRAMES) <= 2048  # encoder priming/padding
    _check_tone(y, sr, h)
    meta = info(aac_file)
    assert (meta.sample_rate, meta.channels, meta.subtype) == (SR, 2, "AAC")
    assert meta.format == aac_file.suffix[1:].upper()
    assert meta.frames is not None and abs(meta.frames - N_FRAMES) <= 2048


def test_pyav_load_options_and_blocks(aac_file, h):
    y, _ = load(aac_file)
    mono, sr = load(aac_file, sr=16000, mono=True)
    assert sr == 16000 and mono.shape[0] == 1
    assert abs(mono.shape[1] - y.shape[1] * 16000 / SR) <= 1
    _check_tone(mono, sr, h)
    part, _ = load(aac_file, offset_s=0.1, duration_s=0.2)
    start = round(0.1 * SR)
    np.testing.assert_array_equal(part, y[:, start : start + round(0.2 * SR)])
    blocks = list(read_blocks(aac_file, block_frames=3000))
    assert all(b.shape[1] == 3000 for b in blocks[:-1])
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), y)
    blocks = list(read_blocks(aac_file, block_frames=3000, sr=16000, mono=True))
    streamed = np.concatenate(blocks, axis=1)
    n = min(streamed.shape[1], mono.shape[1])
    assert abs(streamed.shape[1] - mono.shape[1]) <= 2
    np.testing.assert_allclose(streamed[:, :n], mono[:, :n], atol=1e-4)


def test_partially_consumed_stream_closes(aac_file):
    it = read_blocks(aac_file, block_frames=100)
    next(it)
    it.close()  # must not raise or leak


def test_mono_opus_in_webm(tmp_path, h):
    av = pytest.importorskip("av")
    if "libopus" not in av.codecs_available and "opus" not in av.codecs_available:
        pytest.skip("PyAV without an Opus encoder")
    y = h.sine(440, 48000, 48000, channels=1)
    path = tmp_path / "voice.webm"
    try:
        _encode(path, y, 48000, "libopus" if "libopus" in av.codecs_available else "opus")
    except Exception as exc:
        pytest.skip(f"cannot encode Opus here: {exc}")
    out, sr = load(path)
    assert sr == 48000 and out.shape[0] == 1
    assert abs(h.peak_freq(out[0, 4800:-4800], sr) - 440) < 3


@pytest.mark.skipif(not (shutil.which("ffmpeg") and shutil.which("ffprobe")), reason="ffmpeg not on PATH")
def test_ffmpeg_fallback_matches_pyav(aac_file, no_pyav, h):
    y, sr = load(aac_file)
    assert sr == SR and y.shape[0] == 2
    _check_tone(y, sr, h)
    meta = info(aac_file)
    assert (meta.sample_rate, meta.channels, meta.subtype) == (SR, 2, "AAC")
    blocks = list(read_blocks(aac_file, block_frames=5000, sr=22050))
    assert all(b.shape[1] == 5000 for b in blocks[:-1])
    resampled, _ = load(aac_file, sr=22050)
    streamed = np.concatenate(blocks, axis=1)
    n = min(streamed.shape[1], resampled.shape[1])
    np.testing.assert_allclose(streamed[:, :n], resampled[:, :n], atol=1e-4)
    it = read_blocks(aac_file, block_frames=100)
    next(it)
    it.close()  # kills the ffmpeg process


@pytest.mark.skipif(not shutil.which("ffprobe"), reason="ffmpeg not on PATH")
def test_ffmpeg_fallback_garbage(tmp_path, no_pyav, rng):
    path = tmp_path / "garbage.m4a"
    path.write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(AudioFileError):
        load(path)


def test_no_backend_names_what_to_install(tmp_path, rng, no_pyav, monkeypatch):
    monkeypatch.setattr(container_mod, "_which", lambda name: None)
    path = tmp_path / "clip.m4a"
    path.write_bytes(rng.integers(0, 256, 100, dtype=np.uint8).tobytes())
    for call in (load, info, lambda p: read_blocks(p, block_frames=10)):
        with pytest.raises(AudioFileError, match="pip install av") as exc:
            call(path)
        assert "ffmpeg" in str(exc.value)


def test_is_audio_path():
    for name in ("a.wav", "B.FLAC", "c.opus", "d.mp3", "e.m4a", "f.mp4", "g.mkv", "dir/h.webm", Path("i.ogg")):
        assert is_audio_path(name), name
    for name in ("a.txt", "wav", ".x.wav.1a2b3c4d.part", "notes.ts", "a"):
        assert not is_audio_path(name), name
    assert all(e.startswith(".") and e == e.lower() for e in SUPPORTED_EXTENSIONS)
    assert len(set(SUPPORTED_EXTENSIONS)) == len(SUPPORTED_EXTENSIONS)
