"""Quality floors on real speech mixed with real noise (dev-split files from ../shared).

The floors are requirements, stated before measuring: every method must improve
SI-SDR by at least 1.5 dB on stationary-ish noise at 0-5 dB input SNR; the MMSE
family must also improve PESQ-WB by at least 0.1 there; and no method may lose
more than 0.02 STOI at 20 dB input SNR.
"""

from __future__ import annotations

import numpy as np
import pytest

import voxclean
from voxclean.metrics import pesq, si_sdr, stoi

from ..conftest import mix_at_snr

MMSE_FAMILY = ["omlsa", "mmse-lsa", "mmse-stsa", "wiener"]


def _mixtures(speech, noises, snrs, names=("aircon", "street", "vacuum")):
    for name in names:
        for snr in snrs:
            yield name, snr, mix_at_snr(speech, noises[name], snr)


@pytest.mark.parametrize("method", voxclean.list_methods())
def test_si_sdr_improvement_floor(method, speech, noises):
    gains = []
    for _, _, x in _mixtures(speech, noises, [0, 5]):
        y = voxclean.enhance(x, 16000, method=method)
        gains.append(si_sdr(speech, y) - si_sdr(speech, x))
    assert np.mean(gains) >= 1.5, gains


@pytest.mark.parametrize("method", MMSE_FAMILY)
def test_pesq_improvement_floor(method, speech, noises):
    gains = []
    for _, _, x in _mixtures(speech, noises, [0, 5]):
        y = voxclean.enhance(x, 16000, method=method)
        gains.append(pesq(speech, y, 16000) - pesq(speech, x, 16000))
    assert np.mean(gains) >= 0.1, gains


@pytest.mark.parametrize("method", voxclean.list_methods())
def test_little_intelligibility_loss_at_high_snr(method, speech, noises):
    for _, _, x in _mixtures(speech, noises, [20], names=("aircon", "street")):
        y = voxclean.enhance(x, 16000, method=method)
        assert stoi(speech, y, 16000) >= stoi(speech, x, 16000) - 0.02
