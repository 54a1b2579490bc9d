"""Helpers for the tests of the scripts in ``benchmarks/`` (a script folder, not a package)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def bench_module(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` as the module ``bench_<name>``.

    The folder is on ``sys.path`` while it loads, as when the script runs, so its
    imports of sibling modules (``_one_thread``, ``devset``) resolve; the environment
    is restored afterwards (``_one_thread`` pins BLAS/OpenMP threads there, which
    would otherwise reach the subprocesses of later tests).
    """
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up by name
    environ = os.environ.copy()
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(BENCHMARKS))
        os.environ.clear()
        os.environ.update(environ)
    return mod
