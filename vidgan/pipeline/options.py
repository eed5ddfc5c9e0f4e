"""What a translation can be told: `TranslateOptions`, which the CLI, the Python API and the web server fill,
and the parsers of the options' text forms they share. No PyAV here: the CLI loads it at start-up."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from vidgan.engine.runtime import DEVICES, PRECISIONS
from vidgan.errors import VidganError
from vidgan.ops.smoothing import SmoothingConfig
from vidgan.ops.upsampling import DEFAULT_METHOD, METHODS
from vidgan.video.formats import EncodeSettings

MAX_SIZE = 8192  # px: a working short side beyond any video's (a server takes less: its --max-size)
GENERATOR_BACKENDS = ("torch", "onnxruntime")  # what runs the generator


@dataclass
class TranslateOptions:
    """Everything `vidgan translate` can be told; the CLI, the Python API and the server fill it, and it
    checks itself when made (and when `dataclasses.replace` makes a new one): ranges, finite numbers, known
    names. What depends on the file (a start within the clip) is checked by the plan (pipeline/plan.py)."""

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
    compare: bool = False  # input and output side by side (and a masked model's mask, a third panel)
    start: float | None = None  # seconds into the clip
    duration: float | None = None  # seconds to translate from `start`
    overwrite: bool = False  # replace an existing output
    keep_partial: bool = False  # an input that breaks off: keep the output up to the break (and say so)
    segment: float | None = None  # seconds per segment (cut at keyframes, joined at the end); None: one piece
    quiet: bool = False  # no progress bars or notices

    def __post_init__(self) -> None:
        if self.size is not None and not (isinstance(self.size, int) and 4 <= self.size <= MAX_SIZE):
            raise VidganError(f"size {self.size!r} is not a working size: a number of pixels, 4 to {MAX_SIZE}")
        for name in ("start", "duration", "segment"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise VidganError(f"{name} {value!r} is not a time: a finite number of seconds, not negative")
        if self.duration == 0 or self.segment == 0:
            raise VidganError(f"{'duration' if self.duration == 0 else 'segment'} must be more than 0 seconds")
        if self.batch_size is not None and self.batch_size < 1:
            raise VidganError(f"batch size {self.batch_size} must be at least 1")
        for name, allowed in (("output_size", ("input", "working")), ("upsample", METHODS),
                              ("device", DEVICES), ("precision", PRECISIONS),
                              ("backend", GENERATOR_BACKENDS)):  # fmt: skip
            if getattr(self, name) not in allowed:
                raise VidganError(f"{name} {getattr(self, name)!r} is not one of {', '.join(allowed)}")
        self.encode.validate()
        self.smooth.validate()


def parse_working_size(text: str) -> int | None:
    """`--size`: a number of pixels (the short side), or `native` (None)."""
    if text == "native":
        return None
    try:
        size = int(text)
    except ValueError:
        raise VidganError(f"{text!r} is not a size: expected a number of pixels or 'native'") from None
    if not 4 <= size <= MAX_SIZE:
        raise VidganError(f"size {size} is not a working size: 4 to {MAX_SIZE} pixels")
    return size
