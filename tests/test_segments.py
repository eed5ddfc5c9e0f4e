"""Clips in segments: cut at keyframes, translated part by part, joined by stream copy with the sound muxed
once. Each test writes the output, reopens it and compares it with the same clip translated in one piece."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from clips import Invert, audio_packets, make_clip, make_shift_clip, read_video

from vidgan.cli import main
from vidgan.engine.translator import FrameTranslator
from vidgan.errors import VidganError
from vidgan.eval.temporal import frames_of
from vidgan.ops.smoothing import FlowEstimator, SmoothingConfig, consistent, warp
from vidgan.pipeline.clip import translate_clip
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.plan import plan_job, run_plan
from vidgan.pipeline.segments import plan_clip
from vidgan.video.decode import probe
from vidgan.video.formats import EncodeSettings
from vidgan.video.segments import keyframes, plan

KEYFRAME_EVERY = {"x264-params": "keyint=6:min-keyint=6:scenecut=0"}  # a keyframe every 6 frames
VFR = [0.0, 0.05, 0.12, 0.2, 0.33, 0.4, 0.5, 0.52, 0.61, 0.75, 0.8, 0.9, 1.0, 1.07, 1.2, 1.25, 1.4, 1.5, 1.55, 1.7]


def translator(model=None) -> FrameTranslator:
    return FrameTranslator(model or Invert(), torch.device("cpu"))


def translate_segmented(src, dst, translator: FrameTranslator, options: TranslateOptions):
    """A clip in segments through the one path every job takes: planned, then run here."""
    return run_plan(plan_job(src, dst, "", options), translator, options)[0]


def both(src, tmp_path, suffix=".mp4", **fields):
    """The clip translated in one piece and in segments of 0.4 s: (frames, times) of each, and the parts
    folder after the segmented run."""
    options = TranslateOptions(quiet=True, size=None, encode=EncodeSettings(crf=0), **fields)
    whole, parts = tmp_path / f"whole{suffix}", tmp_path / f"parts{suffix}"
    translate_clip(src, whole, translator(), options)
    result = translate_segmented(src, parts, translator(), TranslateOptions(**{**options.__dict__, "segment": 0.4}))
    assert result.frames == len(read_video(whole)[0])
    return read_video(whole), read_video(parts), parts.with_name(f".{parts.name}.parts")


def test_plan_cuts_at_the_first_keyframe_after_each_length(tmp_path):
    clip = make_clip(tmp_path / "in.mp4", frames=30, rate=10, options=KEYFRAME_EVERY)
    info = probe(clip)
    keys = keyframes(clip)

    def frame(pts):  # pts -> frame number (10 frames/s)
        return None if pts is None else int(pts * info.time_base * 10)

    assert [frame(k) for k in keys] == [0, 6, 12, 18, 24]
    segments = plan(info, keys, 1.0)
    assert [(frame(s.start), frame(s.end)) for s in segments] == [(0, 12), (12, 24), (24, None)]
    assert [(s.start, s.end) for s in plan(info, keys, 100.0)] == [(0, None)]
    pts = [round(i / 10 / info.time_base) for i in range(30)]
    assert sum(s.holds(p) for s in segments for p in pts) == 30  # every frame in exactly one


@pytest.mark.parametrize("case", ["vfr-aac", "rotated-mp3", "webm-opus"])
def test_segments_join_to_the_unsegmented_clip(tmp_path, case):
    """Frame count, frame times and audio packets equal to the run in one piece; pixels too (lossless)."""
    kinds = {"vfr-aac": ({"times": VFR, "audio": "aac"}, ".mp4"),
             "rotated-mp3": ({"frames": 20, "rotation": 90, "audio": "mp3"}, ".mp4"),
             "webm-opus": ({"frames": 20, "audio": "opus"}, ".mkv")}  # fmt: skip
    fields, suffix = kinds[case]
    src = make_clip(tmp_path / "in.mp4", rate=12, options=KEYFRAME_EVERY, **fields)
    assert len(keyframes(src)) >= 3
    (a, times_a), (b, times_b), parts = both(src, tmp_path, suffix)
    assert times_b == times_a and len(b) == len(a)
    assert np.array_equal(np.stack(a), np.stack(b))
    assert audio_packets(tmp_path / f"parts{suffix}") == audio_packets(tmp_path / f"whole{suffix}")
    assert not parts.exists()  # the parts are removed once joined


class FailsAfter(torch.nn.Module):
    """Inverts, and raises once it has translated `frames` frames: a crash in the middle of a clip."""

    def __init__(self, frames: int) -> None:
        super().__init__()
        self.left = frames

    def forward(self, x):
        self.left -= x.shape[0]
        if self.left < 0:
            raise VidganError("the machine went away")
        return -x


def test_a_stopped_run_resumes_at_the_first_missing_segment(tmp_path):
    src = make_clip(tmp_path / "in.mp4", frames=24, rate=12, options=KEYFRAME_EVERY)
    dst = tmp_path / "out.mp4"
    options = TranslateOptions(quiet=True, size=None, segment=0.4, encode=EncodeSettings(crf=0))
    with pytest.raises(VidganError, match="went away"):
        translate_segmented(src, dst, translator(FailsAfter(14)), options)  # parts 0 and 1 (6 frames each)
    clip = plan_clip(src, dst, options)
    assert not dst.exists() and len(clip.missing()) == 2 and len(clip.segments) == 4
    assert not [p for p in clip.parts_dir.iterdir() if ".tmp" in p.name]  # nothing half-written
    counting = FailsAfter(12)  # enough for the two missing parts only
    translate_segmented(src, dst, translator(counting), options)
    assert counting.left == 0
    whole = TranslateOptions(quiet=True, size=None, encode=EncodeSettings(crf=0))
    translate_clip(src, tmp_path / "whole.mp4", translator(), whole)
    (a, ta), (b, tb) = read_video(dst), read_video(tmp_path / "whole.mp4")
    assert ta == tb and np.array_equal(np.stack(a), np.stack(b))


def test_parts_of_other_options_are_not_reused(tmp_path):
    src = make_clip(tmp_path / "in.mp4", frames=12, rate=12, options=KEYFRAME_EVERY)
    dst = tmp_path / "out.mp4"
    options = TranslateOptions(quiet=True, size=None, segment=0.4)
    with pytest.raises(VidganError):
        translate_segmented(src, dst, translator(FailsAfter(7)), options)
    assert len(plan_clip(src, dst, options).missing()) == 1
    assert len(plan_clip(src, dst, TranslateOptions(quiet=True, size=None, segment=0.4, smooth=SmoothingConfig("ema")))
               .missing()) == 2  # fmt: skip


class FrameFlicker(torch.nn.Module):
    """Brightness jumps that are a function of the frame alone, so a frame flickers the same whichever
    segment (or warm-up) it is translated in."""

    def forward(self, x):
        offset = torch.sin(x.mean(dim=(1, 2, 3), keepdim=True) * 5000) * 0.15
        return (x + offset).clamp(-1, 1)


def pair_errors(inputs, outputs) -> list[float]:
    """The warping error (as `vidgan metrics temporal`, DIS flow) of each consecutive pair."""
    flow, errors = FlowEstimator("dis"), []
    for (i0, o0), (i1, o1) in zip(zip(inputs, outputs), zip(inputs[1:], outputs[1:])):
        g0, g1 = (np.dot(i[..., :3], [0.299, 0.587, 0.114]).astype(np.uint8) for i in (i0, i1))
        back = flow(g1, g0)
        mask = consistent(back, flow(g0, g1))
        errors.append(float(((o1 / 255.0 - warp(o0.astype(np.float32) / 255, back)) ** 2).mean(-1)[mask].mean()))
    return errors


def test_smoothed_segments_do_not_show_at_the_joins(tmp_path):
    """Flicker smoothed with flow in segments: at each join the warping error is no higher than the clip's
    median pair, and the frames match the run in one piece (the smoother warmed up before each part)."""
    src = make_shift_clip(tmp_path / "pan.mp4", frames=36, width=96, height=64, options=KEYFRAME_EVERY)
    options = TranslateOptions(quiet=True, size=None, encode=EncodeSettings(crf=0), smooth=SmoothingConfig("flow"))
    whole, segmented = tmp_path / "whole.mp4", tmp_path / "segmented.mp4"
    translate_clip(src, whole, translator(FrameFlicker()), options)
    segmented_options = TranslateOptions(**{**options.__dict__, "segment": 1.0})
    clip = plan_clip(src, segmented, segmented_options)
    assert len(clip.segments) >= 2
    translate_segmented(src, segmented, translator(FrameFlicker()), segmented_options)
    inputs = list(frames_of(src))
    outputs = np.stack(read_video(segmented)[0]).astype(np.float32)
    errors = pair_errors(inputs, outputs)
    starts = {float(s.start * probe(src).time_base) for s in clip.segments[1:]}
    joins = [i - 1 for i, t in enumerate(read_video(segmented)[1]) if t in starts]  # the pair across each join
    assert joins and all(errors[j] <= np.median(errors) for j in joins)
    assert np.abs(outputs - np.stack(read_video(whole)[0])).mean() < 0.5


def test_cli_refuses_segments_with_a_part_of_the_clip(tmp_path):
    src = make_clip(tmp_path / "in.mp4", frames=6)
    result = CliRunner().invoke(main, ["translate", str(src), "-o", str(tmp_path / "o.mp4"), "--segment", "60s",
                                       "--start", "0.2"])  # fmt: skip
    assert result.exit_code == 1 and "--segment translates whole clips" in result.output
    result = CliRunner().invoke(main, ["translate", str(src), "--segment", "0"])
    assert result.exit_code == 2
