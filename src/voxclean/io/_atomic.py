"""Atomic file replacement and output-path safety checks."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from ..errors import AudioFileError

__all__ = ["check_output_path", "AtomicTarget"]

PathLike = str | os.PathLike[str]


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name the same file (symlinks and hard links included)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_output_path(
    path: PathLike,
    *,
    overwrite: bool = True,
    protect: Iterable[PathLike] = (),
    in_place: bool = False,
) -> Path:
    """Validate an output path before anything is written and return it as :class:`Path`.

    Parameters
    ----------
    path : str or os.PathLike
        Output file.
    overwrite : bool
        If False, an existing ``path`` is an error.
    protect : iterable of path-like
        Input files that must not be overwritten.
    in_place : bool
        If True, writing over a ``protect`` path is allowed.

    Raises
    ------
    AudioFileError
        ``path`` is a directory, its directory does not exist, it exists and
        ``overwrite`` is False, or it is the same file as a protected input.
    """
    out = Path(os.fspath(path))
    if out.is_dir():
        raise AudioFileError(f"path={str(out)!r} is a directory, not a file")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise AudioFileError(f"path={str(out)!r}: directory {str(parent)!r} does not exist")
    if not in_place:
        for p in protect:
            src = Path(os.fspath(p))
            if _same_file(out, src):
                raise AudioFileError(
                    f"path={str(out)!r} is the same file as the input {str(src)!r}; "
                    "refusing to overwrite an input (use in_place=True / --in-place to allow it)"
                )
    if not overwrite and out.exists():
        raise AudioFileError(f"path={str(out)!r} already exists and overwrite=False")
    return out


class AtomicTarget:
    """A hidden temporary file next to ``path`` that replaces it on :meth:`commit`.

    The temporary name is ``.<name>.<random>.part`` in the same directory, so
    :func:`os.replace` is atomic and folder walkers ignore it. It is created
    with mode ``0o666`` minus the umask, like a plain ``open(path, "w")``.

    Used as a context manager, it commits when the block ends normally and aborts
    (deletes the temporary file) when the block raises.

    Parameters
    ----------
    path : pathlib.Path
        Final destination.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp_path = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            fd = os.open(self.tmp_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except OSError as exc:
            raise AudioFileError(f"path={str(path)!r}: cannot create a file there ({exc})") from exc
        os.close(fd)
        self._done = False

    def __enter__(self) -> AtomicTarget:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def commit(self) -> None:
        """Flush the temporary file to disk and rename it over :attr:`path`."""
        if self._done:
            return
        try:
            with contextlib.suppress(OSError):
                fd = os.open(self.tmp_path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            os.replace(self.tmp_path, self.path)
        except OSError as exc:
            self.abort()
            raise AudioFileError(f"path={str(self.path)!r}: cannot move the written file into place ({exc})") from exc
        self._done = True

    def abort(self) -> None:
        """Delete the temporary file; the destination is left untouched."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp_path)
