"""`vidgan serve`: the HTTP service and the page on top of it (FastAPI; `pip install 'vidgan[web]'`).

    POST   /api/uploads          multipart `file`: probed by its content -> 201 {"upload": ID, "kind", size...}
    POST   /api/jobs             multipart `file` (or `upload`: an upload's ID) and fields named like the CLI's
                                 options (model, size, smooth, upsample, start, duration, codec, crf)
                                 -> 202 {"id": ID, "status": "queued"}
    GET    /api/jobs/ID          status (queued, running, done, failed, cancelled), progress (0-1), frames_done,
                                 frames_total, frames_per_s, seconds_left, queue_position, error, notices;
                                 ?wait=S answers when the job ends (or after S seconds): no polling
    GET    /api/jobs/ID/result   the translated file;  GET /api/jobs/ID/input: the file translated
    DELETE /api/jobs/ID          cancel it (if it waits or runs) and delete it and its files
    GET    /api/models           the models the server offers, by name
    GET    /                     the page (page.html), a client of the same API

Every refusal is a 4xx with {"error": "<the one line the CLI would print>"}. The page is the service's
own (not Gradio's): the API is what scripts use and the page a thin client of it, so the two cannot
differ; limits and authentication sit in one place, in front of both (`Guard`).
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations (Request) at run time.
import asyncio
import base64
import ipaddress
import json
import secrets
import shutil
from importlib import resources
from pathlib import Path

from vidgan.errors import VidganError
from vidgan.models import list_models
from vidgan.web.jobs import JobQueue, Settings

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def require_web():
    try:
        import fastapi  # noqa: F401
        import multipart  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise VidganError("vidgan serve needs the web extra: pip install 'vidgan[web]'") from None


async def _send_json(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})  # fmt: skip
    await send({"type": "http.response.body", "body": data})


class Guard:
    """In front of every route: HTTP Basic authentication where `auth` is set, and the upload limit (413
    from the Content-Length alone, or as soon as a body without one runs past it)."""

    def __init__(self, app, auth: str | None, max_upload: int) -> None:
        self.app, self.max_upload = app, max_upload
        self.auth = b"Basic " + base64.b64encode(auth.encode()) if auth else None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if self.auth is not None and not secrets.compare_digest(headers.get(b"authorization", b""), self.auth):
            return await _send_json(send, 401, {"error": "authentication required"},
                                    [(b"www-authenticate", b'Basic realm="vidgan"')])  # fmt: skip
        length = headers.get(b"content-length")
        too_large = {"error": f"the upload is larger than this server takes ({self.max_upload / 1e6:,.0f} MB)"}
        if length is not None and int(length) > self.max_upload:
            return await _send_json(send, 413, too_large)
        seen, over = 0, False

        async def counted():
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_upload:
                over = True
                return {"type": "http.disconnect"}  # the app stops reading; its answer is replaced below
            return message

        started = False

        async def guarded_send(message) -> None:
            nonlocal started
            if not over:
                started = True
                await send(message)

        await self.app(scope, counted, guarded_send)
        if over and not started:
            await _send_json(send, 413, too_large)


def create_app(settings: Settings, auth: str | None = None):
    """The ASGI application: the API and the page over one JobQueue (closed at shutdown)."""
    import contextlib

    from fastapi import FastAPI, Request
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
    from starlette.exceptions import HTTPException

    queue: JobQueue | None = None

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        nonlocal queue
        queue = JobQueue(settings)
        try:
            yield
        finally:
            await run_in_threadpool(queue.close)  # cancels what runs, deletes every file

    api = FastAPI(title="vidgan", lifespan=lifespan, docs_url=None, redoc_url=None)

    def refuse(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @api.exception_handler(HTTPException)
    async def http_error(_request, exc: HTTPException):
        return refuse(exc.status_code, str(exc.detail))

    async def receive_file(request: Request) -> tuple[dict[str, str], Path | None]:
        """The form's fields, and its `file` (if any) in a new private folder, under the server's name."""
        try:
            form = await request.form()
        except Exception:  # a malformed multipart body, or one cut off by the upload limit
            raise HTTPException(400, "expected a multipart form (a file field named 'file')") from None
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return fields, None
        _, folder = queue.new_folder()
        received = folder / "received"
        with open(received, "wb") as f:
            await run_in_threadpool(shutil.copyfileobj, upload.file, f, 1 << 20)
        await upload.close()
        return fields, received

    async def add_upload(received: Path):
        try:
            return await run_in_threadpool(queue.add_upload, received)
        except VidganError as e:
            raise HTTPException(415, str(e)) from None

    def upload_json(upload) -> dict:
        return {"upload": upload.id, "kind": upload.kind, **upload.info}

    @api.get("/", response_class=HTMLResponse)
    async def page():
        return (resources.files("vidgan.web") / "page.html").read_text()

    @api.get("/api/models")
    async def models():
        rows = await run_in_threadpool(list_models)
        return [{"name": name, "where": where, "description": text} for name, where, text in rows]

    @api.post("/api/uploads", status_code=201)
    async def new_upload(request: Request):
        _, received = await receive_file(request)
        if received is None:
            raise HTTPException(400, "no file: send it as the form field 'file'")
        return upload_json(await add_upload(received))

    @api.post("/api/jobs", status_code=202)
    async def new_job(request: Request):
        fields, received = await receive_file(request)
        upload_id = fields.pop("upload", None)
        if received is not None:
            upload_id = (await add_upload(received)).id
        if not upload_id:
            raise HTTPException(400, "no file: send it as the form field 'file' (or an upload's id as 'upload')")
        try:
            job = await run_in_threadpool(queue.submit, upload_id, fields)
        except LookupError as e:
            raise HTTPException(404, str(e)) from None
        except VidganError as e:
            if received is not None:  # nothing is kept of a refused job
                await run_in_threadpool(queue.discard_upload, upload_id)
            raise HTTPException(400, str(e)) from None
        return {"id": job.id, "status": "queued"}  # as it was when accepted (a worker may have begun it since)

    def the_job(job_id: str):
        job = queue.get(job_id)
        if job is None:
            raise HTTPException(404, "no such job (it may have been deleted or expired)")
        return job

    @api.get("/api/jobs/{job_id}")
    async def job_status(job_id: str, wait: float = 0.0):
        """`?wait=S`: answer once the job has ended, or after S seconds (at most 60): no polling needed."""
        job = the_job(job_id)
        deadline = asyncio.get_running_loop().time() + min(max(wait, 0.0), 60.0)
        while job.ended is None and job.status != "cancelled" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        return job.report(queue.position(job))

    @api.get("/api/jobs/{job_id}/result")
    async def job_result(job_id: str):
        job = the_job(job_id)
        if job.status != "done":
            raise HTTPException(409, f"the job is {job.status}: no result" + (f" ({job.error})" if job.error else ""))
        return FileResponse(job.output, filename=f"translated_{job.model}{job.output.suffix}")

    @api.get("/api/jobs/{job_id}/input")
    async def job_input(job_id: str):
        job = the_job(job_id)
        return FileResponse(job.upload.path)

    @api.delete("/api/jobs/{job_id}")
    async def job_delete(job_id: str):
        if not await run_in_threadpool(queue.delete, job_id):
            raise HTTPException(404, "no such job (it may have been deleted or expired)")
        return {"id": job_id, "status": "deleted"}

    app = Guard(api, auth, settings.max_upload)
    app.queue = lambda: queue  # for tests and the benchmark: the live queue
    return app


def check_binding(host: str, auth: str | None) -> None:
    """A server reachable from other machines needs --auth; USER:PASSWORD is the form it takes."""
    if auth is not None and ":" not in auth:
        raise VidganError("--auth takes USER:PASSWORD")
    loopback = host in LOOPBACK
    try:
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if not loopback and auth is None:
        raise VidganError(f"--host {host} lets other machines reach the server: give --auth USER:PASSWORD too")


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None,
          log=print) -> None:  # fmt: skip
    """Run the server until Ctrl-C; at shutdown running jobs are cancelled and every file deleted."""
    require_web()
    check_binding(host, auth)
    import uvicorn

    log(f"vidgan serve: http://{host}:{port} (Ctrl-C stops it)")
    config = uvicorn.Config(create_app(settings, auth), host=host, port=port, log_level="warning", lifespan="on")
    try:
        asyncio.run(uvicorn.Server(config).serve())
    except KeyboardInterrupt:
        pass
