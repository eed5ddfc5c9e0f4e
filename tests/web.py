"""A real vidgan server for the tests: uvicorn in a thread, on a free port of 127.0.0.1."""

from __future__ import annotations

import socket
import threading

import uvicorn
from waiting import wait_until

from vidgan.web.app import create_app
from vidgan.web.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`stop()` runs the app's shutdown (jobs cancelled, files deleted), as Ctrl-C does."""

    def __init__(self, settings: Settings, users: dict[str, str] | None = None) -> None:
        self.app = create_app(settings, users)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started, "the server to start", alive=self.thread.is_alive)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join()
