"""Name -> enhancer factory registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    """

    name: str
    factory: Callable[..., Any]
    params: type[Params]
    summary: str


_REGISTRY: dict[str, MethodEntry] = {}


def register(name: str, factory: Callable[..., Any], params: type[Params], summary: str) -> None:
    """Register an enhancement method under ``name`` (a later call replaces it)."""
    _REGISTRY[name] = MethodEntry(name, factory, params, summary)


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
