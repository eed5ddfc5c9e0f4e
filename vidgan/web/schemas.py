"""What a client may send and what it gets back: the job's form fields as a request model (the text forms
the CLI takes, turned into `TranslateOptions`, the one authority on what a translation may be told)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

from vidgan.errors import VidganError
from vidgan.models.registry import DEFAULT_MODEL
from vidgan.ops.smoothing import SmoothingConfig
from vidgan.ops.upsampling import DEFAULT_METHOD
from vidgan.pipeline.options import TranslateOptions, parse_working_size
from vidgan.units import parse_seconds
from vidgan.video.formats import EncodeSettings


class JobFields(BaseModel):
    """POST /api/jobs's form fields, named like translate's options; text, parsed as the CLI parses it."""

    model_config = ConfigDict(extra="forbid")

    model: str = DEFAULT_MODEL  # a model by name (GET /api/models)
    size: str = "256"  # working short side in px, or "native"
    smooth: str = "none"  # none | ema | flow
    upsample: str = DEFAULT_METHOD  # detail | guided | resize
    start: str | None = None  # 12.5, 1:02.5, 1m2.5s
    duration: str | None = None
    codec: str = "h264"  # h264 | hevc | vp9 | av1
    crf: str | None = None  # 0-63
    compare: str | None = None  # 1: input, output and a masked model's mask side by side (translate --compare)
    upload: str | None = None  # an upload's id, instead of a file

    @classmethod
    def parse(cls, fields: dict[str, str]) -> JobFields:
        """VidganError (one line) for a field this server does not know."""
        try:
            return cls.model_validate(fields)
        except ValidationError as e:
            unknown = sorted(str(err["loc"][0]) for err in e.errors() if err["type"] == "extra_forbidden")
            known = ", ".join(sorted(set(cls.model_fields) - {"upload"}))
            if unknown:
                raise VidganError(f"unknown option(s): {', '.join(unknown)} (known: {known})") from None
            first = e.errors()[0]
            raise VidganError(f"{first['loc'][0]}: {first['msg']}") from None

    def options(self, device: str) -> TranslateOptions:
        """The translation these fields ask for; VidganError naming the field that is wrong."""

        def field_value(name: str, parse):
            try:
                return parse()
            except VidganError as e:
                raise VidganError(f"{name}: {e}") from None

        size = field_value("size", lambda: parse_working_size(self.size or "256"))
        start = field_value("start", lambda: parse_seconds(self.start) if self.start else None)
        duration = field_value("duration", lambda: parse_seconds(self.duration) if self.duration else None)
        crf = field_value("crf", lambda: _number(self.crf) if self.crf else None)
        compare = field_value("compare", lambda: _switch(self.compare or "0"))
        return TranslateOptions(size=size, upsample=self.upsample or DEFAULT_METHOD, device=device, quiet=True,
                                smooth=SmoothingConfig(self.smooth or "none"), start=start, duration=duration,
                                encode=EncodeSettings(self.codec or "h264", crf), compare=compare)  # fmt: skip


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise VidganError(f"{text!r} is not a number") from None


def _switch(text: str) -> bool:
    if text.lower() in ("1", "true", "on", "yes"):
        return True
    if text.lower() in ("0", "false", "off", "no"):
        return False
    raise VidganError(f"{text!r} is neither 1 nor 0")


class LiveOffer(BaseModel):
    """POST /api/live's body: the browser's WebRTC offer and what to translate its camera with."""

    model_config = ConfigDict(extra="forbid")

    sdp: str
    type: str = "offer"
    model: str = "horse2zebra-fast"  # a model by name; the fast one keeps up with a camera on a CPU
    size: str = "auto"  # working short side in px, or auto: the largest that keeps up (measured)
