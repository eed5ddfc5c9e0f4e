"""Synthetic clips for the tests, written with PyAV, and helpers to read results back."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch
from torch import nn

AUDIO_ENCODERS = {"aac": "aac", "mp3": "libmp3lame", "opus": "libopus", "vorbis": "vorbis", "flac": "flac"}


class Invert(nn.Module):
    """A 'generator' with a known output: the colour negative (x -> -x in [-1, 1], i.e. 255 - v)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -x


def pattern(i: int, width: int, height: int) -> np.ndarray:
    """Frame i: R a horizontal ramp, G a vertical ramp, B a level that changes every frame (so an
    off-by-one frame shows), grey stripes with sharp edges (so a shifted crop shows), and a moving square."""
    y, x = np.mgrid[0:height, 0:width]
    frame = np.empty((height, width, 3), np.uint8)
    frame[..., 0] = 40 + x * 170 // max(width - 1, 1)
    frame[..., 1] = 40 + y * 170 // max(height - 1, 1)
    frame[..., 2] = 40 + (i * 23) % 170
    stripes = (x // 16) % 2 == 1
    frame[stripes] = frame[stripes] // 2
    x0 = (6 * i) % max(width - 12, 1)
    frame[height // 3 : height // 3 + 12, x0 : x0 + 12] = 230
    return frame


def make_clip(
    path: Path,
    width: int = 96,
    height: int = 64,
    frames: int = 12,
    rate: int = 12,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    times: list[float] | None = None,
    audio: str | None = None,
    audio_rate: int = 48000,
    audio_start: float = 0.0,
    rotation: int = 0,
    full_range: bool = False,
    options: dict[str, str] | None = None,
    faststart: bool = False,
) -> Path:
    """Write a test clip. `times` (seconds) makes it variable frame rate; `audio` adds a 1 kHz tone in
    that codec covering the video's length; `rotation` writes a display matrix; `faststart` puts an MP4's
    index in front (as files meant for download have it)."""
    path = Path(path)
    time_base = Fraction(1, 1000 if times is not None else rate)
    opts = {"crf": "0"} if codec in ("libx264", "libx265") else {}
    opts.update(options or {})
    with av.open(str(path), "w", options={"movflags": "faststart"} if faststart else None) as container:
        stream = container.add_stream(codec, rate=rate, options=opts)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.codec_context.time_base = time_base
        if full_range:
            stream.codec_context.color_range = 2
        if rotation:
            stream.set_display_rotation(rotation)
        astream = None
        if audio:
            astream = container.add_stream(AUDIO_ENCODERS[audio], rate=audio_rate)
            astream.layout = "stereo"
            if audio == "vorbis":
                astream.codec_context.options = {"strict": "experimental"}
        pts_list = [round(t / time_base) for t in times] if times is not None else list(range(frames))
        for i, pts in enumerate(pts_list):
            frame = av.VideoFrame.from_ndarray(pattern(i, width, height), format="rgb24")
            frame = frame.reformat(format=pix_fmt, dst_color_range=2 if full_range else 1)
            frame.pts = pts
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if astream is not None:
            length = float((pts_list[-1] + 1) * time_base) if pts_list else 0.0
            write_tone(container, astream, audio_rate, length, audio_start)
    return path


def write_tone(container, stream, rate: int, seconds: float, start: float = 0.0) -> None:
    """Mux a stereo 1 kHz tone of `seconds` into `stream` (its layout must be stereo), starting at `start`."""
    chunk = 1024
    total = int(seconds * rate)
    first = int(start * rate)
    for offset in range(0, total, chunk):
        t = (np.arange(offset, offset + chunk) / rate).astype(np.float32)
        samples = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.stack([samples, samples]), format="fltp", layout="stereo")
        frame.sample_rate = rate
        frame.pts = first + offset
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


def read_video(path: Path) -> tuple[list[np.ndarray], list[float]]:
    """All frames of the first video stream as RGB (stored orientation) and their times in seconds."""
    with av.open(str(path)) as container:
        frames, times = [], []
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            times.append(float(frame.pts * frame.time_base))
        return frames, times


def audio_packets(path: Path) -> list[tuple[float, bytes]]:
    """(time, payload) of every packet of the first audio stream."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return [(float(p.pts * p.time_base), bytes(p)) for p in container.demux(stream) if p.size]


def stream_info(path: Path) -> dict:
    with av.open(str(path)) as container:
        v = container.streams.video[0] if container.streams.video else None
        a = container.streams.audio[0] if container.streams.audio else None
        return {
            "format": container.format.name,
            "width": v.codec_context.width if v else None,
            "height": v.codec_context.height if v else None,
            "video_codec": v.codec_context.codec.canonical_name if v else None,
            "audio_codec": a.codec_context.codec.canonical_name if a else None,
            "color_range": v.codec_context.color_range if v else None,
            "streams": [s.type for s in container.streams],
        }


def textured(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth random texture (optical flow needs structure to lock on to)."""
    import cv2

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def make_shift_clip(path: Path, width: int = 128, height: int = 96, frames: int = 10, dx: int = 2,
                    cut_at: int | None = None, options: dict[str, str] | None = None) -> Path:  # fmt: skip
    """One texture panning `dx` pixels per frame; from `cut_at` on, a different texture (a scene cut).
    `options` add to the encoder's."""
    scene = textured(width + dx * frames, height, 0)
    other = textured(width + dx * frames, height, 1)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10, options={"crf": "0", **(options or {})})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            source = other if cut_at is not None and i >= cut_at else scene
            x0 = dx * (frames - i)  # content moves right by dx each frame
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(source[:, x0 : x0 + width]), format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


class Flicker(nn.Module):
    """Per-frame random brightness jumps: the flicker CycleGAN shows on video, exaggerated."""

    def __init__(self, amount: float = 0.15, seed: int = 0) -> None:
        super().__init__()
        self.amount = amount
        self.rng = torch.Generator().manual_seed(seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offsets = (torch.rand(x.shape[0], 1, 1, 1, generator=self.rng) * 2 - 1) * self.amount
        return (x + offsets.to(x.device)).clamp(-1, 1)


def tinted(rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """A smooth random image with a warm, darkish cast: its colour negative is clearly another domain."""
    from PIL import Image

    base = rng.random((4, 4, 3)) * np.array([0.5, 0.5, 0.4]) + np.array([0.3, 0.1, 0.0])
    image = Image.fromarray((base * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(image)


def write_pair(folder: Path, make_a, make_b, count: int = 32) -> tuple[Path, Path]:
    """Two unpaired domains, folder/A and folder/B, of `count` PNGs each from make_a(rng) and make_b(rng)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    a, b = folder / "A", folder / "B"
    a.mkdir(parents=True)
    b.mkdir()
    for i in range(count):
        Image.fromarray(make_a(rng)).save(a / f"{i:02d}.png")
        Image.fromarray(make_b(rng)).save(b / f"{i:02d}.png")
    return a, b


def write_inverted_pair(folder: Path, count: int = 32) -> tuple[Path, Path]:
    """Domain A: tinted images; domain B: colour negatives of *other* tinted images (unpaired)."""
    return write_pair(folder, tinted, lambda rng: 255 - tinted(rng), count)


def inverter_config(a: Path, b: Path, runs: Path, **overrides):
    """The tiny colour-inversion CycleGAN the tests train: 32 px crops, ngf 8, 2 blocks, 200 iterations
    (about 8 s on 2 cores; its G reaches about a third of the do-nothing error on held-out images)."""
    from vidgan.train.config import TrainConfig

    values = dict(a=str(a), b=str(b), name="inv", runs_dir=str(runs), load_size=36, crop_size=32, ngf=8,
                  n_blocks=2, ndf=8, identity=0.0, iterations=200, sample_every=0, save_every=1e9, seed=0)  # fmt: skip
    values.update(overrides)
    return TrainConfig(**values)


class DiesOnce(nn.Module):
    """Inverts; but the first process to run it writes its pid to `marker` and waits there, to be killed
    (a worker lost in the middle of a task). A task run again finds the marker and translates."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import os
        import time

        if not os.path.exists(self.marker):
            with open(self.marker + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.replace(self.marker + ".tmp", self.marker)
            time.sleep(120)
        return -x


class SlowInvert(nn.Module):
    """Inverts, a quarter of a second per frame: a run long enough to interrupt."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import time

        time.sleep(0.25 * x.shape[0])
        return -x


def square_scene(
    rng: np.random.Generator, colour: tuple[int, int, int], size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """A textured grey background with a coloured square (6-10 px) somewhere on it: (image (size, size, 3)
    uint8, the square's region (size, size) bool)."""
    background = (rng.normal(128, 30, (size // 4, size // 4, 1)).clip(0, 255)).astype(np.uint8)
    image = np.repeat(np.kron(background, np.ones((4, 4, 1), np.uint8)), 3, axis=2)
    image = (image.astype(np.int16) + rng.integers(-8, 9, image.shape)).clip(0, 255).astype(np.uint8)
    side = int(rng.integers(6, 11))
    y, x = rng.integers(0, size - side, 2)
    image[y : y + side, x : x + side] = colour
    region = np.zeros((size, size), bool)
    region[y : y + side, x : x + side] = True
    return image, region


def write_square_pair(folder: Path, count: int = 32) -> tuple[Path, Path]:
    """Domain A: red squares on textured grey; domain B: blue squares on other textured grey (unpaired)."""
    return write_pair(folder, lambda rng: square_scene(rng, (220, 30, 30))[0],
                      lambda rng: square_scene(rng, (30, 30, 220))[0], count)  # fmt: skip


def tiny_recipe(**settings) -> str:
    """A recipe TOML (flat: TrainConfig's fields) for a tiny network on 32-px crops; `settings` add or replace."""
    values = {"ngf": 4, "n_blocks": 1, "ndf": 4, "load_size": 36, "crop_size": 32, "images": 100000,
              "sample_every": 0} | settings  # fmt: skip
    return "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in values.items())
