"""Batch folders (-j, resume, log, summary), pipes (enhance - -) and live --simulate, end to end."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

import voxclean
from voxclean.cli.main import main
from voxclean.stream import pcm

from ..conftest import mix_at_snr


@pytest.fixture
def tree(tmp_path, speech, noises):
    src = tmp_path / "in"
    (src / "a" / "b").mkdir(parents=True)
    for i, (name, noise) in enumerate(sorted(noises.items())[:3]):
        y = mix_at_snr(speech[i * 8000 : i * 8000 + 16000], noise[:16000], 5.0)
        folder = src if i == 0 else src / "a" if i == 1 else src / "a" / "b"
        sf.write(folder / f"{name}.{'flac' if i == 2 else 'wav'}", y, 16000, subtype="PCM_16")
    (src / "a" / "broken.wav").write_bytes(b"RIFF....WAVEjunk")
    return src


def test_parallel_batch_resume_log_summary(tree, tmp_path, capsys):
    out = tmp_path / "out"
    log = tmp_path / "log.csv"
    assert main(["enhance", str(tree), "-o", str(out), "-j", "2", "--log", str(log)]) == 1  # one bad file
    err = capsys.readouterr().err
    assert "4 file(s): 3 enhanced, 0 skipped (output exists), 1 failed" in err
    assert "broken.wav" in err and "real time" in err and "RTF" in err
    made = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert made == ["a/b/street.flac", "a/keyboard.wav", "aircon.wav"]
    rows = list(csv.DictReader(log.open()))
    assert [r["status"] for r in rows].count("failed") == 1 and all(float(r["audio_s"]) == 1.0 for r in rows
                                                                   if r["status"] == "ok")
    # parallel output equals the offline enhancer
    y, _ = sf.read(out / "aircon.wav", dtype="float32")
    x, _ = sf.read(tree / "aircon.wav", dtype="float32")
    np.testing.assert_allclose(y, voxclean.enhance(x, 16000), atol=2 / 32768)

    # resume: a stale partial from a killed run is removed, completed outputs are skipped, a lost one redone
    (out / "a" / "keyboard.wav").unlink()
    stale = out / "a" / ".keyboard.wav.0badc0de.part"
    stale.write_bytes(b"half a file")
    before = (out / "aircon.wav").stat().st_mtime_ns
    js = tmp_path / "log.json"
    assert main(["enhance", str(tree), "-o", str(out), "-q", "--log", str(js)]) == 1
    summary = json.loads(js.read_text())["summary"]
    assert (summary["ok"], summary["skipped"], summary["failed"]) == (1, 2, 1)
    assert summary["failures"][0][0].endswith("broken.wav")
    assert (out / "aircon.wav").stat().st_mtime_ns == before and (out / "a" / "keyboard.wav").is_file()
    assert not list(out.rglob("*.part"))


def _run(args, data: bytes) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voxclean.cli.main", *args], input=data, capture_output=True,
                          timeout=60)


def test_pipe_wav_and_raw(noisy_speech):
    x = noisy_speech[:16000]
    buf = io.BytesIO()
    sf.write(buf, x, 16000, subtype="PCM_16", format="WAV")
    r = _run(["enhance", "-", "-", "-m", "wiener", "-q"], buf.getvalue())
    assert r.returncode == 0, r.stderr.decode()
    y, sr = sf.read(io.BytesIO(r.stdout), dtype="float32")
    xq, _ = sf.read(io.BytesIO(buf.getvalue()), dtype="float32")  # what the WAV holds
    ref = voxclean.enhance(xq, 16000, method="wiener")
    assert sr == 16000 and y.shape == x.shape
    np.testing.assert_allclose(y, ref, atol=2 / 32768)
    # raw float PCM in, raw out, 2 channels
    st = np.stack([x, 0.5 * x])
    r = _run(["enhance", "-", "-", "--rate", "16000", "--channels", "2", "--pcm", "f32le", "-q"], pcm.encode(st, "f32le"))
    assert r.returncode == 0, r.stderr.decode()
    got = pcm.decode(r.stdout, "f32le", 2)
    np.testing.assert_allclose(got, voxclean.enhance(st, 16000), atol=1e-5)
    # raw without a rate is a usage error
    r = _run(["enhance", "-", "-", "-q"], b"\x00" * 100)
    assert r.returncode == 2 and b"--rate" in r.stderr


def test_live_simulated_cli(tmp_path, noisy_speech):
    src = tmp_path / "mic.wav"
    sf.write(src, noisy_speech[:8000], 16000, subtype="FLOAT")
    rec, rep = tmp_path / "played.wav", tmp_path / "report.json"
    r = subprocess.run([sys.executable, "-m", "voxclean.cli.main", "live", "--simulate", str(src), "--record", str(rec),
                        "--report", str(rep), "-m", "gating+omlsa", "-q"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads(rep.read_text())
    assert report["algorithmic_ms"] == pytest.approx(32.0) and report["total_ms"] < 60
    assert "underruns" in r.stderr.decode() and "total" in r.stderr.decode()
    assert sf.info(rec).frames > 8000


def test_live_list_devices_without_sounddevice(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    assert main(["live", "--list-devices"]) == 2
    assert "voxclean[live]" in capsys.readouterr().err
