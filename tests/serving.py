"""A real `vidgan serve` for the tests: its own process (so Ctrl-C, the exit and its memory are its own), on
a free port of 127.0.0.1, its jobs' folders in a folder the test sees."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from waiting import wait_until
from web import free_port


class ServeProcess:
    def __init__(self, work: Path, *flags: str, env: dict | None = None) -> None:
        self.work, self.port = work, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "vidgan", "serve", "--port", str(self.port), "--work-dir",
                                      str(work), *flags], env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)  # fmt: skip
        wait_until(self._answers, "the server to answer", alive=lambda: self.proc.poll() is None)

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/models", timeout=5).status_code in (200, 401)
        except httpx.TransportError:
            return False

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C; (its exit status, what it printed on stderr)."""
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate()
        return self.proc.returncode, err

    def close(self) -> None:
        if self.proc.poll() is None:
            self.interrupt()
