"""Deterministic development set of noisy/clean speech pairs for the benchmarks.

Only rows of ``shared/data/manifest.csv`` with ``split == "dev"`` are used:

* speech (``kind == "speech"``): 9 speakers (LibriSpeech 7312, 7367, 7859, 8629;
  CMU ARCTIC aew, axb, unknown; misc ruth_golding, davidbain),
* noise (``kind == "noise"``): 13 files, each one noise type,
* room impulse responses (``kind == "rir"``): 3 files (first channel used).

Construction (a pure function of the manifest, the audio files and ``seed``)
-------------------------------------------------------------------------------
* **Conditions.** Input SNRs of -5, 0, 5, 10, 15 and 20 dB; 14 noise types
  (the 13 dev noise files plus ``babble``). Every (noise type, SNR) pair is
  used once with dry speech (84 items). 42 further items are reverberant: each
  noise type appears 3 times (once per dev RIR), with SNRs rotated so that every
  SNR gets 7 reverberant items. Total 126 items, about 12.6 minutes of audio.
* **Speech.** Speakers are assigned in a fixed cycle in which each LibriSpeech
  speaker appears twice and every other speaker once (the small speakers have
  only one to three short files). The utterance of an item is a chain of
  consecutive files of its speaker (150 ms gaps) cut to a random length of
  4-8 s with 20 ms fades; a speaker whose whole material is shorter than 4 s is
  padded with silence, split between start and end. 16 kHz mono float32.
* **Noise.** A random segment of the noise file (looped if the file is too
  short: ``friction1`` is 0.35 s). ``babble`` is the sum of 4-6 talkers drawn
  from the *other* dev speakers (never the target speaker), each a looped chain
  of that talker's utterances at a random offset, all at equal active level.
* **Reverberation.** Reverberant items convolve the dry utterance with the
  first channel of a dev RIR. The **reference** for such an item is the
  direct path plus early reflections: the dry utterance convolved with the RIR
  truncated 50 ms after its onset (the first sample within 20 dB of the RIR's
  largest absolute value), so it is time-aligned with the reverberant speech
  and at its physical level. (A delayed dry reference was tried first, but
  ``openair_via_pymixconsole/medium_room`` has no dominant direct path: the
  delayed dry speech correlated only 0.04 with the reverberant speech.) Late
  reverberation therefore counts as distortion in the metrics;
  ``Item.reverberant`` lets tables report these items separately.
* **SNR.** ``snr_db = 10 log10(P_speech / P_noise)`` where ``P_speech`` is the
  mean power of the *active* frames of the speech at the microphone (the
  reverberant speech for reverberant items): 20 ms frames whose power is
  within 30 dB of the loudest frame, a simple energy VAD in the spirit of ITU-T
  P.56. ``P_noise`` is the mean power of the whole noise segment.
* **Level.** Speech is set to an active level of -26 dBFS; if the mixture would
  peak above 0.95, clean reference and mixture are scaled down together, so
  16-bit peers never clip.

Mixtures are cached in ``benchmarks/devset_cache/<key>.npz`` (ignored by git),
where ``key`` hashes the dev rows of the manifest, the seed and
:data:`GENERATOR_VERSION`. The data folder is
``Path(__file__).resolve().parents[1].parent / "shared" / "data"`` unless the
environment variable ``VOXCLEAN_DATA`` names another one.

Usage: ``python benchmarks/devset.py [--quick | --max-items N] [--rebuild]``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import fftconvolve

from voxclean.io._atomic import AtomicTarget

SR = 16000
SNRS_DB: tuple[int, ...] = (-5, 0, 5, 10, 15, 20)
SEED = 20240611
GENERATOR_VERSION = 2
MIN_S, MAX_S = 4.0, 8.0
GAP_S = 0.15
FADE_S = 0.02
SPEECH_LEVEL_DBFS = -26.0
PEAK_LIMIT = 0.95
VAD_FRAME_S = 0.02
VAD_RANGE_DB = 30.0
QUICK_ITEMS = 24
BABBLE_TALKERS = (4, 6)
ONSET_DB = 20.0
EARLY_S = 0.05

CACHE_DIR = Path(__file__).resolve().parent / "devset_cache"

#: Noise file stem -> (short noise type name, coarse category).
NOISE_NAMES: dict[str, tuple[str, str]] = {
    "running_tap": ("running_tap", "stationary"),
    "aircon_2": ("aircon", "stationary"),
    "vacuuming_2": ("vacuum", "stationary"),
    "1CDCDA78-CA1D-449C-8294-E7C748BCAE99": ("berlin_street", "outdoor"),
    "key_3": ("keys_3", "keyboard"),
    "key_m": ("keys_m", "keyboard"),
    "typing": ("typing", "keyboard"),
    "noise5": ("sb_noise5", "other"),
    "friction1": ("friction", "transient"),
    "fireplace": ("fireplace", "transient"),
    "storm": ("storm", "nature"),
    "waves": ("waves", "nature"),
    "owls": ("owls", "nature"),
}

#: Speakers that get two slots per cycle (they have minutes of material).
WEIGHTED_SPEAKERS = ("7312", "7367", "7859", "8629")


@dataclass
class Item:
    """One dev-set example.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``"d017_vacuum_+05dB"``.
    clean : np.ndarray [shape=(T,), float32]
        Reference (dry speech; delayed and scaled dry speech for reverberant items).
    noisy : np.ndarray [shape=(T,), float32]
        Mixture at the microphone.
    sr : int
        Sample rate in Hz (16000).
    snr_db : float
        Input SNR (active speech power over noise power).
    noise_type : str
        Short name of the noise file, or ``"babble"``.
    speaker : str
        Target speaker.
    reverberant : bool
        Whether the speech was convolved with a room impulse response.
    noise_category : str
        Coarse noise class (stationary, keyboard, outdoor, nature, transient,
        other, babble).
    noise_source : str
        Manifest path of the noise file (``"babble"`` for babble).
    rir : str
        Manifest path of the RIR, ``""`` for dry items.
    utterances : tuple of str
        Manifest paths of the speech files used for the target.
    """

    id: str
    clean: np.ndarray
    noisy: np.ndarray
    sr: int
    snr_db: float
    noise_type: str
    speaker: str
    reverberant: bool
    noise_category: str = ""
    noise_source: str = ""
    rir: str = ""
    utterances: tuple[str, ...] = field(default_factory=tuple)

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.clean.shape[0] / self.sr

    def meta(self) -> dict[str, object]:
        """Metadata (everything except the audio) as a JSON-friendly dict."""
        return {
            "id": self.id,
            "sr": self.sr,
            "snr_db": self.snr_db,
            "noise_type": self.noise_type,
            "speaker": self.speaker,
            "reverberant": self.reverberant,
            "noise_category": self.noise_category,
            "noise_source": self.noise_source,
            "rir": self.rir,
            "utterances": list(self.utterances),
        }


@dataclass(frozen=True)
class Condition:
    """What one item should be made of (before any audio is read)."""

    index: int
    noise: str  # manifest path or "babble"
    snr_db: float
    rir: str  # manifest path or ""


# --------------------------------------------------------------------------- data


def data_root() -> Path:
    """Folder holding ``manifest.csv`` (``$VOXCLEAN_DATA`` or ``<repo>/../shared/data``)."""
    env = os.environ.get("VOXCLEAN_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def dev_rows(root: Path) -> list[dict[str, str]]:
    """Manifest rows with ``split == "dev"``, in file order."""
    with open(root / "manifest.csv", newline="") as fh:
        return [row for row in csv.DictReader(fh) if row["split"] == "dev"]


def read_mono(root: Path, rel: str) -> np.ndarray:
    """Read a file as float32 mono at :data:`SR` (first channel of multichannel files)."""
    x, sr = sf.read(root / rel, dtype="float32", always_2d=True)
    if sr != SR:
        raise ValueError(f"{rel}: expected {SR} Hz, got {sr}")
    return np.ascontiguousarray(x[:, 0])


# ------------------------------------------------------------------------ signal


def frame_powers(x: np.ndarray, sr: int = SR) -> np.ndarray:
    """Mean power of consecutive non-overlapping 20 ms frames."""
    n = int(VAD_FRAME_S * sr)
    n_frames = max(1, x.shape[0] // n)
    frames = x[: n_frames * n].reshape(n_frames, n) if x.shape[0] >= n else x[None, :]
    return np.mean(frames.astype(np.float64) ** 2, axis=1)


def active_power(x: np.ndarray, sr: int = SR) -> float:
    """Mean power of the frames within :data:`VAD_RANGE_DB` of the loudest one."""
    p = frame_powers(x, sr)
    if p.max() <= 0:
        return 0.0
    active = p >= p.max() * 10 ** (-VAD_RANGE_DB / 10)
    return float(p[active].mean())


def fade(x: np.ndarray, sr: int = SR) -> np.ndarray:
    """Apply 20 ms raised-cosine fades at both ends (copy)."""
    n = min(int(FADE_S * sr), x.shape[0] // 2)
    y = x.copy()
    if n > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
        y[:n] *= ramp
        y[-n:] *= ramp[::-1]
    return y


def loop_to(x: np.ndarray, length: int, start: int) -> np.ndarray:
    """``length`` samples of ``x`` repeated cyclically, starting at ``start``."""
    idx = (start + np.arange(length)) % x.shape[0]
    return x[idx]


def chain(parts: Sequence[np.ndarray], sr: int = SR) -> np.ndarray:
    """Concatenate signals with :data:`GAP_S` of silence between them."""
    gap = np.zeros(int(GAP_S * sr), np.float32)
    out: list[np.ndarray] = []
    for i, p in enumerate(parts):
        if i:
            out.append(gap)
        out.append(p)
    return np.concatenate(out)


# ------------------------------------------------------------------- conditions


def build_conditions(noises: Sequence[str], rirs: Sequence[str]) -> list[Condition]:
    """All item conditions: every (noise, SNR) dry, plus 3 reverberant per noise type."""
    types = [*noises, "babble"]
    conds: list[Condition] = []
    for noise in types:
        for snr in SNRS_DB:
            conds.append(Condition(0, noise, float(snr), ""))
    k = 0
    for noise in types:
        for rir in rirs:
            conds.append(Condition(0, noise, float(SNRS_DB[k % len(SNRS_DB)]), rir))
            k += 1
    return conds


def speaker_cycle(speakers: Sequence[str]) -> list[str]:
    """Speaker slots of one cycle: weighted speakers twice, the others once."""
    return [s for s in speakers for _ in range(2 if s in WEIGHTED_SPEAKERS else 1)]


def schedule(
    conds: Sequence[Condition], speakers: Sequence[str], seed: int
) -> list[tuple[Condition, str]]:
    """Shuffle the conditions and assign speakers round-robin over the shuffled order."""
    rng = np.random.default_rng([seed, 0])
    order = rng.permutation(len(conds))
    cycle = speaker_cycle(sorted(speakers))
    cycle = [cycle[i] for i in rng.permutation(len(cycle))]
    out = []
    for pos, ci in enumerate(order):
        c = conds[ci]
        out.append((Condition(pos, c.noise, c.snr_db, c.rir), cycle[pos % len(cycle)]))
    return out


# ----------------------------------------------------------------------- speech


class SpeechPool:
    """Dev utterances per speaker, read lazily and kept in memory."""

    def __init__(self, root: Path, rows: Sequence[dict[str, str]]) -> None:
        self.root = root
        self.paths: dict[str, list[str]] = {}
        for row in rows:
            if row["kind"] == "speech":
                self.paths.setdefault(row["speaker"], []).append(row["path"])
        for paths in self.paths.values():
            paths.sort()
        self._audio: dict[str, np.ndarray] = {}

    def audio(self, rel: str) -> np.ndarray:
        """Samples of one utterance (peak-safe float32)."""
        if rel not in self._audio:
            self._audio[rel] = read_mono(self.root, rel)
        return self._audio[rel]

    def chain_from(self, speaker: str, start: int, min_len: int) -> tuple[np.ndarray, list[str]]:
        """Consecutive utterances of ``speaker`` from index ``start`` until ``min_len`` samples.

        Each file is used at most once, so the result may be shorter than ``min_len``.
        """
        paths = self.paths[speaker]
        used: list[str] = []
        parts: list[np.ndarray] = []
        total = 0
        for k in range(len(paths)):
            rel = paths[(start + k) % len(paths)]
            parts.append(self.audio(rel))
            used.append(rel)
            total += parts[-1].shape[0] + (int(GAP_S * SR) if k else 0)
            if total >= min_len:
                break
        return chain(parts), used


def target_speech(
    pool: SpeechPool, speaker: str, rng: np.random.Generator
) -> tuple[np.ndarray, list[str]]:
    """A 4-8 s utterance of ``speaker`` (cut from a chain, or silence-padded)."""
    length = int(rng.uniform(MIN_S, MAX_S) * SR)
    start = int(rng.integers(len(pool.paths[speaker])))
    x, used = pool.chain_from(speaker, start, length)
    if x.shape[0] >= length:
        offset = int(rng.integers(x.shape[0] - length + 1))
        return fade(x[offset : offset + length]), used
    length = max(int(MIN_S * SR), x.shape[0])
    pad = length - x.shape[0]
    lead = pad // 2
    return np.pad(fade(x), (lead, pad - lead)).astype(np.float32), used


def babble(pool: SpeechPool, target: str, length: int, rng: np.random.Generator) -> np.ndarray:
    """Sum of 4-6 other dev speakers at equal active level, each looped to ``length``."""
    others = sorted(s for s in pool.paths if s != target)
    n_talkers = int(rng.integers(BABBLE_TALKERS[0], BABBLE_TALKERS[1] + 1))
    talkers = [others[i] for i in rng.permutation(len(others))[:n_talkers]]
    out = np.zeros(length, np.float64)
    for spk in talkers:
        start = int(rng.integers(len(pool.paths[spk])))
        x, _ = pool.chain_from(spk, start, length)
        x = np.concatenate([x, np.zeros(int(GAP_S * SR), np.float32)])
        seg = loop_to(x, length, int(rng.integers(x.shape[0])))
        out += seg / np.sqrt(max(active_power(seg), 1e-12))
    return out.astype(np.float32)


# ------------------------------------------------------------------------ items


def direct_path(rir: np.ndarray) -> int:
    """Onset of the RIR: first sample within 20 dB of its largest absolute value."""
    a = np.abs(rir)
    return int(np.argmax(a >= a.max() * 10 ** (-ONSET_DB / 20)))


def reverberate(dry: np.ndarray, rir: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reverberant speech and its reference (dry speech through the direct path + early RIR part)."""
    n = dry.shape[0]
    rir = rir.astype(np.float64)
    wet = fftconvolve(dry.astype(np.float64), rir)[:n]
    early = rir.copy()
    early[direct_path(rir) + int(EARLY_S * SR) :] = 0.0
    ref = fftconvolve(dry.astype(np.float64), early)[:n]
    return wet, ref


def noise_segment(
    noise: np.ndarray, length: int, rng: np.random.Generator
) -> np.ndarray:
    """Random ``length``-sample segment of ``noise`` (looped when the file is short)."""
    if noise.shape[0] > length:
        start = int(rng.integers(noise.shape[0] - length + 1))
        return noise[start : start + length].astype(np.float64)
    return loop_to(noise, length, int(rng.integers(noise.shape[0]))).astype(np.float64)


def mix(speech: np.ndarray, ref: np.ndarray, noise: np.ndarray, snr_db: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale to -26 dBFS active level and the given SNR; return (clean ref, noisy)."""
    p_s = active_power(speech)
    gain_s = 10 ** (SPEECH_LEVEL_DBFS / 20) / np.sqrt(max(p_s, 1e-20))
    p_n = float(np.mean(noise**2))
    gain_n = np.sqrt(p_s / max(p_n, 1e-20) / 10 ** (snr_db / 10)) * gain_s
    noisy = gain_s * speech + gain_n * noise
    clean = gain_s * ref
    peak = float(np.max(np.abs(noisy)))
    if peak > PEAK_LIMIT:
        noisy *= PEAK_LIMIT / peak
        clean *= PEAK_LIMIT / peak
    return clean.astype(np.float32), noisy.astype(np.float32)


def noise_label(rel: str) -> tuple[str, str]:
    """(noise type, category) of a noise manifest path or ``"babble"``."""
    if rel == "babble":
        return "babble", "babble"
    stem = Path(rel).stem
    return NOISE_NAMES.get(stem, (stem, "other"))


def make_item(
    cond: Condition, speaker: str, pool: SpeechPool, root: Path, seed: int
) -> Item:
    """Generate one item from its condition (deterministic given ``seed``)."""
    rng = np.random.default_rng([seed, 1, cond.index])
    dry, used = target_speech(pool, speaker, rng)
    if cond.rir:
        speech, ref = reverberate(dry, read_mono(root, cond.rir))
    else:
        speech, ref = dry.astype(np.float64), dry.astype(np.float64)
    n = speech.shape[0]
    if cond.noise == "babble":
        noise = babble(pool, speaker, n, rng).astype(np.float64)
    else:
        noise = noise_segment(read_mono(root, cond.noise), n, rng)
    clean, noisy = mix(speech, ref, noise, cond.snr_db)
    ntype, category = noise_label(cond.noise)
    tag = "r" if cond.rir else "d"
    return Item(
        id=f"{tag}{cond.index:03d}_{ntype}_{int(cond.snr_db):+03d}dB",
        clean=clean,
        noisy=noisy,
        sr=SR,
        snr_db=cond.snr_db,
        noise_type=ntype,
        speaker=speaker,
        reverberant=bool(cond.rir),
        noise_category=category,
        noise_source=cond.noise,
        rir=cond.rir,
        utterances=tuple(used),
    )


def generate(root: Path | None = None, seed: int = SEED) -> list[Item]:
    """Build the whole dev set from the manifest (no caching)."""
    root = data_root() if root is None else root
    rows = dev_rows(root)
    noises = sorted(r["path"] for r in rows if r["kind"] == "noise")
    rirs = sorted(r["path"] for r in rows if r["kind"] == "rir")
    pool = SpeechPool(root, rows)
    plan = schedule(build_conditions(noises, rirs), list(pool.paths), seed)
    return [make_item(c, spk, pool, root, seed) for c, spk in plan]


# ------------------------------------------------------------------------ cache


def cache_key(root: Path, seed: int) -> str:
    """Hash of the dev manifest rows, the seed and the generator version."""
    h = hashlib.sha256()
    for row in dev_rows(root):
        h.update(json.dumps(row, sort_keys=True).encode())
    h.update(f"seed={seed};version={GENERATOR_VERSION}".encode())
    return h.hexdigest()[:16]


def save_cache(items: Sequence[Item], path: Path) -> None:
    """Write items to one compressed ``.npz`` (atomic rename).

    Each writer uses its own temporary name (:class:`voxclean.io._atomic.AtomicTarget`,
    as the audio writers), so processes that build the same cache at once (e.g.
    evaluations started side by side on a fresh checkout) each finish, and the last
    rename wins with identical content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps([it.meta() for it in items]))}
    for k, it in enumerate(items):
        arrays[f"clean_{k}"] = it.clean
        arrays[f"noisy_{k}"] = it.noisy
    with AtomicTarget(path) as target, open(target.tmp_path, "wb") as f:
        np.savez_compressed(f, **arrays)


def load_cache(path: Path) -> list[Item]:
    """Read items written by :func:`save_cache`."""
    with np.load(path) as z:
        metas = json.loads(str(z["meta"]))
        items = []
        for k, m in enumerate(metas):
            m["utterances"] = tuple(m["utterances"])
            items.append(Item(clean=z[f"clean_{k}"], noisy=z[f"noisy_{k}"], **m))
    return items


def select(items: Sequence[Item], max_items: int | None) -> list[Item]:
    """The first ``max_items`` items (the order is already a seeded shuffle)."""
    if max_items is None or max_items >= len(items):
        return list(items)
    return list(items[: max(0, max_items)])


def load_devset(
    quick: bool = False,
    *,
    max_items: int | None = None,
    seed: int = SEED,
    rebuild: bool = False,
) -> list[Item]:
    """Load (generating and caching on first use) the dev set.

    Parameters
    ----------
    quick : bool
        Only the first :data:`QUICK_ITEMS` items (a seeded, roughly balanced subset).
    max_items : int or None
        Cap on the number of items (applied after ``quick``).
    seed : int
        Generation seed.
    rebuild : bool
        Ignore an existing cache file.

    Returns
    -------
    list of Item
    """
    root = data_root()
    path = CACHE_DIR / f"devset_{cache_key(root, seed)}.npz"
    if path.exists() and not rebuild:
        items = load_cache(path)
    else:
        items = generate(root, seed)
        save_cache(items, path)
    if quick:
        items = select(items, QUICK_ITEMS)
    return select(items, max_items)


# -------------------------------------------------------------------------- CLI


def summary(items: Sequence[Item]) -> str:
    """Counts per SNR, noise type, speaker and reverberation as text."""
    lines = [f"{len(items)} items, {sum(it.duration_s for it in items) / 60:.1f} min"]
    for label, key in (
        ("snr_db", lambda it: f"{it.snr_db:+.0f}"),
        ("noise", lambda it: it.noise_type),
        ("category", lambda it: it.noise_category),
        ("speaker", lambda it: it.speaker),
        ("reverberant", lambda it: str(it.reverberant)),
    ):
        counts: dict[str, int] = {}
        for it in items:
            counts[key(it)] = counts.get(key(it), 0) + 1
        lines.append(f"{label}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: build/load the dev set and print a summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"first {QUICK_ITEMS} items only")
    ap.add_argument("--max-items", type=int, default=None)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--rebuild", action="store_true", help="regenerate even if cached")
    args = ap.parse_args(argv)
    items = load_devset(args.quick, max_items=args.max_items, seed=args.seed, rebuild=args.rebuild)
    print(summary(items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
