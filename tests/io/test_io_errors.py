"""Bad input files and unsafe or failing writes."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from voxclean.errors import AudioFileError, ChannelError, ParameterError, SampleRateError, VoxcleanError
from voxclean.io import info, load, read_blocks, save

# ------------------------------------------------------------------ reading


@pytest.mark.parametrize("reader", [load, info, lambda p: read_blocks(p, block_frames=256)])
def test_missing_file(tmp_path, reader):
    with pytest.raises(AudioFileError, match="does not exist"):
        reader(tmp_path / "nope.wav")


@pytest.mark.parametrize("ext", [".wav", ".flac", ".m4a", ".xyz"])
def test_empty_file(tmp_path, ext):
    path = tmp_path / f"empty{ext}"
    path.write_bytes(b"")
    with pytest.raises(AudioFileError, match="empty"):
        load(path)
    with pytest.raises(AudioFileError, match="empty"):
        info(path)


def test_directory(tmp_path):
    with pytest.raises(AudioFileError, match="directory"):
        load(tmp_path)


def test_non_path_argument():
    with pytest.raises(ParameterError):
        load(123)  # type: ignore[arg-type]


@pytest.mark.parametrize("ext", [".wav", ".flac", ".ogg", ".opus", ".aiff"])
def test_garbage_with_audio_extension(tmp_path, rng, ext):
    path = tmp_path / f"garbage{ext}"
    path.write_bytes(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(AudioFileError):
        load(path)
    with pytest.raises(AudioFileError):
        info(path)


def test_garbage_container_never_raises_raw_errors(tmp_path, rng):
    pytest.importorskip("av")
    for ext in (".m4a", ".mp4", ".mkv", ".mp3"):
        path = tmp_path / f"garbage{ext}"
        path.write_bytes(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
        try:
            y, _ = load(path)
        except AudioFileError:
            continue
        # Very lenient demuxers may "decode" noise; that is acceptable, a crash is not.
        assert y.dtype == np.float32 and y.ndim == 2


def test_unsupported_extension(tmp_path, rng):
    path = tmp_path / "thing.xyz"
    path.write_bytes(rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    with pytest.raises(AudioFileError, match=r"unsupported format '\.xyz'"):
        load(path)


def test_unknown_extension_with_real_audio_still_loads(tmp_path, h):
    # libsndfile detects the format from the header.
    save(tmp_path / "a.wav", h.sine(440, 8000, 800), 8000)
    os.replace(tmp_path / "a.wav", tmp_path / "a.bin")
    y, sr = load(tmp_path / "a.bin")
    assert y.shape == (1, 800) and sr == 8000


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.1])
@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_truncated_wav_loads_readable_part(tmp_path, h, keep, subtype):
    y = h.sine(440, 16000, 16000, channels=2)
    full = tmp_path / "full.wav"
    save(full, y, 16000, subtype=subtype)
    data = full.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: int(len(data) * keep)])
    try:
        out, sr = load(cut)
    except AudioFileError:
        return
    assert sr == 16000 and out.shape[0] == 2
    n = out.shape[1]
    assert 0 < n < y.shape[1]
    np.testing.assert_allclose(out, y[:, :n], atol=1e-4)
    blocks = list(read_blocks(cut, block_frames=1000))
    assert sum(b.shape[1] for b in blocks) == n


@pytest.mark.parametrize("n_bytes", [4, 12, 30, 44, 45])
def test_wav_cut_inside_header(tmp_path, h, n_bytes):
    full = tmp_path / "full.wav"
    save(full, h.sine(440, 8000, 800), 8000)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full.read_bytes()[:n_bytes])
    try:
        out, _ = load(cut)
    except AudioFileError:
        return
    assert out.ndim == 2 and out.shape[1] <= 1


@pytest.mark.parametrize("ext", [".flac", ".ogg"])
def test_truncated_compressed_file(tmp_path, h, ext):
    full = tmp_path / f"full{ext}"
    save(full, h.sine(440, 16000, 32000, channels=2), 16000)
    cut = tmp_path / f"cut{ext}"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    try:
        out, _ = load(cut)
    except VoxcleanError as exc:
        assert isinstance(exc, AudioFileError)
        return
    assert out.ndim == 2 and out.shape[1] < 32000


def test_video_without_audio_stream(tmp_path):
    av = pytest.importorskip("av")
    path = tmp_path / "silent_video.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), i * 40, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(AudioFileError, match="no audio stream"):
        load(path)
    with pytest.raises(AudioFileError, match="no audio stream"):
        info(path)


# ------------------------------------------------------------------ writing


def test_save_nan_raises_and_leaves_nothing(tmp_path, h):
    y = h.sine(440, 8000, 800)
    y[0, 10] = np.nan
    with pytest.raises(ParameterError):
        save(tmp_path / "new.wav", y, 8000)
    assert h.listing(tmp_path) == []


def test_save_nan_keeps_existing_target(tmp_path, h):
    target = tmp_path / "out.wav"
    save(target, h.sine(440, 8000, 800), 8000)
    before = target.read_bytes()
    bad = h.sine(220, 8000, 400)
    bad[0, 3] = np.inf
    with pytest.raises(ParameterError):
        save(target, bad, 8000)
    assert target.read_bytes() == before
    assert h.listing(tmp_path) == ["out.wav"]


def test_failure_mid_write_keeps_existing_target(tmp_path, h, monkeypatch):
    target = tmp_path / "out.flac"
    save(target, h.sine(440, 8000, 800), 8000)
    before = target.read_bytes()

    def boom(self, data):
        raise KeyboardInterrupt  # anything, even a non-Exception, must clean up

    monkeypatch.setattr(sf.SoundFile, "write", boom)
    with pytest.raises(KeyboardInterrupt):
        save(target, h.sine(220, 8000, 4000), 8000)
    assert target.read_bytes() == before
    assert h.listing(tmp_path) == ["out.flac"]


def test_libsndfile_failure_is_audiofileerror(tmp_path, h, monkeypatch):
    def boom(self, data):
        raise sf.LibsndfileError(0, "disk full (simulated)")

    monkeypatch.setattr(sf.SoundFile, "write", boom)
    with pytest.raises(AudioFileError, match="simulated"):
        save(tmp_path / "x.wav", h.sine(220, 8000, 400), 8000)
    assert h.listing(tmp_path) == []


def test_save_refuses_protected_input(tmp_path, h):
    src = tmp_path / "input.wav"
    save(src, h.sine(440, 8000, 800), 8000)
    before = src.read_bytes()
    with pytest.raises(AudioFileError, match="in_place"):
        save(src, h.sine(220, 8000, 800), 8000, protect=[src])
    # Same file through another spelling and through a symlink.
    with pytest.raises(AudioFileError):
        save(tmp_path / "sub" / ".." / "input.wav", h.sine(220, 8000, 800), 8000, protect=[str(src)])
    link = tmp_path / "link.wav"
    link.symlink_to(src)
    with pytest.raises(AudioFileError):
        save(link, h.sine(220, 8000, 800), 8000, protect=[src])
    assert src.read_bytes() == before


def test_save_in_place_allowed(tmp_path, h):
    src = tmp_path / "input.wav"
    save(src, h.sine(440, 8000, 800), 8000)
    y, sr = load(src)
    save(src, 0.5 * y, sr, protect=[src], in_place=True)
    out, _ = load(src)
    np.testing.assert_allclose(out, 0.5 * y, atol=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.wav"]


def test_save_other_path_with_protect_is_fine(tmp_path, h):
    src = tmp_path / "input.wav"
    save(src, h.sine(440, 8000, 800), 8000)
    save(tmp_path / "output.wav", h.sine(440, 8000, 800), 8000, protect=[src])
    assert (tmp_path / "output.wav").exists()


def test_save_overwrite_false(tmp_path, h):
    target = tmp_path / "x.wav"
    save(target, h.sine(440, 8000, 800), 8000)
    with pytest.raises(AudioFileError, match="exists"):
        save(target, h.sine(440, 8000, 80), 8000, overwrite=False)
    assert info(target).frames == 800


def test_save_bad_arguments(tmp_path, h):
    y = h.sine(440, 8000, 800)
    with pytest.raises(ParameterError):
        save(tmp_path / "x.wav", y.astype(np.int16), 8000)
    with pytest.raises(ParameterError):
        save(tmp_path / "x.wav", np.zeros((2, 2, 2), np.float32), 8000)
    with pytest.raises(ChannelError):
        save(tmp_path / "x.wav", np.zeros((0, 10), np.float32), 8000)
    with pytest.raises(SampleRateError):
        save(tmp_path / "x.wav", y, -1)
    with pytest.raises(SampleRateError, match="Opus"):
        save(tmp_path / "x.opus", y, 44100)
    with pytest.raises(ParameterError):
        save(tmp_path / "x.wav", y, 8000, subtype="VORBIS")
    with pytest.raises(ParameterError):
        save(tmp_path / "x.wav", y, 8000, format="NOPE")
    with pytest.raises(AudioFileError, match="format"):
        save(tmp_path / "x.xyz", y, 8000)
    with pytest.raises(AudioFileError, match="not supported"):
        save(tmp_path / "x.m4a", y, 8000)
    with pytest.raises(AudioFileError, match="does not exist"):
        save(tmp_path / "no" / "dir.wav", y, 8000)
    with pytest.raises(AudioFileError, match="directory"):
        save(tmp_path, y, 8000, format="WAV")
    assert h.listing(tmp_path) == []


def test_save_file_mode_follows_umask(tmp_path, h):
    old = os.umask(0o022)
    try:
        save(tmp_path / "x.wav", h.sine(440, 8000, 80), 8000)
    finally:
        os.umask(old)
    assert (tmp_path / "x.wav").stat().st_mode & 0o777 == 0o644
