"""Frozen parameter dataclasses with validation and dict round trips."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, ClassVar, Literal, TypeVar, get_args, get_origin

from .errors import ParameterError

__all__ = ["Params"]

P = TypeVar("P", bound="Params")


@dataclasses.dataclass(frozen=True)
class Params:
    """Base of every stage's parameters: a frozen dataclass with physical units in the names.

    ``Literal`` fields are checked against their allowed values at construction, and
    subclasses add range checks in ``_check``.
    """

    name: ClassVar[str] = ""

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):
            hint = hints.get(field.name)
            if get_origin(hint) is Literal:
                allowed = get_args(hint)
                value = getattr(self, field.name)
                if value not in allowed:
                    raise ParameterError(f"{field.name}={value!r} must be one of {allowed}")
        self._check()

    def _check(self) -> None:
        """Range checks of a subclass; raise :class:`ParameterError` on bad values."""

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters as a plain dict (JSON/TOML serializable)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[P], data: dict[str, Any]) -> P:
        """Build parameters from a dict, rejecting unknown keys with a clear error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ParameterError(f"unknown parameter(s) {unknown} for {cls.__name__}; known: {sorted(names)}")
        return cls(**data)

    def replace(self: P, **changes: Any) -> P:
        """Return a copy with some fields changed (validated again)."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ParameterError(
                f"unknown parameter(s) {unknown} for {type(self).__name__}; known: {sorted(names)}"
            )
        return dataclasses.replace(self, **changes)
