"""`vidgan serve`: the application put together (the API's router, its guard, one error shape) and run
(uvicorn, on a socket bound before anything is announced; Ctrl-C stops it within seconds, whatever the
clients do). `pip install 'vidgan[web]'`.

The page is the service's own (not Gradio's): the API is what scripts use and the page a thin client of it,
so the two cannot differ; limits and authentication sit in one place, in front of both (security.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

from vidgan.errors import VidganError
from vidgan.web.queue import JobQueue
from vidgan.web.security import Credentials, Guard, allowed_hosts, check_binding
from vidgan.web.settings import Settings

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)

SHUTDOWN_GRACE = 2.0  # seconds open connections (a long poll, a slow upload) get at Ctrl-C before they are cut


def require_web() -> None:
    try:
        import aiortc  # noqa: F401
        import fastapi  # noqa: F401
        import multipart  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise VidganError("vidgan serve needs the web extra: pip install 'vidgan[web]'") from None


def create_app(settings: Settings, users: dict[str, str] | None = None, host: str = "127.0.0.1",
               hosts: tuple[str, ...] = ()):  # fmt: skip
    """The ASGI application: the API and the page over one JobQueue (closed at shutdown), behind the guard.
    `app.queue()` is the live queue (for tests and the benchmarks)."""
    from fastapi import FastAPI
    from fastapi.concurrency import run_in_threadpool
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    from vidgan.web.live import LiveSessions
    from vidgan.web.routes import make_router

    queue = JobQueue(settings)
    live = LiveSessions(queue.live_translator, settings.max_live)

    @contextlib.asynccontextmanager
    async def lifespan(_api):
        try:
            yield
        finally:
            await live.close_all()
            await run_in_threadpool(queue.close)  # cancels what runs, deletes every file

    api = FastAPI(title="vidgan", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    api.include_router(make_router(queue, Credentials(users) if users else None, live))

    @api.exception_handler(HTTPException)
    async def http_error(_request, exc: HTTPException):
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(_request, exc: RequestValidationError):  # one error shape, 422s too
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid')}"}, status_code=422)

    app = Guard(api, allowed_hosts(host, hosts), settings.max_upload, settings.upload_timeout, queue.closing)
    app.queue = lambda: queue
    app.live = live
    return app


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound now: a port in use is said in one line before anything is announced."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise VidganError(f"cannot listen on {host}:{port}: {e.strerror.lower()} (another server there? --port "
                          f"chooses another)") from None  # fmt: skip
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, users: dict[str, str] | None = None,
          hosts: tuple[str, ...] = ()) -> None:  # fmt: skip
    """Run the server until Ctrl-C; at shutdown running jobs are cancelled and every file deleted."""
    require_web()
    check_binding(host, users)
    import uvicorn

    sock = bind(host, port)
    app = create_app(settings, users, host, hosts)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=SHUTDOWN_GRACE)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            """Ctrl-C: the jobs are cancelled and the open requests answered now (long polls, uploads still
            coming), so the connections close within the grace rather than being cut."""
            app.queue().stop()
            super().handle_exit(sig, frame)

    server = Server(config)
    shown = f"[{host}]" if ":" in host else host
    say(f"vidgan serve: http://{shown}:{port} (Ctrl-C stops it)")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(sockets=[sock]))
