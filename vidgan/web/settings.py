"""What `vidgan serve` is told (its limits, where its files live, who runs the jobs), and the refusal a limit
gives. No PyAV, no web framework: the command line builds these before anything heavy is loaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vidgan.errors import VidganError


class LimitReached(VidganError):
    """A limit of the server's (a count: 429; the disk: 507), with the line that says which."""

    def __init__(self, message: str, status: int = 429) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Settings:
    """What `vidgan serve` is told; the defaults are the safe ones."""

    root: Path | None = None  # where the jobs' folders live; None: a fresh temporary folder, removed at shutdown
    max_upload: int = 2_000_000_000  # the largest upload taken, in bytes (larger: 413)
    max_duration: float = 600.0  # the most video one job may translate (a longer clip: start and duration)
    max_size: int = 1080  # the largest working size (short side, px) a job may ask for
    max_pixels: int = 3840 * 2160  # the largest input (and so output) frame, in pixels
    keep: float = 3600.0  # how long a finished job and its files are kept (then the job is gone)
    max_uploads: int = 20  # uploads held (probed, not yet made into a job), all clients together
    max_queued: int = 10  # jobs waiting to run, all clients together
    max_per_client: int = 4  # uploads held plus jobs waiting or running, per authenticated user
    max_disk: int = 20_000_000_000  # what all the jobs' folders may take together, in bytes (more: 507)
    max_live: int = 2  # live sessions (the page's camera mode) at once (more: 429)
    upload_timeout: float = 30.0  # how long an upload may stall (send nothing) before it is dropped (408)
    device: str = "auto"
    workers: int = 1  # jobs running at once: one per device by default
    ray: str | None = None  # a Ray address: jobs run as Ray tasks there (pipeline/ray.py)

    def __post_init__(self) -> None:
        for name in ("max_upload", "max_duration", "max_size", "max_pixels", "keep", "max_uploads", "max_queued",
                     "max_per_client", "max_disk", "upload_timeout", "workers", "max_live"):  # fmt: skip
            if not getattr(self, name) > 0:
                raise VidganError(f"{name.replace('_', '-')} must be more than 0 (got {getattr(self, name)})")
