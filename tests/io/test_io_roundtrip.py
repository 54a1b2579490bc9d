"""Round trips through save/load/info for soundfile formats."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from voxclean.errors import ParameterError, SampleRateError
from voxclean.io import AudioInfo, info, load, save

# (extension, subtype, absolute tolerance of the round trip)
LOSSLESS = [
    (".wav", "PCM_16", 1.0 / 2**15),
    (".wav", "PCM_24", 1.0 / 2**23),
    (".wav", "PCM_32", 1.0 / 2**30),
    (".wav", "FLOAT", 0.0),
    (".flac", "PCM_16", 1.0 / 2**15),
    (".flac", "PCM_24", 1.0 / 2**23),
]


@pytest.mark.parametrize(("ext", "subtype", "tol"), LOSSLESS)
def test_lossless_roundtrip_subtypes(tmp_path, h, ext, subtype, tol):
    y = h.sine(440, 16000, 4000, channels=2)
    path = tmp_path / f"x{ext}"
    save(path, y, 16000, subtype=subtype)
    out, sr = load(path)
    assert sr == 16000
    assert out.dtype == np.float32 and out.shape == y.shape
    np.testing.assert_allclose(out, y, atol=tol + 1e-7)
    meta = info(path)
    assert meta.subtype == subtype and meta.format == ext[1:].upper()


@pytest.mark.parametrize("channels", [1, 2, 8])
@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000])
def test_roundtrip_channels_and_rates(tmp_path, h, channels, sr):
    y = h.sine(300, sr, sr // 4, channels=channels)
    path = tmp_path / "x.wav"
    save(path, y, sr)
    out, got_sr = load(path)
    assert got_sr == sr and out.shape == (channels, sr // 4)
    np.testing.assert_allclose(out, y, atol=2.0 / 2**15)
    meta = info(path)
    assert meta == AudioInfo(sr, channels, sr // 4, (sr // 4) / sr, "WAV", "PCM_16")


def test_one_dimensional_save_loads_as_one_channel(tmp_path, h):
    y = h.sine(440, 8000, 800)[0]
    save(tmp_path / "m.flac", y, 8000)
    out, _ = load(tmp_path / "m.flac")
    assert out.shape == (1, 800)


@pytest.mark.parametrize(("ext", "sr"), [(".ogg", 44100), (".opus", 48000), (".mp3", 44100)])
def test_lossy_roundtrip_keeps_frequency(tmp_path, h, ext, sr):
    if ext == ".mp3" and "MP3" not in sf.available_formats():
        pytest.skip("libsndfile without MP3")
    y = h.sine(1000, sr, sr, channels=2)
    path = tmp_path / f"x{ext}"
    save(path, y, sr)
    out, got_sr = load(path)
    assert got_sr == sr and out.shape[0] == 2
    assert abs(out.shape[1] - sr) < sr * 0.1
    assert abs(h.peak_freq(out[0], sr) - 1000) < 5
    expected = {".ogg": ("OGG", "VORBIS"), ".opus": ("OGG", "OPUS"), ".mp3": ("MP3", "MPEG_LAYER_III")}[ext]
    assert (info(path).format, info(path).subtype) == expected


def test_integer_files_load_in_unit_range(tmp_path, h):
    y = h.sine(440, 8000, 8000, amp=1.0)
    for subtype in ("PCM_16", "PCM_24", "PCM_32"):
        path = tmp_path / f"{subtype}.wav"
        save(path, y, 8000, subtype=subtype)
        out, _ = load(path)
        assert out.dtype == np.float32
        assert out.max() <= 1.0 and out.min() >= -1.0
        assert out.max() > 0.99


def test_save_clips_instead_of_wrapping(tmp_path):
    y = np.array([[0.5, 1.7, -3.0, 1.0, -1.0]], dtype=np.float32)
    save(tmp_path / "c.wav", y, 8000, subtype="PCM_16")
    out, _ = load(tmp_path / "c.wav")
    assert out[0, 1] > 0.999 and out[0, 2] <= -0.999
    assert np.all(np.abs(out) <= 1.0)
    # Float files keep overs untouched.
    save(tmp_path / "f.wav", y, 8000, subtype="FLOAT")
    out, _ = load(tmp_path / "f.wav")
    np.testing.assert_array_equal(out, y)


def test_zero_frame_file_loads_as_empty(tmp_path):
    save(tmp_path / "empty.wav", np.zeros((3, 0), dtype=np.float32), 16000)
    out, sr = load(tmp_path / "empty.wav")
    assert out.shape == (3, 0) and out.dtype == np.float32 and sr == 16000
    assert info(tmp_path / "empty.wav").frames == 0
    out, sr = load(tmp_path / "empty.wav", sr=8000, mono=True)
    assert out.shape == (1, 0) and sr == 8000


def test_mono_offset_duration_dtype(tmp_path, h):
    y = np.stack([np.linspace(-0.5, 0.5, 8000), np.linspace(0.5, -0.5, 8000)]).astype(np.float32)
    save(tmp_path / "x.wav", y, 8000, subtype="FLOAT")
    out, _ = load(tmp_path / "x.wav", mono=True)
    assert out.shape == (1, 8000)
    np.testing.assert_allclose(out, 0.0, atol=1e-6)
    out, _ = load(tmp_path / "x.wav", offset_s=0.25, duration_s=0.5, dtype=np.float64)
    assert out.dtype == np.float64 and out.shape == (2, 4000)
    np.testing.assert_allclose(out, y[:, 2000:6000], atol=1e-7)
    out, _ = load(tmp_path / "x.wav", offset_s=5.0)
    assert out.shape == (2, 0)
    out, _ = load(tmp_path / "x.wav", duration_s=0)
    assert out.shape == (2, 0)
    with pytest.raises(ParameterError):
        load(tmp_path / "x.wav", offset_s=-1)
    with pytest.raises(ParameterError):
        load(tmp_path / "x.wav", dtype=np.int16)
    with pytest.raises(SampleRateError):
        load(tmp_path / "x.wav", sr=0)


@pytest.mark.parametrize(("sr_in", "sr_out"), [(48000, 16000), (22050, 44100), (44100, 8000), (8000, 48000)])
def test_resample_on_load(tmp_path, h, sr_in, sr_out):
    n = sr_in  # one second
    y = h.sine(440, sr_in, n, channels=2)
    save(tmp_path / "x.wav", y, sr_in, subtype="FLOAT")
    out, sr = load(tmp_path / "x.wav", sr=sr_out)
    assert sr == sr_out and out.dtype == np.float32 and out.shape[0] == 2
    assert abs(out.shape[1] - n * sr_out / sr_in) <= 1
    assert abs(h.peak_freq(out[0], sr_out) - 440) < 2
    # Away from the edges the waveform is the ideal sine at the new rate.
    ref = h.sine(440, sr_out, out.shape[1], channels=2)
    mid = slice(out.shape[1] // 4, 3 * out.shape[1] // 4)
    np.testing.assert_allclose(out[:, mid], ref[:, mid], atol=2e-3)


def test_like_keeps_subtype(tmp_path, h):
    y = h.sine(440, 8000, 800)
    save(tmp_path / "in.flac", y, 8000, subtype="PCM_24")
    meta = info(tmp_path / "in.flac")
    save(tmp_path / "out.wav", y, 8000, like=meta)
    assert info(tmp_path / "out.wav").subtype == "PCM_24"
    assert info(tmp_path / "out.wav").format == "WAV"
    # A subtype the output format cannot hold falls back to the default.
    save(tmp_path / "v.ogg", y, 8000)
    save(tmp_path / "out2.wav", y, 8000, like=info(tmp_path / "v.ogg"))
    assert info(tmp_path / "out2.wav").subtype == "PCM_16"
    # Explicit subtype wins over like.
    save(tmp_path / "out3.wav", y, 8000, like=meta, subtype="FLOAT")
    assert info(tmp_path / "out3.wav").subtype == "FLOAT"
    # Unknown extension takes the format from like.
    save(tmp_path / "out.dat", y, 8000, like=meta)
    assert info(tmp_path / "out.dat").format == "FLAC"


def test_explicit_format(tmp_path, h):
    y = h.sine(440, 8000, 800)
    save(tmp_path / "noext", y, 8000, format="flac")
    assert info(tmp_path / "noext").format == "FLAC"


def test_audioinfo_is_frozen(tmp_path, h):
    save(tmp_path / "x.wav", h.sine(440, 8000, 80), 8000)
    meta = info(tmp_path / "x.wav")
    with pytest.raises(AttributeError):
        meta.sample_rate = 1  # type: ignore[misc]
