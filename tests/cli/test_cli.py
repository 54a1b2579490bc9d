"""End-to-end tests of the ``voxclean`` command on real speech and noise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxclean.cli.main import main


def _write(path: Path, y: np.ndarray, sr: int = 16000, subtype: str = "PCM_16") -> Path:
    sf.write(path, np.asarray(y).T, sr, subtype=subtype)
    return path


@pytest.fixture
def files(tmp_path, speech, noisy_speech):
    noisy = _write(tmp_path / "noisy.wav", np.stack([noisy_speech, 0.5 * noisy_speech]), subtype="PCM_24")
    clean = _write(tmp_path / "clean.wav", np.stack([speech, 0.5 * speech]))
    return noisy, clean


def test_enhance_keeps_rate_channels_subtype(files, tmp_path):
    noisy, _ = files
    out = tmp_path / "out.wav"
    assert main(["enhance", str(noisy), str(out), "-q"]) == 0
    info = sf.info(out)
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (16000, 2, "PCM_24", sf.info(noisy).frames)


def test_enhance_improves_score(files, tmp_path, capsys):
    noisy, clean = files
    out = tmp_path / "out.wav"
    assert main(["enhance", str(noisy), str(out), "-q", "-m", "mmse-lsa"]) == 0
    js_noisy, js_out = tmp_path / "n.json", tmp_path / "o.json"
    assert main(["score", "--ref", str(clean), "--est", str(noisy), "--metrics", "si_sdr,pesq", "--json", str(js_noisy)]) == 0
    assert main(["score", "--ref", str(clean), "--est", str(out), "--metrics", "si_sdr,pesq", "--json", str(js_out)]) == 0
    before, after = json.loads(js_noisy.read_text())[0], json.loads(js_out.read_text())[0]
    assert after["si_sdr"] > before["si_sdr"] + 2.0
    assert after["pesq"] > before["pesq"]


def test_default_output_name_and_refusals(files, tmp_path):
    noisy, _ = files
    assert main(["enhance", str(noisy), "-q"]) == 0
    assert (tmp_path / "noisy.clean.wav").is_file()
    # an existing output is not replaced without --overwrite
    assert main(["enhance", str(noisy), "-q"]) == 1
    assert main(["enhance", str(noisy), "-q", "--overwrite"]) == 0


def test_output_equal_to_input_is_refused(files):
    noisy, _ = files
    before = noisy.read_bytes()
    assert main(["enhance", str(noisy), str(noisy), "-q"]) == 1
    assert noisy.read_bytes() == before
    assert main(["enhance", str(noisy), str(noisy), "-q", "--in-place"]) == 0
    assert noisy.read_bytes() != before


def test_folder_mirrors_tree_and_one_bad_file_fails_alone(tmp_path, noisy_speech):
    src = tmp_path / "in"
    (src / "a" / "b").mkdir(parents=True)
    _write(src / "x.wav", noisy_speech)
    _write(src / "a" / "b" / "y.flac", noisy_speech[:8000])
    (src / "a" / "bad.wav").write_bytes(b"RIFF\x00\x00garbage" * 10)
    out = tmp_path / "out"
    assert main(["enhance", str(src), "-o", str(out), "-q"]) == 1
    assert (out / "x.wav").is_file() and (out / "a" / "b" / "y.flac").is_file()
    assert not (out / "a" / "bad.wav").exists()
    assert not [p for p in out.rglob("*.part")]


@pytest.mark.parametrize(
    "content",
    [b"", b"not audio at all" * 100, None],  # empty, garbage, truncated (None: built below)
    ids=["empty", "garbage", "truncated-flac"],
)
def test_bad_input_files(tmp_path, noisy_speech, content, capsys):
    if content is None:
        good = _write(tmp_path / "good.flac", noisy_speech)
        content = good.read_bytes()[: len(good.read_bytes()) // 3]
    bad = tmp_path / ("bad.flac" if content and content[:4] == b"fLaC" else "bad.wav")
    bad.write_bytes(content)
    out = tmp_path / "out.wav"
    code = main(["enhance", str(bad), str(out), "-q"])
    assert code in (0, 1)
    err = capsys.readouterr().err
    if code == 1:
        assert "error" in err and "Traceback" not in err
        assert not out.exists()
    assert not [p for p in tmp_path.glob(".*.part")]


def test_nan_in_float_file_is_an_error_and_leaves_no_output(tmp_path, noisy_speech, capsys):
    y = noisy_speech.copy()
    y[20000] = np.nan
    bad = _write(tmp_path / "nan.wav", y, subtype="FLOAT")
    out = tmp_path / "out.wav"
    assert main(["enhance", str(bad), str(out), "-q"]) == 1
    assert "non-finite" in capsys.readouterr().err
    assert not out.exists()


def test_unsupported_format_and_missing_input(tmp_path, capsys):
    weird = tmp_path / "x.xyz"
    weird.write_bytes(b"\x00\x01garbage" * 50)
    assert main(["enhance", str(weird), str(tmp_path / "o.wav"), "-q"]) == 1
    assert main(["enhance", str(tmp_path / "missing.wav"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_one_sample_and_zero_frame_files(tmp_path):
    one = _write(tmp_path / "one.wav", np.array([0.25], np.float32))
    assert main(["enhance", str(one), str(tmp_path / "o1.wav"), "-q"]) == 0
    assert sf.info(tmp_path / "o1.wav").frames == 1
    empty = _write(tmp_path / "empty.wav", np.zeros(0, np.float32))
    assert main(["enhance", str(empty), str(tmp_path / "o0.wav"), "-q"]) == 0
    assert sf.info(tmp_path / "o0.wav").frames == 0


def test_other_rates_and_noise_clip(tmp_path, noisy_speech, noises):
    import soxr

    y = soxr.resample(noisy_speech, 16000, 44100)
    src = _write(tmp_path / "hi.flac", y, sr=44100)
    clip = _write(tmp_path / "clip.wav", noises["aircon"][:16000])
    clip_args = ["--noise-clip", str(clip), "-s", "15", "-m", "mmse-lsa"]
    assert main(["enhance", str(src), str(tmp_path / "o.flac"), "-q", *clip_args]) == 0
    assert sf.info(tmp_path / "o.flac").samplerate == 44100
    assert main(["enhance", str(src), str(tmp_path / "r.flac"), "-q", "--noise-range", "0:0.5", "-m", "wiener"]) == 0
    assert main(["enhance", str(src), str(tmp_path / "d.flac"), "-q"]) == 0  # default method at 44.1 kHz
    assert sf.info(tmp_path / "d.flac").frames == sf.info(src).frames


def test_noise_clip_with_a_method_that_cannot_use_it(tmp_path, noisy_speech, noises, capsys):
    src = _write(tmp_path / "x.wav", noisy_speech)
    clip = _write(tmp_path / "clip.wav", noises["aircon"][:16000])
    assert main(["enhance", str(src), str(tmp_path / "o.wav"), "-q", "-m", "neural", "--noise-clip", str(clip)]) == 1
    assert "noise clip" in capsys.readouterr().err
    assert not (tmp_path / "o.wav").exists()


def test_bad_arguments_exit_2(files, capsys):
    noisy, _ = files
    assert main(["enhance", str(noisy), "-q", "-m", "no-such-method"]) in (1, 2)
    with pytest.raises(SystemExit) as exc:
        main(["enhance", str(noisy), "--strength", "loud"])
    assert exc.value.code == 2
    assert "strength" in capsys.readouterr().err


def test_methods_lists_every_method(capsys):
    import voxclean

    assert main(["methods"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == voxclean.list_methods()
    assert all("latency=" in ln for ln in lines)


def test_score_wrong_rate_is_a_clear_error(tmp_path, speech, capsys):
    ref = _write(tmp_path / "r.wav", speech[:4000], sr=4000)
    assert main(["score", "--ref", str(ref), "--est", str(ref), "--metrics", "pesq"]) == 1
    assert "rate" in capsys.readouterr().err.lower()


def test_console_script_runs(files, tmp_path):
    noisy, _ = files
    out = tmp_path / "cli.wav"
    proc = subprocess.run([sys.executable, "-m", "voxclean.cli.main", "enhance", str(noisy), str(out), "-q"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()


def test_live_defaults_to_the_low_latency_model(tmp_path, noisy_speech):
    """`voxclean live` (simulated device, 10 ms blocks) runs the 10 ms neural model: 30 ms end to end."""
    noisy = _write(tmp_path / "noisy.wav", noisy_speech[:8000])
    report, played = tmp_path / "report.json", tmp_path / "played.wav"
    assert main(["live", "--simulate", str(noisy), "--record", str(played), "--report", str(report), "-b", "160"]) == 0
    rep = json.loads(report.read_text())
    assert rep["algorithmic_ms"] == pytest.approx(10.0)
    assert rep["total_ms"] == pytest.approx(rep["algorithmic_ms"] + rep["buffering_ms"])
    assert rep["total_ms"] <= 30.0 + 1e-9
    assert np.isfinite(sf.read(played)[0]).all()
