"""Name -> enhancer factory registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import Params
from .errors import ParameterError

__all__ = ["register", "get_entry", "method_names", "MethodEntry"]


@dataclass(frozen=True)
class MethodEntry:
    """A registered enhancement method.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"omlsa"``.
    factory : callable
        ``factory(sample_rate, params=None, *, noise_clip=None, **overrides) -> Enhancer``.
    params : type[Params]
        Parameter dataclass whose defaults describe the method.
    summary : str
        One-line description.
    live : dict
        Parameter values that replace the defaults for live and streaming use, where
        latency matters more than the last bit of quality (e.g. the neural method's
        10 ms model); applied by ``create(..., live=True)`` unless the caller sets them.
    """

    name: str
    factory: Callable[..., Any]
    params: type[Params]
    summary: str
    live: Mapping[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, MethodEntry] = {}


def register(
    name: str, factory: Callable[..., Any], params: type[Params], summary: str, live: Mapping[str, Any] | None = None
) -> None:
    """Register an enhancement method under ``name`` (a later call replaces it); see :class:`MethodEntry`."""
    _REGISTRY[name] = MethodEntry(name, factory, params, summary, dict(live or {}))


def get_entry(name: str) -> MethodEntry:
    """Look up a method, with the known names in the error message."""
    _ensure_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParameterError(f"method={name!r} is unknown; known methods: {method_names()}") from None


def method_names() -> list[str]:
    """Names of every registered method, in registration order."""
    _ensure_builtins()
    return list(_REGISTRY)


def _ensure_builtins() -> None:
    if not _REGISTRY:
        from .enhance import _builtin  # noqa: F401  (registers on import)
