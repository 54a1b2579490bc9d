"""The dev-set cache of ``benchmarks/devset.py``."""

from __future__ import annotations

import numpy as np

from ..script_loader import load_script


def _devset():
    return load_script("benchmarks/devset.py", "bench_devset")


def _items(devset, n: int = 2):
    rng = np.random.default_rng(0)
    return [
        devset.Item(id=f"d{k:03d}", clean=rng.standard_normal(800).astype(np.float32),
                    noisy=rng.standard_normal(800).astype(np.float32), sr=16000, snr_db=5.0,
                    noise_type="fan", speaker="p000", reverberant=False, noise_category="stationary",
                    noise_source="noise/fan.flac", rir="", utterances=("a.flac",))
        for k in range(n)
    ]


def test_cache_round_trip(tmp_path):
    devset = _devset()
    items = _items(devset)
    devset.save_cache(items, tmp_path / "c.npz")
    back = devset.load_cache(tmp_path / "c.npz")
    assert [it.meta() for it in back] == [it.meta() for it in items]
    assert all(np.array_equal(a.noisy, b.noisy) and np.array_equal(a.clean, b.clean) for a, b in zip(back, items))
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # no temporary file left


def test_two_writers_of_one_cache_both_finish(tmp_path, monkeypatch):
    """A second process writing the same cache while the first is writing does not break the first.

    The second writer runs to completion inside the first one's write (as two evaluations
    started side by side on a fresh checkout did): with one shared temporary name, the
    first writer's rename then found its file gone.
    """
    devset = _devset()
    items = _items(devset)
    path = tmp_path / "c.npz"
    real = np.savez_compressed
    calls = []

    def interleaved(file, **arrays):
        real(file, **arrays)
        calls.append(file)
        if len(calls) == 1:
            devset.save_cache(items, path)  # the other writer, start to end

    monkeypatch.setattr(devset.np, "savez_compressed", interleaved)
    devset.save_cache(items, path)
    assert len(calls) == 2 and calls[0] != calls[1]
    assert [it.id for it in devset.load_cache(path)] == ["d000", "d001"]
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]
