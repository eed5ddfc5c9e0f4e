"""Temporal smoothing and the warping-error metric that grades it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from clips import Flicker, Invert, make_shift_clip, read_video

from vidgan import TranslateOptions, VidganError
from vidgan.api import translate
from vidgan.cli import main
from vidgan.engine.translator import FrameTranslator
from vidgan.eval.temporal import frames_of, ssim, temporal_report, warping_error
from vidgan.ops.fidelity import psnr
from vidgan.ops.smoothing import MotionEstimator, Smoother, SmoothingConfig, grey, is_cut
from vidgan.pipeline.clip import translate_clip
from vidgan.video.formats import EncodeSettings


def run(src, dst, model, mode="none", strength=0.6, **kw):
    options = TranslateOptions(quiet=True, size=None, encode=EncodeSettings(crf=0),
                               smooth=SmoothingConfig(mode, strength), **kw)  # fmt: skip
    return translate(src, dst, model, options)[0]


@pytest.mark.parametrize("method", ["dis", "farneback"])
def test_warping_error_separates_stable_from_flickering(tmp_path, method):
    clip = make_shift_clip(tmp_path / "pan.mp4")
    frames = list(frames_of(clip))
    stable = warping_error(zip(frames, frames), method)
    rng = np.random.default_rng(0)
    flicker = [np.clip(f.astype(np.int16) + rng.integers(-30, 30), 0, 255).astype(np.uint8) for f in frames]
    flickering = warping_error(zip(frames, flicker), method)
    assert stable < 2e-4  # a panning shot translated consistently: near zero
    assert flickering > 20 * stable and flickering > 3e-3


def test_ssim_and_psnr():
    a = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    assert ssim(a, a) == pytest.approx(1.0) and psnr(0.0) == float("inf")
    b = np.clip(a.astype(np.int16) + 10, 0, 255).astype(np.uint8)
    assert ssim(a, 255 - a) < 0 < ssim(a, b) < 1  # a negative is anti-correlated
    assert psnr(100.0) == pytest.approx(10 * np.log10(255**2 / 100)) and psnr(0.01, peak=2.0) == pytest.approx(
        26.02, abs=0.01
    )


@pytest.mark.parametrize("mode", ["ema", "flow"])
def test_smoothing_keeps_frames_and_times(tmp_path, mode):
    clip = make_shift_clip(tmp_path / "pan.mp4", frames=8)
    run(clip, tmp_path / "out.mp4", Invert(), mode)
    _, t_in = read_video(clip)
    _, t_out = read_video(tmp_path / "out.mp4")
    assert t_out == t_in


def test_flow_smoothing_removes_flicker_and_keeps_a_stable_result(tmp_path):
    clip = make_shift_clip(tmp_path / "pan.mp4", frames=12)
    run(clip, tmp_path / "perframe.mp4", Flicker(seed=1))
    run(clip, tmp_path / "smooth.mp4", Flicker(seed=1), "flow", 0.8)
    run(clip, tmp_path / "inverted.mp4", Invert())
    run(clip, tmp_path / "inverted_smooth.mp4", Invert(), "flow")
    per_frame = temporal_report(clip, tmp_path / "perframe.mp4")["warping_error"]
    smooth = temporal_report(clip, tmp_path / "smooth.mp4", tmp_path / "perframe.mp4")
    for method in ("dis", "farneback"):
        assert smooth["warping_error"][method] < 0.5 * per_frame[method]
    # A result that does not flicker is left (nearly) as it was.
    stable = temporal_report(clip, tmp_path / "inverted_smooth.mp4", tmp_path / "inverted.mp4")
    assert stable["psnr_to_reference"] > 35 and stable["ssim_to_reference"] > 0.97


def translate_across_a_cut(tmp_path, mode: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A pan with a scene cut before frame 5, translated by Invert per-frame and with `mode` at strength 1:
    (per-frame frames, smoothed frames)."""
    clip = make_shift_clip(tmp_path / "cut.mp4", frames=10, cut_at=5)
    run(clip, tmp_path / "perframe.mp4", Invert())
    run(clip, tmp_path / f"{mode}.mp4", Invert(), mode, 1.0)
    return read_video(tmp_path / "perframe.mp4")[0], read_video(tmp_path / f"{mode}.mp4")[0]


def test_scene_cut_is_not_smeared(tmp_path):
    per_frame, smoothed = translate_across_a_cut(tmp_path, "ema")
    # At strength 1, ema freezes a shot on its first frame; the cut must start afresh.
    assert np.abs(smoothed[5].astype(int) - per_frame[5]).mean() < 1.0
    assert np.abs(smoothed[4].astype(int) - per_frame[4]).mean() > 5.0


def test_flow_smoothing_looks_neither_back_nor_ahead_across_a_cut(tmp_path):
    per_frame, smoothed = translate_across_a_cut(tmp_path, "flow")
    # A stable translation of a steady pan stays as it was on both sides of the cut: frame 4 does not take
    # in frame 5 (its look-ahead) nor frame 5 frame 4 (its past), though they differ completely.
    assert np.abs(per_frame[5].astype(int) - per_frame[4]).mean() > 30
    for t in (4, 5):
        assert np.abs(smoothed[t].astype(int) - per_frame[t]).mean() < 2.0


def smooth_all(smoother: Smoother, motion: MotionEstimator, inputs, outputs) -> list:
    """Every smoothed output of a clip, the one held back at the end included."""
    return [s for i, o in zip(inputs, outputs) for s in smoother(o, motion(i))] + smoother.flush()


def test_smoother_holds_one_frame_back_and_flushes_it():
    frames = [np.full((32, 48, 3), 100 + 10 * i, np.uint8) for i in range(4)]
    flow, ema = Smoother(SmoothingConfig("flow")), Smoother(SmoothingConfig("ema"))
    flow_motion, ema_motion = MotionEstimator("flow"), MotionEstimator("ema")
    assert [len(flow(f, flow_motion(f))) for f in frames] == [0, 1, 1, 1] and len(flow.flush()) == 1
    assert [len(ema(f, ema_motion(f))) for f in frames] == [1, 1, 1, 1] and ema.flush() == []
    assert flow.flush() == []


def test_smoother_rejects_bad_settings():
    with pytest.raises(VidganError):
        Smoother(SmoothingConfig("blur"))
    with pytest.raises(VidganError):
        Smoother(SmoothingConfig("flow", 1.5))


def test_metrics_command(tmp_path):
    clip = make_shift_clip(tmp_path / "pan.mp4", frames=6)
    run(clip, tmp_path / "out.mp4", Invert())
    out = tmp_path / "out.mp4"
    args = ["metrics", "temporal", str(clip), str(out), "--reference", str(out), "--json", str(tmp_path / "m.json")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "warping error (dis)" in result.output and "warping error (farneback)" in result.output
    assert (tmp_path / "m.json").is_file()


def test_metrics_pairs_frames_by_time_and_refuses_what_does_not_line_up(tmp_path):
    """An output of part of a clip is measured against that part (--start/--duration, as translate had them);
    the whole clip against it, or a longer reference, is refused in one line instead of scored."""
    clip = make_shift_clip(tmp_path / "pan.mp4", frames=20)  # 10 frames/s
    part = tmp_path / "part.mp4"
    run(clip, part, Invert(), start=0.5, duration=1.0)
    whole = tmp_path / "whole.mp4"
    run(clip, whole, Invert())
    aligned = temporal_report(clip, part, methods=["dis"], start=0.5, duration=1.0)["warping_error"]["dis"]
    assert aligned == pytest.approx(temporal_report(clip, whole, methods=["dis"])["warping_error"]["dis"], rel=0.5)
    for args in ([clip, part], [clip, part, "--start", "0.5", "--duration", "1.5"],
                 [clip, part, "--start", "0.5", "--duration", "1", "--reference", whole]):  # fmt: skip
        result = CliRunner().invoke(main, ["metrics", "temporal", *map(str, args), "--flow", "dis"])
        assert result.exit_code == 1 and "do not line up" in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1 and "warping error" not in result.output


@pytest.mark.parametrize("mode", ["ema", "flow"])
def test_torch_smoothing_matches_opencv(tmp_path, mode):
    """The torch backend (grid_sample, for outputs on a GPU) against OpenCV's, here both on the CPU."""
    import torch

    clip = make_shift_clip(tmp_path / "pan.mp4", frames=8, cut_at=6)
    frames = np.stack(list(frames_of(clip)))
    per_frame = FrameTranslator(Flicker(seed=2), torch.device("cpu"))(frames)
    expected = np.stack(smooth_all(Smoother(SmoothingConfig(mode)), MotionEstimator(mode), frames, per_frame))
    got = smooth_all(Smoother(SmoothingConfig(mode), "torch"), MotionEstimator(mode), frames,
                     torch.from_numpy(per_frame))  # fmt: skip
    got = torch.stack(got).numpy()
    assert len(got) == len(frames)
    diff = np.abs(got.astype(int) - expected)
    assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 3
    assert np.abs(got.astype(int) - per_frame).mean() > 2  # it did smooth


def test_gpu_route_of_the_pipeline_writes_what_the_cpu_route_writes(tmp_path):
    """translate_clip's GPU route (Smooth in the device's thread with the torch backend, before Download; a
    frame held back across batches and let go at the end) run on the CPU: the same frames, times and pixels
    (within rounding) as the CPU route (Smooth with OpenCV in a thread of its own)."""
    import torch

    clip = make_shift_clip(tmp_path / "pan.mp4", frames=11)  # 11: batches of 8 leave a partial one
    options = TranslateOptions(quiet=True, size=None, batch_size=8, encode=EncodeSettings(crf=0),
                               smooth=SmoothingConfig("flow"))  # fmt: skip
    for backend in ("opencv", "torch"):
        translator = FrameTranslator(Flicker(seed=3), torch.device("cpu"))
        translate_clip(clip, tmp_path / f"{backend}.mp4", translator, options, backend=backend)
    (a, t_a), (b, t_b) = read_video(tmp_path / "opencv.mp4"), read_video(tmp_path / "torch.mp4")
    assert t_a == t_b == read_video(clip)[1]
    assert np.abs(np.stack(a).astype(int) - np.stack(b)).mean() < 0.5


@pytest.mark.parametrize("size", [(45, 31), (401, 225)])
def test_flow_smoothing_takes_an_output_a_pixel_larger_than_its_input(size):
    """The pipeline crops an odd-sized working frame's output to even dimensions: the smoother's reduced
    copies must still share the flow's grid (below and above the flow's 320 px width)."""
    w, h = size
    noise = np.random.default_rng(0).integers(0, 255, (h, w + 8, 3), dtype=np.uint8)
    texture = cv2.GaussianBlur(noise, (0, 0), 2)  # smooth enough that a 1 px pan is not a scene cut
    frames = [np.ascontiguousarray(texture[:, i : i + w]) for i in range(3)]  # a pan: no scene cut
    outs = smooth_all(Smoother(SmoothingConfig("flow")), MotionEstimator("flow"), frames,
                      [np.pad(f, ((0, 1), (0, 1), (0, 0)), mode="edge") for f in frames])  # fmt: skip
    assert [o.shape for o in outs] == [(h + 1, w + 1, 3)] * 3
    assert not any(is_cut(grey(a), grey(b)) for a, b in zip(frames, frames[1:]))  # so the frames were linked
