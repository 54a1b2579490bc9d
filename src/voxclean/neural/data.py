"""On-the-fly training mixtures from the TRAIN split of ``../shared/data`` (numpy only).

Only rows of ``manifest.csv`` with ``split == "train"`` are read: the dev speakers,
dev noise files and dev RIRs are never seen. A small validation part is carved out
of the train split itself: every :data:`VALID_SPEAKER_EVERY`-th training speaker
(sorted ids) and the last :data:`VALID_NOISE_FRACTION` of every training noise file.

Each example (:meth:`MixtureSampler.example`) is drawn from a generator seeded by
``(seed, index)``, so batch ``k`` is the same whatever came before it (exact resume):

1. speech: a random crop of a random utterance (short ones are placed at a random
   offset in silence);
2. reverberation (probability ``reverb_prob``): convolution with a random training
   RIR. **The target keeps the direct path plus 50 ms of early reflections**
   (:data:`EARLY_MS`, the same convention as the dev set in ``benchmarks/devset.py``):
   the model is asked to remove late reverberation, not the room colouration
   that listeners do not hear as reverb;
3. noise: a random crop of a training noise file, or (probability ``babble_prob``)
   synthetic babble, 3-7 utterances of other training speakers summed; sometimes a
   second noise source is added;
4. SNR uniform in ``snr_db`` (active speech power over noise power);
5. level: the mixture RMS is set uniform in ``level_dbfs`` (the target gets the
   same gain);
6. band-limiting (probability ``bandlimit_prob``): mixture and target low-passed at
   a random cutoff 3.4-7 kHz (an 8th-order Butterworth applied to both);
7. clipping (probability ``clip_prob``): the mixture (not the target) is clipped
   at a quantile of its magnitude.

Three augmentations of :mod:`voxclean.neural.augment` are off by default (the
first 15000 steps of the shipped model were trained without them):
``speech_eq_prob`` colours speech and target alike with a random equaliser (before
step 2), ``synth_noise_prob`` adds synthetic noise (coloured, hum or clicks) to the
noise of step 3 or, half of those times, replaces it, and ``noise_eq_prob`` colours
the noise with a random equaliser (after step 3). A probability of 0 draws nothing
from the generator, so turning them off gives exactly the examples of before.
``keystroke_prob`` (sixth session, off by default) then replaces the noise by typing
built from recorded key strokes (:func:`~voxclean.neural.augment.keystroke_noise`)
or, half of those times, adds it 5 dB below to 10 dB above the noise; the strokes
come from a folder outside ``../shared`` (``TrainCorpus.load(keystroke_dir=...)``)
and are used for training examples only, never for validation. ``extra_noise_prob``
(seventh session, off by default) draws the recorded noise of step 3 from a folder of
extra noise recordings outside ``../shared`` (``TrainCorpus.load(extra_noise_dir=...)``;
training examples only) instead of the training noise files, with that probability.
``clean_targets`` (stage 12, off by default) keeps the mixture and makes the target
from a copy of the utterance whose own recording noise floor was lowered
(:mod:`voxclean.neural.targets`; ``TrainCorpus.load(clean_targets=True)``; training
examples only, validation keeps the recordings as they are).

FSDD digits (8 kHz recordings) are not used: they would teach the model that
speech has no energy above 4 kHz.
"""

from __future__ import annotations

import csv
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile as sf

from ..dsp.stft import Stft
from ..io import load
from .augment import apply_eq, keystroke_noise, random_eq, synthetic_noise
from .features import N_FEATURES, SAMPLE_RATE, make_stft, signal_features, signal_phase_advance
from .targets import reduce_noise_floor

__all__ = ["EARLY_MS", "Batch", "MixConfig", "MixtureSampler", "TrainCorpus", "data_dir", "load_extra_noise",
           "load_keystrokes"]

#: Early reflections kept in the target of a reverberant example (ms after the direct path).
EARLY_MS = 50.0
#: Every n-th training speaker (sorted ids) goes to the validation part.
VALID_SPEAKER_EVERY = 25
#: Tail fraction of every training noise file kept for validation.
VALID_NOISE_FRACTION = 0.2
#: Speech sources not used for training (see the module docstring).
EXCLUDED_SPEECH_SOURCES = ("fsdd_digits",)


def data_dir() -> Path:
    """``$VOXCLEAN_DATA`` or ``shared/data`` beside the repository checkout."""
    env = os.environ.get("VOXCLEAN_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def _read_mono(path: Path) -> np.ndarray:
    y, sr = sf.read(path, dtype="float32", always_2d=True)
    if sr != SAMPLE_RATE:
        raise ValueError(f"{path}: sr={sr}, expected {SAMPLE_RATE}")
    return y[:, 0]


def _to_int16(y: np.ndarray) -> np.ndarray:
    return np.clip(np.round(y * 32767.0), -32768, 32767).astype(np.int16)


@dataclass
class TrainCorpus:
    """Decoded training audio (int16 in memory to halve the footprint).

    Attributes
    ----------
    speech : dict[str, list[np.ndarray]]
        ``split -> utterances``, split ``"train"`` or ``"valid"``.
    speakers : dict[str, list[str]]
        Speaker of every utterance (for babble from *other* speakers).
    noise : dict[str, list[np.ndarray]]
        ``split -> noise recordings`` (train: head of every file, valid: tail).
    rirs : list[np.ndarray]
        Training RIRs (float32, first channel, peak-normalized).
    summary : dict
        Counts and durations (stored in the model metadata).
    keyboards : list[list[np.ndarray]]
        Recorded key strokes, one list per keyboard (float32, 16 kHz, peak-normalized);
        empty unless ``keystroke_dir`` was given to :meth:`load`. Training part only.
    extra_noise : list[np.ndarray]
        Extra noise recordings (int16, 16 kHz), empty unless ``extra_noise_dir`` was
        given to :meth:`load`. Training part only.
    targets : dict[str, list[np.ndarray]]
        ``split -> utterances`` with their recording noise floor lowered
        (:func:`~voxclean.neural.targets.reduce_noise_floor`; int16, aligned with
        :attr:`speech`), for :attr:`MixConfig.clean_targets`. Empty unless
        ``clean_targets`` was given to :meth:`load`; training part only.
    """

    speech: dict[str, list[np.ndarray]]
    speakers: dict[str, list[str]]
    noise: dict[str, list[np.ndarray]]
    rirs: list[np.ndarray]
    summary: dict = field(default_factory=dict)
    keyboards: list[list[np.ndarray]] = field(default_factory=list)
    extra_noise: list[np.ndarray] = field(default_factory=list)
    targets: dict[str, list[np.ndarray]] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        root: Path | None = None,
        *,
        max_speech_files: int | None = None,
        seed: int = 0,
        keystroke_dir: Path | None = None,
        extra_noise_dir: Path | None = None,
        clean_targets: bool = False,
    ) -> TrainCorpus:
        """Read the train split of ``manifest.csv``.

        Parameters
        ----------
        root : Path or None
            Data folder; ``None`` means :func:`data_dir`.
        max_speech_files : int or None
            Use a seeded random subset of this many speech files (for tests).
        seed : int
            Seed of that subset.
        keystroke_dir : Path or None
            A folder of recorded key strokes, one sub-folder per keyboard (any depth
            below it; any format soundfile reads, any rate), e.g. the ``src/assets/audio``
            folder of https://github.com/tplai/kbsim (MIT licence; 151 strokes of 13
            keyboards). Not part of ``../shared``; see ``recipes/neural/README.md``.
        extra_noise_dir : Path or None
            A folder of extra noise recordings (any depth, any format soundfile reads,
            any rate; mono mixdown), for :attr:`MixConfig.extra_noise_prob`. Not part of
            ``../shared``; see ``recipes/neural/README.md``.
        clean_targets : bool
            Also keep every training utterance with its recording noise floor lowered
            (:attr:`targets`; several minutes of one CPU core for the 5.5 h of training speech).
        """
        root = Path(root) if root is not None else data_dir()
        keyboards = load_keystrokes(Path(keystroke_dir)) if keystroke_dir is not None else []  # fail fast
        extra = load_extra_noise(Path(extra_noise_dir)) if extra_noise_dir is not None else []
        with open(root / "manifest.csv", newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["split"] == "train"]
        speech_rows = [
            r for r in rows if r["kind"] == "speech" and r["source"] not in EXCLUDED_SPEECH_SOURCES
        ]
        if max_speech_files is not None and max_speech_files < len(speech_rows):
            pick = np.random.default_rng(seed).choice(len(speech_rows), max_speech_files, replace=False)
            speech_rows = [speech_rows[i] for i in sorted(pick)]
        speaker_ids = sorted({r["source"] + "/" + r["speaker"] for r in speech_rows})
        valid_speakers = set(speaker_ids[::VALID_SPEAKER_EVERY])
        speech: dict[str, list[np.ndarray]] = {"train": [], "valid": []}
        speakers: dict[str, list[str]] = {"train": [], "valid": []}
        for r in speech_rows:
            spk = r["source"] + "/" + r["speaker"]
            part = "valid" if spk in valid_speakers else "train"
            speech[part].append(_to_int16(_read_mono(root / r["path"])))
            speakers[part].append(spk)
        noise: dict[str, list[np.ndarray]] = {"train": [], "valid": []}
        for r in rows:
            if r["kind"] != "noise":
                continue
            y = _read_mono(root / r["path"])
            cut = int(len(y) * (1.0 - VALID_NOISE_FRACTION))
            noise["train"].append(_to_int16(y[:cut]))
            noise["valid"].append(_to_int16(y[cut:]))
        rirs = []
        for r in rows:
            if r["kind"] != "rir":
                continue
            h = _read_mono(root / r["path"]).astype(np.float64)
            rirs.append((h / (np.abs(h).max() + 1e-12)).astype(np.float32))
        summary = {
            "split": "train (manifest.csv split == train); validation = every "
            f"{VALID_SPEAKER_EVERY}th train speaker + last {VALID_NOISE_FRACTION:.0%} of each train noise file",
            "speech_train_h": round(sum(len(s) for s in speech["train"]) / SAMPLE_RATE / 3600, 3),
            "speech_valid_h": round(sum(len(s) for s in speech["valid"]) / SAMPLE_RATE / 3600, 3),
            "speech_files": len(speech_rows),
            "speakers": len(speaker_ids),
            "noise_files": len(noise["train"]),
            "noise_train_h": round(sum(len(s) for s in noise["train"]) / SAMPLE_RATE / 3600, 3),
            "rirs": len(rirs),
            "excluded_speech": list(EXCLUDED_SPEECH_SOURCES),
        }
        if keyboards:
            summary["keystrokes"] = {
                "folder": str(keystroke_dir),
                "keyboards": len(keyboards),
                "strokes": sum(len(k) for k in keyboards),
            }
        if extra:
            summary["extra_noise"] = {
                "folder": str(extra_noise_dir),
                "files": len(extra),
                "hours": round(sum(len(y) for y in extra) / SAMPLE_RATE / 3600, 3),
            }
        targets: dict[str, list[np.ndarray]] = {}
        if clean_targets:
            targets["train"], summary["clean_targets"] = _lowered_floor_targets(speech["train"])
        return cls(speech, speakers, noise, rirs, summary, keyboards, [_to_int16(y) for y in extra], targets)

    def save_pack(
        self,
        path: str | Path,
        *,
        max_utterance_s: float | None = None,
        speech_level: float = 0.92,
        noise_level: float = 0.88,
    ) -> dict:
        """Write the corpus to one file of Ogg/Opus streams (for training on another machine).

        The decoded corpus is about 0.7 GB of int16 (the FLAC files about 0.2 GB);
        a pack holds it, lossy, in a few tens of MB. RIRs and key strokes are stored
        as float16 (peak 1, so about 1e-3 relative precision).

        Parameters
        ----------
        path : str or Path
            Output file (a pickle; read it back with :meth:`load_pack`).
        max_utterance_s : float or None
            Keep at most this many seconds of every utterance (its start), to keep
            every speaker and utterance in a smaller pack. ``None`` keeps all.
        speech_level, noise_level : float
            soundfile's Opus ``compression_level`` (0 best .. 1 smallest): 0.92 is
            about 26 kbit/s (PESQ-WB 4.46 against the original on LibriSpeech),
            0.88 about 36 kbit/s (4.54).

        Returns
        -------
        dict
            Sizes: ``{"bytes", "speech_h", "noise_h"}``.
        """
        import io
        import pickle

        def opus(y: np.ndarray, level: float) -> bytes:
            buf = io.BytesIO()
            sf.write(buf, y, SAMPLE_RATE, format="OGG", subtype="OPUS", compression_level=level)
            return buf.getvalue()

        cap = None if max_utterance_s is None else int(max_utterance_s * SAMPLE_RATE)
        speech = {k: [opus(u[:cap], speech_level) for u in v] for k, v in self.speech.items()}
        noise = {k: [opus(u, noise_level) for u in v] for k, v in self.noise.items()}
        summary = dict(self.summary)
        if cap is not None:
            for part, utts in self.speech.items():
                summary[f"speech_{part}_h"] = round(sum(min(len(u), cap) for u in utts) / SAMPLE_RATE / 3600, 3)
        summary["pack"] = {
            "codec": "opus",
            "speech_compression_level": speech_level,
            "noise_compression_level": noise_level,
            "max_utterance_s": max_utterance_s,
        }
        data = {
            "format": 1,
            "speech": speech,
            "speakers": self.speakers,
            "noise": noise,
            "rirs": [h.astype(np.float16) for h in self.rirs],
            "keyboards": [[k.astype(np.float16) for k in board] for board in self.keyboards],
            "extra_noise": [opus(u, noise_level) for u in self.extra_noise],
            "summary": summary,
        }
        with open(path, "wb") as f:
            pickle.dump(data, f, protocol=5)
        return {"bytes": Path(path).stat().st_size, "speech_h": summary["speech_train_h"], "noise_h": summary["noise_train_h"]}

    @classmethod
    def load_pack(cls, path: str | Path, *, workers: int = 1, clean_targets: bool = False) -> TrainCorpus:
        """Read a pack written by :meth:`save_pack` (decoding on ``workers`` processes).

        With ``clean_targets``, the targets with a lowered recording floor (:attr:`targets`)
        are made from the decoded training speech, as :meth:`load` makes them, on
        ``workers`` processes.
        """
        import pickle
        from concurrent.futures import ProcessPoolExecutor

        with open(path, "rb") as f:
            data = pickle.load(f)
        if data.get("format") != 1:
            raise ValueError(f"{path}: not a training-corpus pack (format {data.get('format')!r})")
        groups = {("speech", part): v for part, v in data["speech"].items()}
        groups |= {("noise", part): v for part, v in data["noise"].items()}
        groups["extra", "train"] = data.get("extra_noise", [])
        blobs = [b for v in groups.values() for b in v]
        if workers > 1:
            with ProcessPoolExecutor(workers) as ex:
                decoded = iter(list(ex.map(_decode_opus, blobs, chunksize=16)))
        else:
            decoded = map(_decode_opus, blobs)
        out = {key: [next(decoded) for _ in v] for key, v in groups.items()}
        speech = {part: out["speech", part] for part in data["speech"]}
        noise = {part: out["noise", part] for part in data["noise"]}
        rirs = [h.astype(np.float32) for h in data["rirs"]]
        keyboards = [[k.astype(np.float32) for k in board] for board in data["keyboards"]]
        summary = dict(data["summary"])
        targets: dict[str, list[np.ndarray]] = {}
        if clean_targets:
            targets["train"], summary["clean_targets"] = _lowered_floor_targets(speech["train"], workers=workers)
        return cls(speech, data["speakers"], noise, rirs, summary, keyboards, out["extra", "train"], targets)


def _lowered_floor_targets(utterances: list[np.ndarray], *, workers: int = 1) -> tuple[list[np.ndarray], dict]:
    """Every utterance (int16) with its recording floor lowered, and a summary (see :meth:`TrainCorpus.load`).

    An utterance that :func:`~voxclean.neural.targets.reduce_noise_floor` leaves unchanged
    is the same array object in the output.
    """
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as ex:
            cleaned = list(ex.map(_lower_floor_int16, utterances, chunksize=8))
    else:
        cleaned = [_lower_floor_int16(u) for u in utterances]
    targets = [y if y is not None else u for y, u in zip(cleaned, utterances)]
    summary = {
        "method": "mmse-lsa, 20 dB limit (voxclean.neural.targets.reduce_noise_floor)",
        "changed": sum(y is not None for y in cleaned),
        "unchanged": sum(y is None for y in cleaned),
    }
    return targets, summary


def _lower_floor_int16(u: np.ndarray) -> np.ndarray | None:
    """One int16 utterance with its floor lowered, or None where it is kept as it is."""
    y, changed = reduce_noise_floor(u.astype(np.float32) / 32768.0)
    return _to_int16(y) if changed else None


def _decode_opus(blob: bytes) -> np.ndarray:
    """One stream of a pack as int16 (at :data:`SAMPLE_RATE`)."""
    import io

    y, sr = sf.read(io.BytesIO(blob), dtype="float32")
    if sr != SAMPLE_RATE:
        raise ValueError(f"pack stream at {sr} Hz, expected {SAMPLE_RATE}")
    return _to_int16(y)


#: File types :func:`load_keystrokes` reads.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3")


def _recordings(folder: Path, dtype: type) -> list[np.ndarray]:
    """Every recording below ``folder`` (sorted by path; :data:`AUDIO_SUFFIXES`), mono at 16 kHz, all-zero ones left out."""
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
        y = load(path, sr=SAMPLE_RATE, mono=True, dtype=dtype)[0][0]
        if y.size and np.any(y):
            out.append(y)
    return out


def load_keystrokes(folder: Path) -> list[list[np.ndarray]]:
    """Recorded key strokes of ``folder``, grouped by its sub-folders (one per keyboard).

    Parameters
    ----------
    folder : Path
        ``folder/<keyboard>/**/<stroke>.<ext>``; ``ext`` one of :data:`AUDIO_SUFFIXES`.

    Returns
    -------
    list[list[np.ndarray]]
        Per keyboard (sorted by name), its strokes (sorted by path): mono float32 at
        16 kHz, peak 1.

    Raises
    ------
    FileNotFoundError
        When ``folder`` is missing or holds no stroke.
    """
    if not folder.is_dir():
        raise FileNotFoundError(
            f"keystroke folder {folder} not found; get it with "
            "'git clone --depth 1 https://github.com/tplai/kbsim /tmp/kbsim && "
            f"cp -r /tmp/kbsim/src/assets/audio {folder}'"
        )
    keyboards = []
    for board in sorted(p for p in folder.iterdir() if p.is_dir()):
        strokes = [(y / np.abs(y).max()).astype(np.float32) for y in _recordings(board, np.float64)]
        if strokes:
            keyboards.append(strokes)
    if not keyboards:
        raise FileNotFoundError(f"no key strokes ({', '.join(AUDIO_SUFFIXES)}) in sub-folders of {folder}")
    return keyboards


def load_extra_noise(folder: Path) -> list[np.ndarray]:
    """Every recording below ``folder`` (sorted by path) as mono float32 at 16 kHz.

    Raises
    ------
    FileNotFoundError
        When ``folder`` is missing or holds no recording.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"extra noise folder {folder} not found (see recipes/neural/README.md, 'Stage 8')")
    out = [np.ascontiguousarray(y) for y in _recordings(folder, np.float32)]
    if not out:
        raise FileNotFoundError(f"no recordings ({', '.join(AUDIO_SUFFIXES)}) below {folder}")
    return out


@dataclass(frozen=True)
class MixConfig:
    """Mixing settings (see the module docstring)."""

    segment_s: float = 3.0
    snr_db: tuple[float, float] = (-5.0, 25.0)
    level_dbfs: tuple[float, float] = (-40.0, -10.0)
    reverb_prob: float = 0.3
    babble_prob: float = 0.15
    second_noise_prob: float = 0.2
    bandlimit_prob: float = 0.1
    clip_prob: float = 0.05
    speech_eq_prob: float = 0.0
    synth_noise_prob: float = 0.0
    noise_eq_prob: float = 0.0
    keystroke_prob: float = 0.0
    extra_noise_prob: float = 0.0
    clean_targets: bool = False

    def without_augmentation(self) -> MixConfig:
        """This config with the :mod:`~voxclean.neural.augment` augmentations off."""
        return replace(
            self, speech_eq_prob=0.0, synth_noise_prob=0.0, noise_eq_prob=0.0, keystroke_prob=0.0, extra_noise_prob=0.0
        )

    def without_keystrokes(self) -> MixConfig:
        """This config with recorded typing (``keystroke_prob``) and extra noise (``extra_noise_prob``) off."""
        return replace(self, keystroke_prob=0.0, extra_noise_prob=0.0)

    def without_extra_noise(self) -> MixConfig:
        """This config with the extra noise recordings (``extra_noise_prob``) off."""
        return replace(self, extra_noise_prob=0.0)


@dataclass
class Batch:
    """A batch of examples on the model's frame grid.

    Attributes
    ----------
    features : np.ndarray [shape=(B, T, N_FEATURES)], float32
    floor_features : np.ndarray [shape=(B, T, N_BINS)], float32
        The noise-floor block of the features (:func:`~voxclean.neural.features.signal_features`
        with ``noise_floor``), appended for a model that reads it.
    noisy_spec, clean_spec : np.ndarray [shape=(B, T, N_BINS)], complex64
    phase : np.ndarray [shape=(B, T, N_BINS)], complex64
        Phase advance of the noisy spectrum (:func:`~voxclean.neural.features.signal_phase_advance`),
        the input of a deep-filter head.
    noisy, clean : np.ndarray [shape=(B, samples)], float32
    """

    features: np.ndarray
    floor_features: np.ndarray
    noisy_spec: np.ndarray
    clean_spec: np.ndarray
    phase: np.ndarray
    noisy: np.ndarray
    clean: np.ndarray


def _active_power(x: np.ndarray, frame: int = 320) -> float:
    n = len(x) // frame
    if n == 0:
        return float(np.mean(x.astype(np.float64) ** 2))
    p = np.mean(x[: n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1)
    active = p[p > p.max() * 1e-4]
    return float(active.mean()) if active.size else 0.0


def _crop(y: np.ndarray, n: int, rng: np.random.Generator, *, loop: bool) -> np.ndarray:
    """``n`` samples of int16 ``y`` (along its last axis; rows are cropped alike), as float32."""
    y = y.astype(np.float32) / 32768.0
    size = y.shape[-1]
    if size >= n:
        start = int(rng.integers(0, size - n + 1))
        return y[..., start : start + n].copy()
    if loop:
        reps = -(-n // size) + 1
        y = np.tile(y, reps)
        start = int(rng.integers(0, y.shape[-1] - n + 1))
        return y[..., start : start + n].copy()
    out = np.zeros(y.shape[:-1] + (n,), np.float32)
    start = int(rng.integers(0, n - size + 1))
    out[..., start : start + size] = y
    return out


def _replace_or_add(
    rng: np.random.Generator, noise: np.ndarray, extra: np.ndarray, gain_db: tuple[float, float]
) -> np.ndarray:
    """``extra`` (unit RMS) instead of ``noise``, or half of the times added to it.

    Added, ``extra`` is scaled to ``noise``'s RMS times a gain uniform in ``gain_db`` dB.
    """
    if rng.random() < 0.5:
        return extra
    rms_n = float(np.sqrt(np.mean(noise.astype(np.float64) ** 2)))
    return noise + extra * np.float32(rms_n * 10 ** (rng.uniform(*gain_db) / 20))


class MixtureSampler:
    """Deterministic on-the-fly mixtures.

    Parameters
    ----------
    corpus : TrainCorpus
    part : {"train", "valid"}
    config : MixConfig
    seed : int
        Example ``i`` is drawn from ``np.random.default_rng([seed, part_id, i])``.
    """

    def __init__(self, corpus: TrainCorpus, part: str = "train", config: MixConfig | None = None, *, seed: int = 0):
        if part not in ("train", "valid"):
            raise ValueError(f"part={part!r} must be 'train' or 'valid'")
        self.corpus = corpus
        self.part = part
        self.config = config or MixConfig()
        self.seed = int(seed)
        self.n_samples = int(round(self.config.segment_s * SAMPLE_RATE / 160)) * 160
        self.stft: Stft = make_stft()
        self._part_id = zlib.crc32(part.encode())
        if not corpus.speech[part] or not corpus.noise[part]:
            raise ValueError(f"no speech or noise in part={part!r}")
        if self.config.extra_noise_prob > 0 and not corpus.extra_noise:
            raise ValueError("extra_noise_prob > 0 but the corpus has no extra noise (TrainCorpus.load(extra_noise_dir=...))")
        self._targets = corpus.targets.get(part) if self.config.clean_targets else None
        if self.config.clean_targets and part == "train" and self._targets is None:
            raise ValueError("clean_targets is set but the corpus has none (TrainCorpus.load(clean_targets=True))")

    def example(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(noisy, clean_target)``, float32 ``[shape=(samples,)]``."""
        cfg = self.config
        rng = np.random.default_rng([self.seed, self._part_id, int(index)])
        n = self.n_samples
        utts = self.corpus.speech[self.part]
        spk = self.corpus.speakers[self.part]
        i = int(rng.integers(len(utts)))
        if self._targets is None:
            speech = _crop(utts[i], n, rng, loop=False)
            target = speech
        else:  # the same crop of the utterance and of its cleaned copy
            speech, target = _crop(np.stack([utts[i], self._targets[i]]), n, rng, loop=False)
        if cfg.speech_eq_prob > 0 and rng.random() < cfg.speech_eq_prob:
            eq = random_eq(rng, SAMPLE_RATE, max_gain_db=6.0)
            speech = apply_eq(eq, speech)
            target = speech if self._targets is None else apply_eq(eq, target)
        if self.corpus.rirs and rng.random() < cfg.reverb_prob:
            h = self.corpus.rirs[int(rng.integers(len(self.corpus.rirs)))]
            d = int(np.argmax(np.abs(h)))
            early = h[: d + int(EARLY_MS * SAMPLE_RATE / 1000)].copy()
            fade = min(len(early) - d, 80)
            if fade > 0:
                early[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
            speech = scipy.signal.fftconvolve(speech, h)[d : d + n].astype(np.float32)
            target = scipy.signal.fftconvolve(target, early)[d : d + n].astype(np.float32)
        noise = self._noise(rng, n, exclude_speaker=spk[i])
        if rng.random() < cfg.second_noise_prob:
            other = self._noise(rng, n, exclude_speaker=spk[i])
            noise = noise + other * np.float32(10 ** (rng.uniform(-10, 0) / 20))
        if cfg.synth_noise_prob > 0 and rng.random() < cfg.synth_noise_prob:
            noise = _replace_or_add(rng, noise, synthetic_noise(rng, n, SAMPLE_RATE), (-10.0, 5.0))
        if cfg.noise_eq_prob > 0 and rng.random() < cfg.noise_eq_prob:
            noise = apply_eq(random_eq(rng, SAMPLE_RATE), noise)
        if cfg.keystroke_prob > 0 and rng.random() < cfg.keystroke_prob:
            boards = self.corpus.keyboards
            if not boards:
                raise ValueError("keystroke_prob > 0 but the corpus has no key strokes (TrainCorpus.load(keystroke_dir=...))")
            keys = keystroke_noise(rng, n, SAMPLE_RATE, boards[int(rng.integers(len(boards)))], self.corpus.rirs)
            noise = _replace_or_add(rng, noise, keys, (-5.0, 10.0))
        p_s = _active_power(speech)
        p_n = float(np.mean(noise.astype(np.float64) ** 2))
        snr = rng.uniform(*cfg.snr_db)
        if p_s > 0 and p_n > 0:
            noise = noise * np.float32(np.sqrt(p_s / (p_n * 10 ** (snr / 10))))
        noisy = speech + noise
        rms = float(np.sqrt(np.mean(noisy.astype(np.float64) ** 2)))
        if rms > 0:
            g = np.float32(10 ** (rng.uniform(*cfg.level_dbfs) / 20) / rms)
            noisy, target = noisy * g, target * g
        if rng.random() < cfg.bandlimit_prob:
            cutoff = rng.uniform(3400.0, 7000.0)
            sos = scipy.signal.butter(8, cutoff, fs=SAMPLE_RATE, output="sos")
            noisy = scipy.signal.sosfilt(sos, noisy).astype(np.float32)
            target = scipy.signal.sosfilt(sos, target).astype(np.float32)
        if rng.random() < cfg.clip_prob:
            th = float(np.quantile(np.abs(noisy), rng.uniform(0.95, 0.995)))
            if th > 0:
                noisy = np.clip(noisy, -th, th)
        return noisy.astype(np.float32), target.astype(np.float32)

    def _noise(self, rng: np.random.Generator, n: int, *, exclude_speaker: str) -> np.ndarray:
        if rng.random() < self.config.babble_prob:
            utts = self.corpus.speech[self.part]
            spk = self.corpus.speakers[self.part]
            out = np.zeros(n, np.float32)
            for _ in range(int(rng.integers(3, 8))):
                for _try in range(10):
                    j = int(rng.integers(len(utts)))
                    if spk[j] != exclude_speaker:
                        break
                u = _crop(utts[j], n, rng, loop=True)
                out += u / np.float32(np.sqrt(_active_power(u)) + 1e-6) * np.float32(10 ** (rng.uniform(-6, 0) / 20))
            return out
        noises = self.corpus.noise[self.part]
        p_extra = self.config.extra_noise_prob
        if p_extra > 0 and rng.random() < p_extra and self.part == "train":
            noises = self.corpus.extra_noise
        return _crop(noises[int(rng.integers(len(noises)))], n, rng, loop=True)

    def batch(self, indices: Sequence[int]) -> Batch:
        """Examples ``indices`` with their spectra and features."""
        pairs = [self.example(i) for i in indices]
        noisy = np.stack([p[0] for p in pairs])
        clean = np.stack([p[1] for p in pairs])
        noisy_spec = self.stft.stft(noisy)
        clean_spec = self.stft.stft(clean)
        feats = signal_features(noisy_spec, noise_floor=True)
        return Batch(
            features=np.ascontiguousarray(feats[..., :N_FEATURES]),
            floor_features=np.ascontiguousarray(feats[..., N_FEATURES:]),
            noisy_spec=noisy_spec.astype(np.complex64),
            clean_spec=clean_spec.astype(np.complex64),
            phase=signal_phase_advance(noisy_spec).astype(np.complex64),
            noisy=noisy,
            clean=clean,
        )
