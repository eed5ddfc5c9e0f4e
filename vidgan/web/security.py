"""What stands in front of every route of `vidgan serve`: who may ask, from which page, and how much.

- Credentials: HTTP Basic (FastAPI's `HTTPBasic`), USER:PASSWORD pairs from `--auth-file` (one a line),
  the `VIDGAN_AUTH` environment variable or `--auth` (which `ps` shows: the other two do not); compared in
  constant time; an empty user or password is refused when the server starts.
- `Guard`, an ASGI layer before the app reads anything: the Host header must be one the server was started
  for (a page on another site cannot reach a server on 127.0.0.1 through DNS rebinding), a request from a
  browser page must come from the server's own page (`Origin`, `Sec-Fetch-Site`: no cross-site POSTs), and
  an upload is refused with 413 from its Content-Length, or as soon as a body without one runs past the
  limit, and with 408 when it stalls longer than the upload timeout.

Written as ASGI rather than Starlette's TrustedHostMiddleware: every refusal of the server has one shape,
{"error": "..."}, and that middleware answers in plain text.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import secrets
import threading
from pathlib import Path

from vidgan.errors import VidganError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
STALL_SLICE = 0.1  # seconds: how often a waiting upload looks at the clock and for a shutdown
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def is_loopback(host: str) -> bool:
    try:
        return host in LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_credentials(auth: str | None = None, auth_file: Path | None = None,
                     environ: dict | None = None) -> dict[str, str] | None:  # fmt: skip
    """USER -> PASSWORD from --auth-file, else $VIDGAN_AUTH, else --auth; None: no authentication."""
    environ = os.environ if environ is None else environ
    if auth_file is not None:
        try:
            lines = [line.strip() for line in Path(auth_file).read_text().splitlines()]
        except OSError as e:
            raise VidganError(f"cannot read --auth-file {auth_file}: {e.strerror}") from None
        pairs = [line for line in lines if line and not line.startswith("#")]
        if not pairs:
            raise VidganError(f"--auth-file {auth_file} holds no USER:PASSWORD line")
    elif environ.get("VIDGAN_AUTH"):
        pairs = [environ["VIDGAN_AUTH"]]
    elif auth is not None:
        pairs = [auth]
    else:
        return None
    users = {}
    for pair in pairs:
        user, sep, password = pair.partition(":")
        if not sep or not user or not password:
            raise VidganError("authentication takes USER:PASSWORD, neither part empty")
        users[user] = password
    return users


def check_binding(host: str, users: dict[str, str] | None) -> None:
    """A server reachable from other machines needs credentials."""
    if not is_loopback(host) and not users:
        raise VidganError(f"--host {host} lets other machines reach the server: give credentials too (--auth-file, "
                          f"VIDGAN_AUTH or --auth USER:PASSWORD)")  # fmt: skip


class Credentials:
    """The users a server takes, checked in constant time (whether the user exists or not)."""

    def __init__(self, users: dict[str, str]) -> None:
        self.users = {u.encode(): p.encode() for u, p in users.items()}

    def check(self, user: str, password: str) -> bool:
        user_b, password_b = user.encode(), password.encode()
        known = False
        for name, secret in self.users.items():  # every entry compared: the time says nothing of which matched
            known |= secrets.compare_digest(name, user_b) & secrets.compare_digest(secret, password_b)
        return known


def allowed_hosts(host: str, extra: tuple[str, ...] = ()) -> set[str] | None:
    """The host names (Host headers, less the port) a server bound to `host` answers: its loopback names where
    it is bound there (a DNS rebinding page comes with its own name), or any where it is bound to all
    addresses (credentials guard it then), unless `extra` names them."""
    if extra:
        return {n.lower() for n in extra}
    if is_loopback(host):
        return set(LOOPBACK_NAMES)
    return None if host in ("0.0.0.0", "::") else {host.lower()}


def host_name(header: str) -> str:
    """'localhost:7860' -> 'localhost', '[::1]:7860' -> '::1'."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


async def send_json(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})  # fmt: skip
    await send({"type": "http.response.body", "body": data})


class Guard:
    """ASGI: hosts and origins, then the upload's size and pace, before the app reads a byte."""

    def __init__(self, app, hosts: set[str] | None, max_upload: int, upload_timeout: float,
                 stopping: threading.Event) -> None:  # fmt: skip
        self.app, self.hosts, self.max_upload, self.upload_timeout = app, hosts, max_upload, upload_timeout
        self.stopping = stopping  # set at Ctrl-C: an upload still coming is dropped then (503)

    def _refusal(self, scope, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if self.hosts is not None and host_name(host) not in self.hosts:
            return 400, f"this server does not answer to the host {host!r}"
        origin = headers.get(b"origin")
        if origin is not None and origin.decode("latin-1").lower() not in (f"http://{host}", f"https://{host}"):
            return 403, "requests from another site's page are refused"
        if scope["method"] in UNSAFE and headers.get(b"sec-fetch-site", b"same-origin") == b"cross-site":
            return 403, "requests from another site's page are refused"
        return None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            return await send_json(send, refusal[0], {"error": refusal[1]})
        too_large = (413, f"the upload is larger than this server takes ({self.max_upload / 1e6:,.0f} MB)")
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_upload):
            return await send_json(send, too_large[0], {"error": too_large[1]})
        seen, problem, started = 0, None, False

        async def counted():
            nonlocal seen, problem
            silent, pending = 0.0, asyncio.ensure_future(receive())
            while not pending.done():  # in slices, to see a Ctrl-C and the stall limit alike
                await asyncio.wait([pending], timeout=STALL_SLICE)
                silent += STALL_SLICE
                if not pending.done() and (self.stopping.is_set() or silent >= self.upload_timeout):
                    pending.cancel()
                    problem = (503, "the server is shutting down") if self.stopping.is_set() else \
                        (408, f"the upload stalled for {self.upload_timeout:g} s: dropped")  # fmt: skip
                    return {"type": "http.disconnect"}
            message = pending.result()
            seen += len(message.get("body", b""))
            if seen > self.max_upload:
                problem = too_large
                return {"type": "http.disconnect"}  # the app stops reading; its answer is replaced below
            return message

        async def guarded_send(message) -> None:
            nonlocal started
            if problem is None:
                started = True
                await send(message)

        await self.app(scope, counted, guarded_send)
        if problem is not None and not started:
            await send_json(send, problem[0], {"error": problem[1]})
