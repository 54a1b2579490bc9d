"""Ring buffer and PCM/WAV coding used by the live engine, pipes and the service."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
import soundfile as sf

from voxclean.errors import AudioFileError, ChannelError, ParameterError
from voxclean.stream import RingBuffer
from voxclean.stream import pcm


def test_ring_fifo_wraps_and_drops(rng):
    r = RingBuffer(10, 2)
    x = rng.standard_normal((2, 7)).astype(np.float32)
    assert r.write(x) == 7 and r.available == 7 and r.free == 3
    np.testing.assert_array_equal(r.read(5), x[:, :5])
    y = rng.standard_normal((2, 12)).astype(np.float32)
    assert r.write(y) == 8 and r.dropped == 4  # 2 left + 8 = full
    np.testing.assert_array_equal(r.read(2), x[:, 5:])
    assert r.read(9) is None  # never blocks
    out = np.empty((2, 8), np.float32)
    r.read(8, out=out)
    np.testing.assert_array_equal(out, y[:, :8])
    assert r.skip(5) == 0
    with pytest.raises(ChannelError):
        r.write(np.zeros((1, 3), np.float32))


def test_ring_one_writer_one_reader_threads(rng):
    r = RingBuffer(64, 1)
    data = np.arange(20000, dtype=np.float32)[None]
    got = []

    def reader():
        n = 0
        while n < data.shape[1]:
            b = r.read(16)
            if b is not None:
                got.append(b.copy())
                n += 16

    t = threading.Thread(target=reader)
    t.start()
    i = 0
    while i < data.shape[1]:
        i += r.write(data[:, i : i + 16])
    t.join(10)
    np.testing.assert_array_equal(np.concatenate(got, axis=1), data)


@pytest.mark.parametrize("fmt,tol", [("s16le", 1 / 32768), ("s24le", 2**-23), ("s32le", 2**-31), ("f32le", 0)])
def test_pcm_roundtrip_matches_soundfile(fmt, tol, rng):
    x = np.clip(0.5 * rng.standard_normal((2, 1000)), -1, 1).astype(np.float32)
    data = pcm.encode(x, fmt)
    assert len(data) == 2 * 1000 * pcm.bytes_per_sample(fmt)
    np.testing.assert_allclose(pcm.decode(data, fmt, 2), x, atol=tol + 1e-7)
    # the header we write for pipes is read by libsndfile, and ours reads libsndfile's
    hdr = pcm.wav_header(16000, 2, fmt, len(data))
    y, sr = sf.read(io.BytesIO(hdr + data), dtype="float32", always_2d=True)
    assert sr == 16000
    np.testing.assert_allclose(y.T, x, atol=tol + 1e-7)
    buf = io.BytesIO()
    sub = {"s16le": "PCM_16", "s24le": "PCM_24", "s32le": "PCM_32", "f32le": "FLOAT"}[fmt]
    sf.write(buf, x.T, 22050, subtype=sub, format="WAV")
    buf.seek(0)
    h = pcm.read_wav_header(buf)
    assert (h.sample_rate, h.channels, h.fmt) == (22050, 2, fmt)
    np.testing.assert_allclose(pcm.decode(buf.read(h.data_bytes), fmt, 2), x, atol=tol + 1e-7)


def test_pcm_decoder_split_anywhere_and_errors(rng):
    x = rng.uniform(-0.9, 0.9, (2, 300)).astype(np.float32)
    data = pcm.encode(x, "s24le")
    dec = pcm.PcmDecoder("s24le", 2)
    parts = [dec.push(data[i : i + 7]) for i in range(0, len(data), 7)]
    assert dec.pending_bytes == 0
    np.testing.assert_allclose(np.concatenate(parts, axis=1), x, atol=2**-23)
    with pytest.raises(ParameterError):
        pcm.decode(b"\x00\x01\x02", "s16le", 1)
    with pytest.raises(ParameterError):
        pcm.PcmDecoder("u8", 1)
    with pytest.raises(AudioFileError):
        pcm.read_wav_header(io.BytesIO(b"ID3\x03not a wav at all"))
    with pytest.raises(AudioFileError):
        pcm.read_wav_header(io.BytesIO(b"RIFF\x00\x00"))
    # streamed WAV: unknown length
    h = pcm.read_wav_header(io.BytesIO(pcm.wav_header(8000, 1, "s16le")))
    assert h.data_bytes is None and h.sample_rate == 8000
