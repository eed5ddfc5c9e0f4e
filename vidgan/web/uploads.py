"""What the server makes of an upload before it is a job: its kind and extension from its content (never its
name), its size against the server's limit on pixels, the client's file name made safe to show, and the
bytes the jobs' folders take."""

from __future__ import annotations

import os
import re
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from vidgan.errors import VidganError
from vidgan.video.decode import probe

# What a video container's content says it is -> the extension the pipeline reads it by.
CONTAINER_EXTENSIONS = {"mov,mp4,m4a,3gp,3g2,mj2": ".mp4", "matroska,webm": ".mkv", "avi": ".avi", "mpegts": ".ts",
                        "flv": ".flv", "ogg": ".ogv", "mpeg": ".mpg"}  # fmt: skip
IMAGE_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "BMP": ".bmp", "TIFF": ".tif", "GIF": ".gif"}


def clean_name(name: str | None) -> str:
    """A client's file name as something safe to show and to name a download by: its last component, odd
    characters replaced, at most 100 characters; "upload" where nothing is left."""
    base = re.sub(r"[^\w.\- ]", "_", Path((name or "").replace("\\", "/")).name).strip(" .")[:100]
    return base or "upload"


def identify(path: Path, max_pixels: int) -> tuple[str, str, dict]:
    """(kind, extension, what the page shows) from the file's content, not its name; VidganError where it is
    neither a video nor an image, or larger than the server takes."""
    try:
        with Image.open(path) as im:
            fmt, (width, height) = im.format, im.size
        if fmt in IMAGE_FORMATS:
            _check_pixels(width, height, max_pixels)
            return "image", IMAGE_FORMATS[fmt], {"width": width, "height": height}
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        pass
    import av

    try:
        with av.open(str(path)) as container:
            fmt = container.format.name
        info = probe(path)
    except (av.FFmpegError, VidganError):
        raise VidganError("the upload is not a video or an image that can be read") from None
    _check_pixels(info.width, info.height, max_pixels)
    shown = {"width": info.width, "height": info.height, "duration": info.duration, "frames": info.frames,
             "frames_per_s": round(float(info.rate), 3) if info.rate else None, "audio": info.audio_codec,
             "truncated": bool(info.truncated)}  # fmt: skip
    return "video", CONTAINER_EXTENSIONS.get(fmt, ".mkv"), shown


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise VidganError(f"the upload is {width}x{height}: this server takes frames of at most "
                          f"{max_pixels / 1e6:.1f} megapixels")  # fmt: skip


def folder_bytes(root: Path) -> int:
    """The bytes of the files under `root` (as they are now: outputs grow while jobs run)."""
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass  # removed meanwhile
    return total
