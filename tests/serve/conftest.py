"""A real uvicorn server on a free 127.0.0.1 port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("websockets")
httpx = pytest.importorskip("httpx")

from voxclean.serve import ServeConfig, create_app  # noqa: E402
from voxclean.serve.app import uvicorn_options  # noqa: E402


class Server:
    def __init__(self, config: ServeConfig) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.app = create_app(config)
        cfg = uvicorn.Config(self.app, log_level="warning", lifespan="on", **uvicorn_options(config))
        self.server = uvicorn.Server(cfg)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as e:  # noqa: BLE001 -- reported by __enter__
            self.error = e

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        t0 = time.perf_counter()
        self.thread.start()
        # Start-up runs a full garbage collection (see the app's lifespan), which after hundreds of
        # tests in one process can take seconds on a slow machine: wait while the thread lives.
        while self.thread.is_alive() and time.perf_counter() - t0 < 120.0:
            if self.server.started:
                return self
            time.sleep(0.025)
        why = "still starting after 120 s" if self.thread.is_alive() else f"its thread ended ({self.error!r})"
        raise RuntimeError(f"server did not start: {why}")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def server():
    cfg = ServeConfig(max_upload_bytes=2_000_000, max_duration_s=30.0, max_streams=3, idle_timeout_s=1.0,
                      max_frame_s=0.5, max_jobs=2)
    with Server(cfg) as s:
        yield s
