"""What a translation can be told: `TranslateOptions`, which the CLI, the Python API and the web server fill,
and the parsers of the options' text forms they share. No PyAV here: the CLI loads it at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from vidgan.errors import VidganError
from vidgan.temporal import SmoothingConfig
from vidgan.upsample import DEFAULT_METHOD
from vidgan.video.formats import EncodeSettings


@dataclass
class TranslateOptions:
    """Everything `vidgan translate` can be told; the CLI fills this, the Python API takes it."""

    size: int | None = 256  # working short side in px (the models' training scale); None: native size
    output_size: str = "input"  # "input": scale the result back to the input's size; "working": keep it
    upsample: str = DEFAULT_METHOD  # detail | guided | resize: how the result reaches a larger output size
    batch_size: int | None = None  # frames per generator call; None: 8 on CUDA, 1 on the CPU
    device: str = "auto"  # auto | cpu | cuda | mps
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 (auto: bf16 where the hardware has it)
    compile: bool = False  # torch.compile the generator per working size (pays off on long clips on a GPU)
    backend: str = "torch"  # what runs the generator: torch, or onnxruntime (CPU only; faster there)
    encode: EncodeSettings = field(default_factory=EncodeSettings)
    smooth: SmoothingConfig = field(default_factory=SmoothingConfig)  # temporal smoothing (videos only)
    compare: bool = False  # input and output side by side
    start: float | None = None  # seconds into the clip
    duration: float | None = None  # seconds to translate from `start`
    overwrite: bool = False  # replace an existing output
    keep_partial: bool = False  # an input that breaks off: keep the output up to the break (and say so)
    segment: float | None = None  # seconds per segment (cut at keyframes, joined at the end); None: one piece
    quiet: bool = False  # no progress bars or notices


def parse_working_size(text: str) -> int | None:
    """`--size`: a number of pixels (the short side), or `native` (None)."""
    if text == "native":
        return None
    try:
        size = int(text)
    except ValueError:
        raise VidganError(f"{text!r} is not a size: expected a number of pixels or 'native'") from None
    if size < 4:
        raise VidganError(f"size {size} is too small: at least 4")
    return size


def parse_time(text: str | None) -> float | None:
    """`--start`, `--duration`: seconds as `12.5`, `12.5s`, `1:02.5` or `0:01:02.5`."""
    if text is None:
        return None
    try:
        seconds = 0.0
        for part in text.removesuffix("s").split(":"):
            seconds = seconds * 60 + float(part)
    except ValueError:
        raise VidganError(f"{text!r} is not a time: use seconds (12.5) or [h:]m:s (1:02.5)") from None
    if seconds < 0:
        raise VidganError(f"{text!r}: a time must not be negative")
    return seconds
