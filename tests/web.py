"""A real vidgan server for the tests: uvicorn in a thread, on a free port of 127.0.0.1; and the requests the
tests make of any server, with no deadline a busy machine could miss."""

from __future__ import annotations

import socket
import struct
import threading
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import httpx
import uvicorn
from waiting import HANG_GUARD, wait_until

from vidgan.web.app import create_app
from vidgan.web.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _queues(local: tuple[str, int], remote: tuple[str, int]) -> tuple[int, int] | None:
    """(bytes sent and not yet taken, bytes received and not yet read) of the IPv4 TCP socket local -> remote on
    this machine, from the kernel's table; None where there is no such socket (yet)."""

    def hexed(address: tuple[str, int]) -> str:  # as the kernel prints it: the address in host order, the port
        return f"{struct.unpack('=I', socket.inet_aton(address[0]))[0]:08X}:{address[1]:04X}"

    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == hexed(local) and fields[2] == hexed(remote):
            tx, rx = fields[4].split(":")
            return int(tx, 16), int(rx, 16)
    return None


def read_by_server(sock: socket.socket) -> bool:
    """Whether the server at the other end of `sock` has read all that was sent on it: a request the server has
    read is one it is handling (a shutdown answers it), one still in its queue it may drop. No clock: the
    kernel's own count of the bytes in each queue (Linux)."""
    mine, theirs = sock.getsockname(), sock.getpeername()
    sent = _queues(mine, theirs)  # first all delivered (acknowledged by the server's kernel), then all read
    if sent is None or sent[0]:
        return False
    received = _queues(theirs, mine)
    return received is not None and received[1] == 0


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


# httpx's default timeout (5 s) is a deadline that a busy machine misses: every request waits up to the hang
# guard instead (a test that means a shorter one says so).
http = SimpleNamespace(get=partial(httpx.get, timeout=HANG_GUARD), post=partial(httpx.post, timeout=HANG_GUARD),
                       delete=partial(httpx.delete, timeout=HANG_GUARD))  # fmt: skip
ENDED = ("done", "failed", "cancelled")


def post_job(url: str, path: Path | None, auth=None, headers=None, name: str = "clip.mp4", **fields) -> httpx.Response:
    """POST /api/jobs with the file at `path` (none: the fields alone, e.g. an `upload`)."""
    files = {"file": (name, open(path, "rb"))} if path else None
    try:
        return http.post(f"{url}/api/jobs", files=files, data=fields, auth=auth, headers=headers)
    finally:
        if files:
            files["file"][1].close()


def finished(url: str, job: str, auth=None) -> dict:
    """The job's status once it has ended, by long polls (each returns at the end, or after 30 s: poll again)."""

    def ended() -> dict | None:
        status = http.get(f"{url}/api/jobs/{job}", params={"wait": 30}, auth=auth).json()
        return status if status["status"] in ENDED else None

    return wait_until(ended, f"job {job} to end")


def reached(url: str, job: str, status: str, auth=None) -> dict:
    """The job's status once it is `status` (e.g. running)."""
    return wait_until(lambda: (s := http.get(f"{url}/api/jobs/{job}", auth=auth).json())["status"] == status and s,
                      f"job {job} to be {status}")  # fmt: skip
