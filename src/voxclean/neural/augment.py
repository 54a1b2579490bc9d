"""Noise and colouration augmentations of the training mixtures (numpy only).

The training split holds 0.6 h of noise from 63 files, so the dev set's noise
types that have no close relative there (a typewriter-like keyboard, a running
tap, an air conditioner) are where the model is weakest. These augmentations widen
what the model sees without new recordings:

* :func:`random_eq`: a cascade of random peaking filters (RBJ biquads), applied to
  a noise recording to change its spectral colour, or to speech and target alike
  to imitate another microphone;
* :func:`synthetic_noise`: noise that no recording in the split covers well:
  stationary coloured noise with a random spectral slope and bumps, mains or fan
  hum (a harmonic series with slow pitch drift over a noise floor), and trains of
  short clicks (key strokes, taps), single or in press/release pairs;
* :func:`keystroke_noise`: typing built from *recorded* key strokes of one
  keyboard (see :meth:`voxclean.neural.data.TrainCorpus.load`), in a typist's
  rhythm, each stroke at its own level and speed, the whole coloured and
  sometimes placed in a room.

Every function draws from the generator it is given, so an example stays a
function of ``(seed, index)`` (see :mod:`voxclean.neural.data`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.signal

__all__ = ["random_eq", "apply_eq", "synthetic_noise", "keystroke_noise", "SYNTH_KINDS"]

#: Kinds of :func:`synthetic_noise`, drawn with equal probability.
SYNTH_KINDS = ("colored", "hum", "clicks")


def _peaking_sos(f0: float, gain_db: float, q: float, sample_rate: int) -> np.ndarray:
    """One peaking-EQ biquad (Bristow-Johnson's audio EQ cookbook) as an SOS row ``[shape=(6,)]``."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * f0 / sample_rate
    alpha = np.sin(w0) / (2.0 * q)
    b = np.array([1.0 + alpha * a, -2.0 * np.cos(w0), 1.0 - alpha * a])
    den = np.array([1.0 + alpha / a, -2.0 * np.cos(w0), 1.0 - alpha / a])
    return np.concatenate([b / den[0], den / den[0]])


def random_eq(
    rng: np.random.Generator,
    sample_rate: int,
    *,
    max_gain_db: float = 12.0,
    bands: tuple[int, int] = (1, 3),
) -> np.ndarray:
    """Draw a random equaliser: a cascade of peaking filters.

    Parameters
    ----------
    rng : np.random.Generator
    sample_rate : int
        In Hz.
    max_gain_db : float
        Each band's gain is uniform in ``[-max_gain_db, max_gain_db]`` dB.
    bands : (int, int)
        Inclusive range of the number of bands; centre frequencies are log-uniform
        in 80 Hz .. 0.45 ``sample_rate``, Q log-uniform in 0.5 .. 4.

    Returns
    -------
    np.ndarray [shape=(bands, 6)]
        Second-order sections for :func:`scipy.signal.sosfilt` (stable: every
        peaking biquad with Q > 0 is).
    """
    k = int(rng.integers(bands[0], bands[1] + 1))
    rows = []
    for _ in range(k):
        f0 = float(np.exp(rng.uniform(np.log(80.0), np.log(0.45 * sample_rate))))
        gain = float(rng.uniform(-max_gain_db, max_gain_db))
        q = float(np.exp(rng.uniform(np.log(0.5), np.log(4.0))))
        rows.append(_peaking_sos(f0, gain, q, sample_rate))
    return np.stack(rows)


def apply_eq(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Filter ``x [shape=(samples,)]`` with ``sos``; float32 out."""
    return scipy.signal.sosfilt(sos, x).astype(np.float32)


def _colored(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Gaussian noise with a random slope (-6..+3 dB per octave about 1 kHz) and random EQ."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / sample_rate)
    slope = rng.uniform(-6.0, 3.0)
    shape_db = slope * np.log2(np.maximum(f, 100.0) / 1000.0)
    y = np.fft.irfft(spec * 10.0 ** (shape_db / 20.0), n)
    return apply_eq(random_eq(rng, sample_rate), y)


def _hum(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """A harmonic series (mains 50/60 Hz or a fan's 90-400 Hz) with slow pitch drift, over coloured noise."""
    if rng.random() < 0.5:
        f0 = float(rng.choice([50.0, 60.0]))
    else:
        f0 = float(np.exp(rng.uniform(np.log(90.0), np.log(400.0))))
    t = np.arange(n) / sample_rate
    drift = 1.0 + 0.01 * rng.uniform(0.0, 1.0) * np.sin(2 * np.pi * rng.uniform(0.05, 0.5) * t + rng.uniform(0, 2 * np.pi))
    phase = 2 * np.pi * f0 * np.cumsum(drift) / sample_rate
    decay = rng.uniform(0.0, 12.0)  # dB per harmonic
    y = np.zeros(n)
    for h in range(1, int(min(40, 0.45 * sample_rate // f0)) + 1):
        y += 10.0 ** (-decay * (h - 1) / 20.0) * rng.uniform(0.3, 1.0) * np.sin(h * phase + rng.uniform(0, 2 * np.pi))
    y /= np.sqrt(np.mean(y**2)) + 1e-12
    floor = _colored(rng, n, sample_rate)
    floor /= np.sqrt(np.mean(floor.astype(np.float64) ** 2)) + 1e-12
    return y + floor * 10.0 ** (rng.uniform(-20.0, 0.0) / 20.0)


def _clicks(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Short decaying noise bursts at random times (2-15 per s), some in press/release pairs."""
    y = np.zeros(n)
    rate = rng.uniform(2.0, 15.0)
    count = int(rng.poisson(rate * n / sample_rate)) + 1
    colour = random_eq(rng, sample_rate, max_gain_db=15.0)
    for _ in range(count):
        start = int(rng.integers(0, n))
        onsets = [start]
        if rng.random() < 0.5:  # key release 40-200 ms later
            onsets.append(start + int(rng.uniform(0.04, 0.2) * sample_rate))
        for s in onsets:
            length = int(rng.uniform(0.005, 0.04) * sample_rate)
            tau = rng.uniform(0.001, 0.015) * sample_rate
            burst = rng.standard_normal(length) * np.exp(-np.arange(length) / tau)
            burst *= 10.0 ** (rng.uniform(-12.0, 0.0) / 20.0)
            m = min(length, n - s)
            if m > 0:
                y[s : s + m] += burst[:m]
    return apply_eq(colour, y)


def synthetic_noise(rng: np.random.Generator, n: int, sample_rate: int, kind: str | None = None) -> np.ndarray:
    """Draw ``n`` samples of synthetic noise (unit RMS, float32).

    Parameters
    ----------
    rng : np.random.Generator
    n : int
        Length in samples.
    sample_rate : int
        In Hz.
    kind : {"colored", "hum", "clicks"} or None
        ``None`` draws one of :data:`SYNTH_KINDS`.

    Returns
    -------
    np.ndarray [shape=(n,)], float32
    """
    if kind is None:
        kind = SYNTH_KINDS[int(rng.integers(len(SYNTH_KINDS)))]
    make = {"colored": _colored, "hum": _hum, "clicks": _clicks}.get(kind)
    if make is None:
        raise ValueError(f"kind={kind!r}; expected one of {SYNTH_KINDS}")
    y = np.asarray(make(rng, n, sample_rate), np.float64)
    y /= np.sqrt(np.mean(y**2)) + 1e-12
    return y.astype(np.float32)


def _stretch(x: np.ndarray, factor: float) -> np.ndarray:
    """Play ``x`` ``factor`` times faster (linear interpolation; pitch and brightness move with it)."""
    m = max(int(len(x) / factor), 1)
    return np.interp(np.arange(m) * factor, np.arange(len(x)), x)


def keystroke_noise(
    rng: np.random.Generator,
    n: int,
    sample_rate: int,
    strokes: Sequence[np.ndarray],
    rirs: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """Typing on one keyboard, built from its recorded key strokes (unit RMS, float32).

    Strokes follow at a rate of 3-10 per s (gamma-distributed gaps, so the rhythm is
    uneven but not random like a Poisson train), with a pause of 0.3-1.5 s after 8 %
    of them. Each stroke is a press at -8..0 dB, followed 40-150 ms later by a
    release at -18..-2 dB, both drawn from ``strokes`` (peak 1) and each played
    0.85-1.2 times as fast (a different key or keyboard size). The train is then
    coloured by a random equaliser (70 % of the time) and convolved with one of
    ``rirs`` (half of the time, when given), over a coloured-noise floor 25-45 dB
    down.

    Parameters
    ----------
    rng : np.random.Generator
    n : int
        Length in samples.
    sample_rate : int
        In Hz; ``strokes`` and ``rirs`` are at this rate.
    strokes : sequence of np.ndarray [shape=(samples,)]
        Recorded key strokes (press and release sounds) of one keyboard.
    rirs : sequence of np.ndarray [shape=(samples,)]
        Room impulse responses; empty for none.

    Returns
    -------
    np.ndarray [shape=(n,)], float32
    """
    if not strokes:
        raise ValueError("keystroke_noise needs at least one recorded stroke")
    y = np.zeros(n)
    rate = rng.uniform(3.0, 10.0)
    t = -rng.uniform(0.0, 1.0 / rate)
    while True:
        t += rng.gamma(4.0, 1.0 / (4.0 * rate))
        if rng.random() < 0.08:
            t += rng.uniform(0.3, 1.5)
        start = int(t * sample_rate)
        if start >= n:
            break
        release = start + int(rng.uniform(0.04, 0.15) * sample_rate)
        for onset, level_db in ((start, rng.uniform(-8.0, 0.0)), (release, rng.uniform(-18.0, -2.0))):
            s = _stretch(strokes[int(rng.integers(len(strokes)))], rng.uniform(0.85, 1.2))
            s = s * 10.0 ** (level_db / 20.0)
            a, b = max(onset, 0), min(onset + len(s), n)
            if b > a:
                y[a:b] += s[a - onset : b - onset]
    if rng.random() < 0.7:
        y = apply_eq(random_eq(rng, sample_rate, max_gain_db=10.0), y).astype(np.float64)
    if rirs and rng.random() < 0.5:
        h = np.asarray(rirs[int(rng.integers(len(rirs)))], np.float64)
        d = int(np.argmax(np.abs(h)))
        y = scipy.signal.fftconvolve(y, h[d:])[:n]
    rms = np.sqrt(np.mean(y**2))
    if rms == 0.0:  # no stroke landed (cannot happen for n >= 1.5 s, guards short n)
        return np.zeros(n, np.float32)
    floor = _colored(rng, n, sample_rate).astype(np.float64)
    floor *= rms / (np.sqrt(np.mean(floor**2)) + 1e-12) * 10.0 ** (-rng.uniform(25.0, 45.0) / 20.0)
    y = y + floor
    y /= np.sqrt(np.mean(y**2)) + 1e-12
    return y.astype(np.float32)
