"""The server's jobs: uploads probed by their content, jobs planned and checked when they are submitted, a
queue run by one worker per device (or several, on Ray), progress from the pipeline's own listener,
cancellation, and every file in a private folder that is deleted when the job is, after `keep` seconds,
and at shutdown. No HTTP here: vidgan/web/app.py puts it on the network.

Each upload and job lives in its own folder (0700) under the server's root; the names inside are the
server's (`input.EXT`, the extension from what the content turned out to be), never the client's. Ids are
unguessable (128 random bits) and there is no listing: a client sees the jobs it was told the ids of.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from vidgan.checkpoints import LoadedModel
from vidgan.errors import VidganError
from vidgan.models import find_model, load_model, looks_like_path
from vidgan.pipeline.jobs import make_translator
from vidgan.pipeline.options import TranslateOptions, parse_time, parse_working_size
from vidgan.pipeline.plan import Plan, plan_job, run_plan
from vidgan.pipeline.progress import Cancelled
from vidgan.pipeline.translate import FrameTranslator
from vidgan.temporal import MODES, SmoothingConfig
from vidgan.upsample import METHODS
from vidgan.video.decode import probe
from vidgan.video.formats import ENCODERS, EncodeSettings

STATUSES = ("queued", "running", "done", "failed", "cancelled")
# What a video container's content says it is -> the extension the pipeline reads it by.
CONTAINER_EXTENSIONS = {"mov,mp4,m4a,3gp,3g2,mj2": ".mp4", "matroska,webm": ".mkv", "avi": ".avi", "mpegts": ".ts",
                        "flv": ".flv", "ogg": ".ogv", "mpeg": ".mpg"}  # fmt: skip
IMAGE_EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "BMP": ".bmp", "TIFF": ".tif", "GIF": ".gif"}


@dataclass
class Settings:
    """What `vidgan serve` is told; the defaults are the safe ones."""

    root: Path | None = None  # where the jobs' folders live; None: a fresh temporary folder, removed at shutdown
    max_upload: int = 2_000_000_000  # bytes an upload may have (larger: 413)
    max_duration: float = 600.0  # seconds of video a job may translate (use start/duration for a part)
    keep: float = 3600.0  # seconds a finished job's files are kept (then the job is gone)
    device: str = "auto"
    workers: int = 1  # jobs running at once: one per device by default
    ray: str | None = None  # a Ray address: jobs run as Ray tasks there (vidgan/cluster.py)


@dataclass
class Upload:
    id: str
    path: Path  # the content under the server's name for it
    kind: str  # video | image
    info: dict  # what the page shows: size, duration, frame rate, audio
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
                "input": self.upload.info}  # fmt: skip


def parse_options(fields: dict[str, str], device: str) -> TranslateOptions:
    """A job's options from form fields named like the CLI's; VidganError (one line) for a bad one."""
    known = {"model", "size", "smooth", "upsample", "start", "duration", "codec", "crf", "upload"}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise VidganError(f"unknown option(s): {', '.join(unknown)} (known: {', '.join(sorted(known - {'upload'}))})")

    def choice(name: str, allowed, default: str) -> str:
        value = fields.get(name) or default
        if value not in allowed:
            raise VidganError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
        return value

    def timed(name: str) -> float | None:
        try:
            return parse_time(fields.get(name) or None)
        except VidganError as e:
            raise VidganError(f"{name}: {e}") from None

    try:
        size = parse_working_size(fields.get("size") or "256")
    except VidganError as e:
        raise VidganError(f"size: {e}") from None
    crf = None
    if fields.get("crf"):
        try:
            crf = float(fields["crf"])
        except ValueError:
            raise VidganError(f"crf: {fields['crf']!r} is not a number") from None
        if not 0 <= crf <= 63:
            raise VidganError(f"crf: {crf:g} is outside 0-63")
    duration = timed("duration")
    if duration == 0:
        raise VidganError("duration: must be more than 0")
    codec = choice("codec", list(ENCODERS), "h264")
    return TranslateOptions(size=size, upsample=choice("upsample", METHODS, METHODS[0]), device=device, quiet=True,
                            smooth=SmoothingConfig(choice("smooth", MODES, "none")), start=timed("start"),
                            duration=duration, encode=EncodeSettings(codec, crf))  # fmt: skip


def identify(path: Path) -> tuple[str, str, dict]:
    """(kind, extension, what the page shows) from the file's content, not its name; VidganError where it is
    neither a video nor an image."""
    try:
        with Image.open(path) as im:
            fmt, (width, height) = im.format, im.size
        if fmt in IMAGE_EXTENSIONS:
            return "image", IMAGE_EXTENSIONS[fmt], {"width": width, "height": height}
    except (UnidentifiedImageError, OSError):
        pass
    import av

    try:
        with av.open(str(path)) as container:
            fmt = container.format.name
    except av.FFmpegError:
        raise VidganError("the upload is not a video or an image that can be read") from None
    try:
        info = probe(path)
    except VidganError as e:
        raise VidganError(str(e).replace(str(path), "the upload")) from None
    shown = {"width": info.width, "height": info.height, "duration": info.duration, "frames": info.frames,
             "frames_per_s": round(float(info.rate), 3) if info.rate else None, "audio": info.audio_codec,
             "truncated": bool(info.truncated)}  # fmt: skip
    return "video", CONTAINER_EXTENSIONS.get(fmt, ".mkv"), shown


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
        self.closing = False
        self.models: dict[str, LoadedModel] = {}
        self.translators: dict[str, FrameTranslator] = {}
        self.workers = [threading.Thread(target=self._work, name=f"vidgan-job-{i}", daemon=True)
                        for i in range(max(1, settings.workers))]  # fmt: skip
        self.sweeper = threading.Thread(target=self._sweep, name="vidgan-sweep", daemon=True)
        for thread in [*self.workers, self.sweeper]:
            thread.start()

    # ------------------------------------------------------------------------------------------ uploads

    def new_folder(self) -> tuple[str, Path]:
        token = secrets.token_urlsafe(16)
        folder = self.root / token
        folder.mkdir(mode=0o700)
        return token, folder

    def add_upload(self, received: Path) -> Upload:
        """A file received into a folder of `new_folder`'s, identified by its content; VidganError (and the
        folder removed) where it is not a video or an image."""
        try:
            kind, ext, info = identify(received)
        except VidganError:
            shutil.rmtree(received.parent, ignore_errors=True)
            raise
        path = received.with_name(f"input{ext}")
        received.rename(path)
        upload = Upload(received.parent.name, path, kind, info)
        with self.lock:
            self.uploads[upload.id] = upload
        return upload

    def discard_upload(self, upload_id: str) -> None:
        with self.lock:
            upload = self.uploads.pop(upload_id, None)
        if upload is not None:
            shutil.rmtree(upload.path.parent, ignore_errors=True)

    # ------------------------------------------------------------------------------------------ jobs

    def submit(self, upload_id: str, fields: dict[str, str]) -> Job:
        """Plan and check a job on an upload (VidganError: the one line the CLI would print), then queue it."""
        upload = self.uploads.get(upload_id)
        if upload is None:
            raise LookupError("no such upload (it may have expired)")
        options = parse_options(fields, self.settings.device)
        model = fields.get("model") or "horse2zebra"
        if looks_like_path(model) or "\\" in model:
            raise VidganError(f"model {model!r}: models are chosen by name here (see /api/models), not by path")
        find_model(model)  # an unknown name fails here, before any work
        self._check_duration(upload, options)
        folder = upload.path.parent
        # What a browser plays: MP4, or WebM for VP9; an image keeps its format.
        video = ".webm" if options.encode.codec == "vp9" else ".mp4"
        output = folder / f"output{upload.path.suffix if upload.kind == 'image' else video}"
        options = dataclasses.replace(options, overwrite=True)
        plan = plan_job(upload.path, output, model, options)
        job = Job(upload.id, folder, upload, model, options, plan, output, frames_total=plan.expected_frames())
        with self.lock:
            if self.closing:
                raise VidganError("the server is shutting down")
            del self.uploads[upload.id]  # an upload makes one job (its folder becomes the job's)
            self.jobs[job.id] = job
            self.waiting.append(job)
            self.lock.notify_all()
        return job

    def _check_duration(self, upload: Upload, options: TranslateOptions) -> None:
        if upload.kind != "video":
            return
        length = max(0.0, (upload.info.get("duration") or 0.0) - (options.start or 0.0))
        if options.duration is not None:
            length = min(length, options.duration)
        limit = self.settings.max_duration
        if length > limit:
            raise VidganError(f"this would translate {length:.0f} s of video; this server takes at most {limit:.0f} s "
                              f"a job (choose a part with start and duration)")  # fmt: skip

    def position(self, job: Job) -> int | None:
        """1 for the next job to run; None once it runs."""
        with self.lock:
            return self.waiting.index(job) + 1 if job in self.waiting else None

    def get(self, job_id: str) -> Job | None:
        with self.lock:
            return self.jobs.get(job_id)

    def delete(self, job_id: str) -> bool:
        """Cancel the job if it waits or runs, and delete it and its files."""
        with self.lock:
            job = self.jobs.pop(job_id, None)
            if job is None:
                return False
            if job in self.waiting:
                self.waiting.remove(job)
                job.status = "cancelled"
        job.cancel.set()
        if job.status != "running":  # a running one is removed by its worker once it has stopped
            shutil.rmtree(job.folder, ignore_errors=True)
        return True

    def _model(self, name: str) -> LoadedModel:
        with self.lock:
            if name not in self.models:
                self.models[name] = load_model(name)
            return self.models[name]

    def _translator(self, name: str, options: TranslateOptions) -> FrameTranslator:
        """One translator per model and worker thread (a translator is not shared between threads)."""
        key = f"{name}|{options.device}|{threading.get_ident()}"
        with self.lock:
            if key not in self.translators:
                self.translators[key] = make_translator(self._model(name).generator, options)
            return self.translators[key]

    def _work(self) -> None:
        while True:
            with self.lock:
                while not self.waiting and not self.closing:
                    self.lock.wait()
                if self.closing:
                    return
                job = self.waiting.popleft()
                job.status, job.started = "running", time.monotonic()
            self._run(job)

    def _run(self, job: Job) -> None:
        def listen(frames: int) -> None:
            if job.cancel.is_set():
                raise Cancelled
            job.frames_done += frames

        try:
            loaded = self._model(job.model)
            if self.settings.ray is not None:
                from vidgan.cluster import RayOptions, translate_on_ray

                results = translate_on_ray(job.plan, loaded, job.options, RayOptions(self.settings.ray), listen)
            else:
                results = run_plan(job.plan, self._translator(job.model, job.options), job.options, listen)
            result = results[0]
            if result.error:
                raise VidganError(result.error)
            job.notices = [*loaded.notices, *result.notices]
            job.frames_done = max(job.frames_done, result.frames)
            job.frames_total = job.frames_done  # what was there, once known
            job.status = "done"
        except Cancelled:
            job.status = "cancelled"
        except VidganError as e:
            job.status, job.error = "failed", str(e)
        except Exception as e:  # a job's failure never stops the worker or the server
            job.status, job.error = "failed", f"{type(e).__name__}: {e}".splitlines()[0]
        finally:
            job.ended = time.monotonic()
            if job.cancel.is_set():
                job.status = "cancelled"
                shutil.rmtree(job.folder, ignore_errors=True)

    # ------------------------------------------------------------------------------------------ clean-up

    def _sweep(self) -> None:
        """Every few seconds: jobs finished more than `keep` seconds ago, and uploads never used, go."""
        while not self.closing:
            time.sleep(min(5.0, self.settings.keep / 4))
            now = time.monotonic()
            with self.lock:
                old = [j.id for j in self.jobs.values() if j.ended and now - j.ended > self.settings.keep]
                stale = [u for u in self.uploads.values() if now - u.received > self.settings.keep]
                for upload in stale:
                    del self.uploads[upload.id]
            for job_id in old:
                self.delete(job_id)
            for upload in stale:
                shutil.rmtree(upload.path.parent, ignore_errors=True)

    def close(self) -> None:
        """Shutdown: cancel what runs and waits, wait for the workers, delete every file."""
        with self.lock:
            self.closing = True
            for job in self.jobs.values():
                job.cancel.set()
            self.lock.notify_all()
        for thread in self.workers:
            thread.join(timeout=60)
        if self._made_root:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            for child in self.root.iterdir():
                shutil.rmtree(child, ignore_errors=True)
