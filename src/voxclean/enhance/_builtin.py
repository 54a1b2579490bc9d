"""Registration of the built-in enhancers."""

from __future__ import annotations

from ..registry import register
from .gating import GatingParams, NonStationaryGatingParams, SpectralGate
from .mmse import MmseLsa, MmseLsaParams, MmseStsa, MmseStsaParams
from .omlsa import OmLsa, OmLsaParams
from .spectral_subtraction import MultiBandSubtractionParams, SpectralSubtraction, SpectralSubtractionParams
from .wiener import Wiener, WienerParams


def _with_params(cls, params_cls):
    def factory(sample_rate, params=None, **kw):
        return cls(sample_rate, params if params is not None else params_cls(), **kw)

    return factory


register("omlsa", _with_params(OmLsa, OmLsaParams), OmLsaParams,
         "OM-LSA: LSA gain weighted by speech presence probability (Cohen & Berdugo)")
register("mmse-lsa", _with_params(MmseLsa, MmseLsaParams), MmseLsaParams,
         "MMSE log-spectral amplitude estimator, decision-directed (Ephraim-Malah 1985)")
register("mmse-stsa", _with_params(MmseStsa, MmseStsaParams), MmseStsaParams,
         "MMSE short-time spectral amplitude estimator, decision-directed (Ephraim-Malah 1984)")
register("wiener", _with_params(Wiener, WienerParams), WienerParams,
         "Wiener filter with decision-directed a priori SNR")
register("spectral-subtraction", _with_params(SpectralSubtraction, SpectralSubtractionParams),
         SpectralSubtractionParams, "power spectral subtraction with over-subtraction and floor (Berouti)")
register("multiband-subtraction", _with_params(SpectralSubtraction, MultiBandSubtractionParams),
         MultiBandSubtractionParams, "multi-band spectral subtraction (Kamath-Loizou)")
register("gating", _with_params(SpectralGate, GatingParams), GatingParams,
         "stationary spectral gating against the noise profile or tracked noise")
register("gating-nonstationary", _with_params(SpectralGate, NonStationaryGatingParams),
         NonStationaryGatingParams, "non-stationary spectral gating against the smoothed signal level")
from ..neural import _register  # noqa: E402,F401  (method 'neural')
