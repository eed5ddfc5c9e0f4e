"""The HTTP API of `vidgan serve` (an APIRouter over one JobQueue) and the page:

    POST   /api/uploads          multipart `file`: probed by its content -> 201 {"upload": ID, "kind", size...}
    POST   /api/jobs             multipart `file` (or `upload`: an upload's ID) and fields named like the CLI's
                                 options (model, size, smooth, upsample, start, duration, codec, crf)
                                 -> 202 {"id": ID, "status": "queued"}
    GET    /api/jobs/ID          status (queued, running, done, failed, cancelled), progress (0-1), frames_done,
                                 frames_total, frames_per_s, seconds_left, queue_position, error, notices;
                                 ?wait=S answers when the job ends (or after S seconds): no polling
    GET    /api/jobs/ID/result   the translated file (named after the upload and the model)
    GET    /api/jobs/ID/input    the file translated
    DELETE /api/jobs/ID          cancel it (if it waits or runs) and delete it and its files
    GET    /api/models           the models the server offers, by name
    POST   /api/live             JSON {sdp, type, model, size}: a WebRTC offer of the page's camera -> the answer
                                 and a session id; GET /api/live/ID its frames/s and delay; DELETE stops it
    GET    /                     the page (page.html), a client of the same API

Every refusal is a 4xx (or 503, 507) with {"error": "<one line>"}. A route does not read an upload's body
before the client is authenticated and the server's limits have admitted it.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at run time.
import asyncio
import shutil
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from vidgan.errors import VidganError
from vidgan.models.official import official_path
from vidgan.models.registry import list_models
from vidgan.pipeline.options import parse_working_size
from vidgan.web.live import LiveSessions
from vidgan.web.queue import JobQueue, Upload
from vidgan.web.schemas import JobFields, LiveOffer
from vidgan.web.security import Credentials
from vidgan.web.settings import LimitReached

LONG_POLL = 60.0  # seconds a ?wait= may hold a request at most
NO_JOB = "no such job (it may have been deleted or expired)"


def make_router(queue: JobQueue, credentials: Credentials | None, live: LiveSessions) -> APIRouter:
    basic = HTTPBasic(auto_error=False)

    def client(given: Annotated[HTTPBasicCredentials | None, Depends(basic)]) -> str | None:
        """The authenticated user (None where the server takes no credentials)."""
        if credentials is None:
            return None
        if given is None or not credentials.check(given.username, given.password):
            raise HTTPException(401, "authentication required", headers={"WWW-Authenticate": 'Basic realm="vidgan"'})
        return given.username

    Client = Annotated[str | None, Depends(client)]
    router = APIRouter()

    async def receive_file(request: Request, who: str | None) -> tuple[dict[str, str], Path | None, str | None]:
        """The form's fields, and its `file` (if any) in a new private folder under the server's name, with
        the client's name for it; the server's limits are asked first, from the Content-Length."""
        length = request.headers.get("content-length")
        try:
            await run_in_threadpool(queue.admit_body, int(length) if length else None)
        except LimitReached as e:
            raise HTTPException(e.status, str(e)) from None
        try:
            form = await request.form(max_files=1, max_fields=20)
        except Exception:  # a malformed multipart body, or one cut off by a limit (the guard answers that)
            raise HTTPException(400, "expected a multipart form (a file field named 'file')") from None
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return fields, None, None
        try:
            queue.admit_upload(who)
        except LimitReached as e:
            await upload.close()
            raise HTTPException(e.status, str(e)) from None
        _, folder = queue.new_folder()
        received = folder / "received"
        with open(received, "wb") as f:
            await run_in_threadpool(shutil.copyfileobj, upload.file, f, 1 << 20)
        await upload.close()
        return fields, received, upload.filename

    async def add_upload(received: Path, name: str | None, who: str | None) -> Upload:
        try:
            return await run_in_threadpool(queue.add_upload, received, name, who)
        except VidganError as e:
            raise HTTPException(415, queue.public(str(e))) from None

    @router.get("/", response_class=HTMLResponse)
    async def page(_who: Client):
        return (resources.files("vidgan.web") / "page.html").read_text()

    @router.get("/api/models")
    async def models(_who: Client):
        rows = await run_in_threadpool(list_models)
        offered = [row for row in rows if not row[0].startswith("official:") or official_path(row[0][9:]).is_file()]
        return [{"name": name, "where": where, "description": text} for name, where, text in offered]

    @router.post("/api/uploads", status_code=201)
    async def new_upload(request: Request, who: Client):
        _, received, name = await receive_file(request, who)
        if received is None:
            raise HTTPException(400, "no file: send it as the form field 'file'")
        upload = await add_upload(received, name, who)
        return {"upload": upload.id, "kind": upload.kind, "name": upload.name, **upload.info}

    @router.post("/api/jobs", status_code=202)
    async def new_job(request: Request, who: Client):
        raw, received, name = await receive_file(request, who)
        try:
            fields = JobFields.parse(raw)
            options = fields.options(queue.settings.device)
        except VidganError as e:
            if received is not None:
                shutil.rmtree(received.parent, ignore_errors=True)
            raise HTTPException(400, str(e)) from None
        upload_id = (await add_upload(received, name, who)).id if received is not None else fields.upload
        if not upload_id:
            raise HTTPException(400, "no file: send it as the form field 'file' (or an upload's id as 'upload')")
        try:
            job = await run_in_threadpool(queue.submit, upload_id, fields.model, options, who)
        except LookupError as e:
            raise HTTPException(404, str(e)) from None
        except VidganError as e:
            if received is not None:  # nothing is kept of a refused job
                await run_in_threadpool(queue.discard_upload, upload_id)
            raise HTTPException(getattr(e, "status", 400), str(e)) from None
        return {"id": job.id, "status": "queued"}  # as it was when accepted (a worker may have begun it since)

    def the_job(job_id: str, who: str | None):
        job = queue.get(job_id, who)
        if job is None:
            raise HTTPException(404, NO_JOB)
        return job

    @router.get("/api/jobs/{job_id}")
    async def job_status(job_id: str, who: Client, wait: float = 0.0):
        """`?wait=S`: answer once the job has ended, or after S seconds (at most LONG_POLL), or at once when
        the server shuts down: no polling needed."""
        job = the_job(job_id, who)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(wait, 0.0), LONG_POLL)
        while not job.finished.is_set() and not queue.closing.is_set() and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return job.report(queue.position(job))

    @router.get("/api/jobs/{job_id}/result")
    async def job_result(job_id: str, who: Client):
        job = the_job(job_id, who)
        if job.status != "done":
            raise HTTPException(409, f"the job is {job.status}: no result" + (f" ({job.error})" if job.error else ""))
        return FileResponse(job.output, filename=job.download_name)

    @router.get("/api/jobs/{job_id}/input")
    async def job_input(job_id: str, who: Client):
        job = the_job(job_id, who)
        return FileResponse(job.upload.path, filename=job.upload.name)

    @router.delete("/api/jobs/{job_id}")
    async def job_delete(job_id: str, who: Client):
        if not await run_in_threadpool(queue.delete, job_id, who):
            raise HTTPException(404, NO_JOB)
        return {"id": job_id, "status": "deleted"}

    @router.post("/api/live")
    async def live_open(request: Request, who: Client):
        """The page's camera: a WebRTC offer in, the answer out (web/live.py)."""
        try:
            offer = LiveOffer.model_validate(await request.json())
            await run_in_threadpool(queue.check_model, offer.model)
            size = None if offer.size == "auto" else parse_working_size(offer.size)
            session_id, answer = await live.open(offer.sdp, offer.type, offer.model, size, who)
        except LimitReached as e:
            raise HTTPException(e.status, str(e)) from None
        except ValidationError as e:
            first = e.errors()[0]
            raise HTTPException(400, f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}") from None
        except (VidganError, ValueError) as e:  # ValueError: a body that is not JSON
            raise HTTPException(400, queue.public(str(e).splitlines()[0])) from None
        return {"id": session_id, **answer}

    @router.get("/api/live/{session_id}")
    async def live_status(session_id: str, who: Client):
        session = live.get(session_id, who)
        if session is None:
            raise HTTPException(404, "no such live session (it may have stopped)")
        return session.stats()

    @router.delete("/api/live/{session_id}")
    async def live_stop(session_id: str, who: Client):
        if live.get(session_id, who) is None or not await live.close(session_id):
            raise HTTPException(404, "no such live session (it may have stopped)")
        return {"id": session_id, "status": "stopped"}

    return router
