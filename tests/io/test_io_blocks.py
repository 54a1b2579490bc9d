"""read_blocks and BlockWriter: equivalence with whole-file I/O, atomicity, memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from voxclean.errors import AudioFileError, ChannelError, ParameterError
from voxclean.io import BlockWriter, info, load, read_blocks, resample, save


@pytest.mark.parametrize("block_frames", [7, 1000, 4096, 100000])
@pytest.mark.parametrize("mono", [False, True])
def test_blocks_concatenate_to_load(tmp_path, rng, block_frames, mono):
    y = rng.uniform(-0.5, 0.5, (3, 22050)).astype(np.float32)
    save(tmp_path / "x.flac", y, 22050, subtype="PCM_24")
    ref, _ = load(tmp_path / "x.flac", mono=mono)
    blocks = list(read_blocks(tmp_path / "x.flac", block_frames=block_frames, mono=mono))
    assert all(b.dtype == np.float32 and b.shape[0] == ref.shape[0] for b in blocks)
    assert all(b.shape[1] == block_frames for b in blocks[:-1])
    assert 0 < blocks[-1].shape[1] <= block_frames
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), ref)


@pytest.mark.parametrize(("sr_in", "sr_out"), [(48000, 16000), (16000, 44100), (44100, 48000)])
@pytest.mark.parametrize("block_frames", [512, 3000])
def test_blocks_with_resampling_match_one_shot(tmp_path, h, sr_in, sr_out, block_frames):
    y = h.sine(523.25, sr_in, sr_in, channels=2)
    save(tmp_path / "x.wav", y, sr_in, subtype="FLOAT")
    blocks = list(read_blocks(tmp_path / "x.wav", block_frames=block_frames, sr=sr_out))
    assert all(b.shape[1] == block_frames for b in blocks[:-1])
    streamed = np.concatenate(blocks, axis=1)
    ref = resample(y, sr_in, sr_out)
    loaded, _ = load(tmp_path / "x.wav", sr=sr_out)
    np.testing.assert_array_equal(loaded, ref)
    assert abs(streamed.shape[1] - ref.shape[1]) <= 2
    n = min(streamed.shape[1], ref.shape[1])
    np.testing.assert_allclose(streamed[:, :n], ref[:, :n], atol=1e-4)


def test_blocks_zero_frame_file_yields_nothing(tmp_path):
    save(tmp_path / "e.wav", np.zeros((2, 0), np.float32), 8000)
    assert list(read_blocks(tmp_path / "e.wav", block_frames=10)) == []
    assert list(read_blocks(tmp_path / "e.wav", block_frames=10, sr=16000)) == []


def test_read_blocks_checks_eagerly(tmp_path):
    with pytest.raises(AudioFileError):
        read_blocks(tmp_path / "missing.wav", block_frames=10)
    with pytest.raises(ParameterError):
        read_blocks(tmp_path / "missing.wav", block_frames=0)


def test_block_writer_roundtrip(tmp_path, rng):
    y = rng.uniform(-0.9, 0.9, (2, 10000)).astype(np.float32)
    with BlockWriter(tmp_path / "out.wav", 16000, 2, subtype="FLOAT") as w:
        for i in range(0, y.shape[1], 777):
            w.write(y[:, i : i + 777])
        w.write(np.zeros((2, 0), np.float32))
        assert not (tmp_path / "out.wav").exists()  # only the temp file so far
    assert w.closed and w.frames_written == 10000
    out, sr = load(tmp_path / "out.wav")
    assert sr == 16000
    np.testing.assert_array_equal(out, y)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_block_writer_mono_1d_blocks_and_clipping(tmp_path):
    with BlockWriter(tmp_path / "m.flac", 8000, 1) as w:
        w.write(np.array([0.0, 2.0, -2.0], np.float32))
    out, _ = load(tmp_path / "m.flac")
    assert out.shape == (1, 3) and out[0, 1] > 0.999 and out[0, 2] <= -0.999
    assert info(tmp_path / "m.flac").subtype == "PCM_16"


def test_block_writer_exception_leaves_no_file(tmp_path, h):
    with pytest.raises(RuntimeError, match="mid-write"), BlockWriter(tmp_path / "out.wav", 8000, 1) as w:
        w.write(h.sine(440, 8000, 800))
        raise RuntimeError("mid-write")
    assert h.listing(tmp_path) == []


def test_block_writer_bad_block_keeps_existing_target(tmp_path, h):
    target = tmp_path / "out.wav"
    save(target, h.sine(440, 8000, 800), 8000)
    before = target.read_bytes()
    bad = h.sine(440, 8000, 100)
    bad[0, 5] = np.nan
    with pytest.raises(ParameterError), BlockWriter(target, 8000, 1) as w:
        w.write(h.sine(440, 8000, 100))
        w.write(bad)
    with pytest.raises(ChannelError), BlockWriter(target, 8000, 1) as w:
        w.write(h.sine(440, 8000, 100, channels=2))
    assert target.read_bytes() == before
    assert h.listing(tmp_path) == ["out.wav"]


def test_block_writer_protect_and_in_place(tmp_path, h):
    src = tmp_path / "in.wav"
    save(src, h.sine(440, 8000, 800), 8000)
    before = src.read_bytes()
    with pytest.raises(AudioFileError, match="in_place"):
        BlockWriter(src, 8000, 1, protect=[src])
    assert src.read_bytes() == before and h.listing(tmp_path) == ["in.wav"]
    # In place: reading the input while writing its replacement is safe.
    with BlockWriter(src, 8000, 1, protect=[src], in_place=True) as w:
        for block in read_blocks(src, block_frames=100):
            w.write(block * 0.5)
    out, _ = load(src)
    assert out.shape == (1, 800) and np.abs(out).max() < 0.26
    assert h.listing(tmp_path) == ["in.wav"]


def test_block_writer_closed_and_abort(tmp_path, h):
    w = BlockWriter(tmp_path / "x.wav", 8000, 1)
    w.write(h.sine(440, 8000, 80))
    w.abort()
    assert h.listing(tmp_path) == []
    with pytest.raises(AudioFileError, match="closed"):
        w.write(h.sine(440, 8000, 80))
    w = BlockWriter(tmp_path / "y.wav", 8000, 1)
    w.close()
    w.close()
    assert info(tmp_path / "y.wav").frames == 0
    assert "closed" in repr(w)


@pytest.mark.slow
def test_constant_memory_ten_minutes(tmp_path, h):
    sr, channels, minutes, block = 48000, 2, 10, 48000
    src = tmp_path / "long.wav"
    total = sr * 60 * minutes
    t0 = 0
    with BlockWriter(src, sr, channels) as w:
        while t0 < total:
            n = min(block, total - t0)
            t = (t0 + np.arange(n)) / sr
            w.write(np.stack([0.3 * np.sin(2 * np.pi * 440 * t)] * channels).astype(np.float32))
            t0 += n
    assert info(src).frames == total
    dst = tmp_path / "out.flac"
    tracemalloc.start()
    try:
        written = 0
        with BlockWriter(dst, 16000, 1) as w:
            for b in read_blocks(src, block_frames=4096, sr=16000, mono=True):
                w.write(b)
                written += b.shape[1]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert abs(written - total // 3) <= 2
    assert peak < 4 * 2**20, f"peak traced memory {peak / 2**20:.1f} MiB"
    assert info(dst).frames == written
