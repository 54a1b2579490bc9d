"""Import a script of ``benchmarks/`` or ``recipes/`` (folders of scripts, not packages) in a test."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def load_script(relpath: str, name: str) -> ModuleType:
    """Import ``REPO/relpath`` as the module ``name``.

    The module is registered in ``sys.modules`` (dataclasses look their module up by
    name) and its folder is on ``sys.path`` while it loads, as when the script runs, so
    its imports of sibling modules (``_one_thread``, ``devset``) resolve. The environment
    is restored afterwards (``benchmarks/_one_thread`` pins BLAS/OpenMP threads there,
    which would otherwise reach the subprocesses of later tests).
    """
    path = REPO / relpath
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    environ = os.environ.copy()
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(path.parent))
        os.environ.clear()
        os.environ.update(environ)
    return mod
