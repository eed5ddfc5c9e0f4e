"""The server's jobs: uploads probed by their content, jobs planned and checked when they are submitted, a
queue run by one worker per device (or several, on Ray), progress from the pipeline's own listener,
cancellation between batches, limits on what a client may hold, and every file in a private folder that
is deleted when the job is, after `keep` seconds, and at shutdown. No HTTP here: vidgan/web/routes.py puts
it on the network.

Each upload and job lives in its own folder (0700) under the server's root; the names inside are the
server's (`input.EXT`, the extension from what the content turned out to be), never the client's, whose
file name is kept only to name the result and to speak of the upload in messages. Ids are unguessable
(128 random bits) and there is no listing: a client sees the jobs it was told the ids of.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from vidgan.engine.translator import FrameTranslator, make_translator
from vidgan.errors import VidganError
from vidgan.models.checkpoints import LoadedModel
from vidgan.models.official import OFFICIAL_NAMES, official_path
from vidgan.models.registry import find_model, load_model, looks_like_path
from vidgan.pipeline.executors import executor_for
from vidgan.pipeline.files import output_name
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.plan import Plan, plan_job
from vidgan.pipeline.progress import Cancelled
from vidgan.pipeline.ray import RayOptions
from vidgan.web.settings import LimitReached, Settings
from vidgan.web.uploads import clean_name, folder_bytes, identify

STATUSES = ("queued", "running", "done", "failed", "cancelled")
FRAME_RATE_CAP = 240.0  # frames per second of --max-duration a job may decode, whatever its clip's times say


@dataclass
class Upload:
    id: str
    path: Path  # the content under the server's name for it
    kind: str  # video | image
    info: dict  # what the page shows: size, duration, frame rate, audio
    name: str = "upload"  # the client's file name, cleaned: for the result's name and for messages
    client: str | None = None  # the authenticated user who sent it
    received: float = field(default_factory=time.monotonic)


@dataclass
class Job:
    id: str
    folder: Path
    upload: Upload
    model: str
    options: TranslateOptions
    plan: Plan
    output: Path
    status: str = "queued"
    frames_done: int = 0
    frames_total: int = 0
    error: str | None = None
    notices: list[str] = field(default_factory=list)
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    ended: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)  # set when it has ended, however

    @property
    def download_name(self) -> str:
        """What the result is called for the client: its upload's name and the model (horse_zebra.mp4)."""
        return output_name(Path(self.upload.name).with_suffix(self.output.suffix), self.model)

    def report(self, position: int | None) -> dict:
        """The job as GET /api/jobs/ID answers it."""
        elapsed = (self.ended or time.monotonic()) - self.started if self.started else 0.0
        fps = self.frames_done / elapsed if elapsed > 0 and self.frames_done else None
        left = (self.frames_total - self.frames_done) / fps if fps and self.status == "running" else None
        progress = 1.0 if self.status == "done" else min(1.0, self.frames_done / self.frames_total) \
            if self.frames_total else 0.0  # fmt: skip
        return {"id": self.id, "status": self.status, "progress": round(progress, 4), "frames_done": self.frames_done,
                "frames_total": self.frames_total, "frames_per_s": round(fps, 2) if fps else None,
                "seconds_left": round(left, 1) if left is not None else None, "queue_position": position,
                "error": self.error, "notices": self.notices, "model": self.model, "kind": self.upload.kind,
                "input": self.upload.info, "download": self.download_name}  # fmt: skip


class JobQueue:
    """Uploads and jobs, the queue and its workers. Thread-safe: the web app calls it from its threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = Path(settings.root or tempfile.mkdtemp(prefix="vidgan-serve-"))
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._made_root = settings.root is None
        self.uploads: dict[str, Upload] = {}
        self.jobs: dict[str, Job] = {}
        self.waiting: deque[Job] = deque()
        self.lock = threading.Condition()
        self.closing = threading.Event()
        self.models: dict[str, LoadedModel] = {}
        self.translators: dict[str, FrameTranslator] = {}
        self.executor = executor_for(RayOptions(settings.ray) if settings.ray else None, self._translator)
        self.workers = [threading.Thread(target=self._work, name=f"vidgan-job-{i}", daemon=True)
                        for i in range(max(1, settings.workers))]  # fmt: skip
        self.sweeper = threading.Thread(target=self._sweep, name="vidgan-sweep", daemon=True)
        for thread in [*self.workers, self.sweeper]:
            thread.start()

    def public(self, message: str) -> str:
        """A message as a client may read it: the server's own paths never leave it; a job's input is
        named by its upload's name."""
        for item in [*self.uploads.values(), *(j.upload for j in self.jobs.values())]:
            message = message.replace(str(item.path), item.name)
        return re.sub(re.escape(str(self.root)) + r"[^\s:'\"]*", "the upload", message)

    # ------------------------------------------------------------------------------------------ uploads

    def admit_body(self, length: int | None) -> None:
        """Before a request's body is read: refuse it (LimitReached) where the jobs' disk would overflow."""
        if self.closing.is_set():
            raise LimitReached("the server is shutting down", 503)
        if folder_bytes(self.root) + (length or 0) > self.settings.max_disk:
            raise LimitReached(f"this server's disk for jobs is full ({self.settings.max_disk / 1e9:.1f} GB): try "
                               f"again when jobs have been deleted", 507)  # fmt: skip

    def admit_upload(self, client: str | None) -> None:
        """Before an upload is kept: refuse it (LimitReached) where it would pass a count."""
        with self.lock:
            if len(self.uploads) >= self.settings.max_uploads:
                raise LimitReached(f"this server holds {self.settings.max_uploads} uploads not yet translated: "
                                   f"try again when some have been")  # fmt: skip
            self._check_client(client)

    def _check_client(self, client: str | None) -> None:
        if client is None:
            return
        held = sum(u.client == client for u in self.uploads.values())
        held += sum(j.upload.client == client and j.ended is None for j in self.jobs.values())
        if held >= self.settings.max_per_client:
            raise LimitReached(f"you hold {held} uploads and unfinished jobs, this server's limit per user: "
                               f"delete or wait for some")  # fmt: skip

    def new_folder(self) -> tuple[str, Path]:
        token = secrets.token_urlsafe(16)
        folder = self.root / token
        folder.mkdir(mode=0o700)
        return token, folder

    def add_upload(self, received: Path, name: str | None = None, client: str | None = None) -> Upload:
        """A file received into a folder of `new_folder`'s, identified by its content; VidganError (and the
        folder removed) where it is not a video or an image, or too large."""
        try:
            kind, ext, info = identify(received, self.settings.max_pixels)
        except VidganError:
            shutil.rmtree(received.parent, ignore_errors=True)
            raise
        path = received.with_name(f"input{ext}")
        received.rename(path)
        upload = Upload(received.parent.name, path, kind, info, clean_name(name), client)
        with self.lock:
            self.uploads[upload.id] = upload
        return upload

    def discard_upload(self, upload_id: str) -> None:
        with self.lock:
            upload = self.uploads.pop(upload_id, None)
        if upload is not None:
            shutil.rmtree(upload.path.parent, ignore_errors=True)

    # ------------------------------------------------------------------------------------------ jobs

    def submit(self, upload_id: str, model: str, options: TranslateOptions, client: str | None = None) -> Job:
        """Plan and check a job on an upload (VidganError: the one line the CLI would print, LimitReached:
        which limit), then queue it."""
        upload = self.uploads.get(upload_id)
        if upload is None or upload.client != client:
            raise LookupError("no such upload (it may have expired)")
        self.check_model(model)
        if options.size is not None and options.size > self.settings.max_size:
            raise VidganError(f"size {options.size}: this server translates at working sizes up to "
                              f"{self.settings.max_size} px")  # fmt: skip
        options, notices = self._bounded(upload, options)
        video = ".webm" if options.encode.codec == "vp9" else ".mp4"  # what a browser plays
        output = upload.path.parent / f"output{upload.path.suffix if upload.kind == 'image' else video}"
        options = dataclasses.replace(options, overwrite=True, quiet=True)
        try:
            plan = plan_job(upload.path, output, model, options)
        except VidganError as e:
            raise VidganError(self.public(str(e))) from None
        job = Job(upload.id, upload.path.parent, upload, model, options, plan, output,
                  frames_total=plan.expected_frames(), notices=notices)  # fmt: skip
        with self.lock:
            if self.closing.is_set():
                raise LimitReached("the server is shutting down", 503)
            if len(self.waiting) >= self.settings.max_queued:
                raise LimitReached(f"this server has {len(self.waiting)} jobs waiting, its limit: try again later")
            del self.uploads[upload.id]  # an upload makes one job (its folder becomes the job's)
            self.jobs[job.id] = job
            self.waiting.append(job)
            self.lock.notify_all()
        return job

    def check_model(self, model: str) -> None:
        """Models by name only, and only those already here: a download is the operator's act, before
        `vidgan serve` (a request never waits for one, nor starts one)."""
        if looks_like_path(model) or "\\" in model:
            raise VidganError(f"model {model!r}: models are chosen by name here (see /api/models), not by path")
        if model.startswith("official:"):
            name = model.split(":", 1)[1]
            if name not in OFFICIAL_NAMES or not official_path(name).is_file():
                raise VidganError(f"model {model!r} is not on this server (see /api/models)")
            return
        find_model(model)  # an unknown name fails here, before any work

    def _bounded(self, upload: Upload, options: TranslateOptions) -> tuple[TranslateOptions, list[str]]:
        """The options with the server's limit on video: a job translates at most --max-duration, refused up
        front where the clip says it is longer, and stopped at the limit where it says nothing (or lies)."""
        limit = self.settings.max_duration
        if upload.kind != "video":
            return options, []
        stated = upload.info.get("duration")
        length = max(0.0, stated - (options.start or 0.0)) if stated is not None else None
        if options.duration is not None:
            length = min(length, options.duration) if length is not None else options.duration
        if length is not None and length > limit:
            raise VidganError(f"this would translate {length:.0f} s of video; this server takes at most {limit:.0f} s "
                              f"a job (choose a part with start and duration)")  # fmt: skip
        if stated is not None:  # (a clip that says less than it holds is stopped by the frames it decodes)
            return options, []
        notice = f"the clip does not say how long it is: at most the server's {limit:g} s are translated"
        return dataclasses.replace(options, duration=min(options.duration or limit, limit)), [notice]

    def position(self, job: Job) -> int | None:
        """1 for the next job to run; None once it runs."""
        with self.lock:
            return self.waiting.index(job) + 1 if job in self.waiting else None

    def get(self, job_id: str, client: str | None = None) -> Job | None:
        with self.lock:
            job = self.jobs.get(job_id)
        return job if job is not None and job.upload.client == client else None

    def delete(self, job_id: str, client: str | None = None) -> bool:
        """Cancel the job if it waits or runs, and delete it and its files (a running one's when its worker
        has stopped it, at its next batch)."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None or job.upload.client != client:
                return False
            del self.jobs[job_id]
            if job in self.waiting:
                self.waiting.remove(job)
                job.status = "cancelled"
                job.finished.set()
            job.cancel.set()
            running = job.status == "running"
        if not running:
            shutil.rmtree(job.folder, ignore_errors=True)
        return True

    def _model(self, name: str) -> LoadedModel:
        with self.lock:
            if name not in self.models:
                self.models[name] = load_model(name)
            return self.models[name]

    def _translator(self, model: LoadedModel, options: TranslateOptions) -> FrameTranslator:
        """One translator per model and worker thread (a translator is not shared between threads)."""
        key = f"{model.name}|{options.device}|{threading.get_ident()}"
        with self.lock:
            if key not in self.translators:
                self.translators[key] = make_translator(model.generator, options)
            return self.translators[key]

    def live_translator(self, model: str) -> FrameTranslator:
        """A translator of its own for a live session (its thread), the model loaded once for all."""
        self.check_model(model)
        return make_translator(self._model(model).generator, TranslateOptions(device=self.settings.device))

    def _work(self) -> None:
        while True:
            with self.lock:
                while not self.waiting and not self.closing.is_set():
                    self.lock.wait()
                if self.closing.is_set():
                    return
                job = self.waiting.popleft()
                job.status, job.started = "running", time.monotonic()
            self._run(job)

    def _run(self, job: Job) -> None:
        frame_cap = self.settings.max_duration * FRAME_RATE_CAP

        def listen(frames: int) -> None:  # told the frames written, and asked before each batch (0)
            if job.cancel.is_set():
                raise Cancelled
            job.frames_done += frames
            if job.frames_done > frame_cap:
                raise VidganError(f"stopped after {job.frames_done} frames: more than the server's limit of video")

        try:
            loaded = self._model(job.model)
            result = self.executor.run(job.plan, loaded, job.options, listen)[0]
            if result.error:
                raise VidganError(result.error)
            job.notices += [*loaded.notices, *result.notices]
            job.frames_done = max(job.frames_done, result.frames)
            job.frames_total = job.frames_done  # what was there, once known
            job.status = "done"
        except Cancelled:
            job.status = "cancelled"
        except VidganError as e:
            job.status, job.error = "failed", self.public(str(e))
        except Exception as e:  # a job's failure never stops the worker or the server
            job.status, job.error = "failed", self.public(f"{type(e).__name__}: {e}".splitlines()[0])
        finally:
            job.ended = time.monotonic()
            if job.cancel.is_set():
                job.status = "cancelled"
                shutil.rmtree(job.folder, ignore_errors=True)
            job.finished.set()

    # ------------------------------------------------------------------------------------------ clean-up

    def _sweep(self) -> None:
        """Every few seconds: jobs finished more than `keep` seconds ago, and uploads never used, go."""
        while not self.closing.wait(min(5.0, self.settings.keep / 4)):
            now = time.monotonic()
            with self.lock:
                old = [(j.id, j.upload.client) for j in self.jobs.values()
                       if j.ended and now - j.ended > self.settings.keep]  # fmt: skip
                stale = [u for u in self.uploads.values() if now - u.received > self.settings.keep]
                for upload in stale:
                    del self.uploads[upload.id]
            for job_id, client in old:
                self.delete(job_id, client)
            for upload in stale:
                shutil.rmtree(upload.path.parent, ignore_errors=True)

    def stop(self) -> None:
        """The shutdown's first half, at once: take nothing more, cancel what runs and waits (the pipeline
        stops at its next batch), answer the long polls."""
        with self.lock:
            self.closing.set()
            for job in self.jobs.values():
                job.cancel.set()
                job.finished.set()
            self.lock.notify_all()

    def close(self) -> None:
        """Shutdown: stop, wait for the workers, delete every file."""
        self.stop()
        for thread in self.workers:
            thread.join()
        if self._made_root:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            for child in self.root.iterdir():
                shutil.rmtree(child, ignore_errors=True)
