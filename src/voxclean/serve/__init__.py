"""The enhancement service (``pip install "voxclean[serve]"``; ``voxclean serve``).

* :func:`create_app` -- the ASGI app (Starlette): ``POST /v1/enhance``, ``WebSocket /v1/stream``,
  ``/healthz``, ``/metrics``, ``/openapi.json``, ``/docs``.
* :class:`ServeConfig` -- upload, duration, timeout and concurrency limits.
"""

from __future__ import annotations

from .limits import ServeConfig

__all__ = ["ServeConfig", "create_app", "serve"]


def __getattr__(name: str):  # starlette is imported only when the app is built
    if name in ("create_app", "serve"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module 'voxclean.serve' has no attribute {name!r}")
