"""Upsampling the working-size output with the full-size input's detail (vidgan/ops/upsampling.py), its figures,
and the stage in the pipeline and the image path."""

import numpy as np
import pytest
import torch
from clips import Invert, make_shift_clip, read_video, textured
from PIL import Image
from torch import nn

from vidgan.engine.translator import FrameTranslator
from vidgan.eval.upsampling import detail_sums, fidelity, fine_detail, sharpness
from vidgan.ops.smoothing import SmoothingConfig
from vidgan.ops.upsampling import METHODS, Upsampler
from vidgan.pipeline.clip import translate_clip
from vidgan.pipeline.files import translate_image
from vidgan.pipeline.options import TranslateOptions
from vidgan.video.formats import EncodeSettings


def sharp(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A texture with detail at every scale, down to single pixels."""
    fine = np.random.default_rng(seed).integers(-40, 41, (height, width, 3))
    return np.clip(textured(width, height, seed).astype(int) + fine, 0, 255).astype(np.uint8)


def pair(full: np.ndarray, factor: int = 4) -> np.ndarray:
    """The working-size input: `full` scaled down `factor` times (area)."""
    h, w = full.shape[:2]
    return np.asarray(Image.fromarray(full).resize((w // factor, h // factor), Image.Resampling.BOX))


class Identity(nn.Module):
    def forward(self, x):
        return x


def test_detail_gives_back_the_input_where_the_translation_changed_nothing():
    """Output = input at the working size: the weight is 1 everywhere and the result is the full-size input
    itself, where plain resizing keeps little of its fine detail."""
    full = sharp(256, 192)
    source = pair(full)
    out = Upsampler("detail")(source, source.copy(), full)
    assert np.abs(out.astype(int) - full).max() <= 1
    assert sharpness(detail_sums(full, out, source, source)) == pytest.approx((1, 1), abs=1e-3)
    resized = Upsampler("resize")(source, source.copy(), full)
    energy, kept = sharpness(detail_sums(full, resized, source, source))
    assert energy < 0.5 and kept < 0.5
    noise = np.random.default_rng(5).integers(-60, 61, full.shape)
    hatched = np.clip(resized + noise, 0, 255).astype(np.uint8)  # texture of its own, not the input's
    energy, kept = sharpness(detail_sums(full, hatched, source, source))
    assert energy > 1 and kept < 0.5


def test_detail_forgives_the_generators_small_redraw_of_untouched_content():
    """The generator redraws even untouched content some grey levels off: a shift of 15 levels still gets
    nearly all the input's fine detail (0.94; 0.88 without the tolerance), one of 40 levels about half."""
    full = sharp(256, 192)
    source = pair(full)

    def kept(shift: int) -> float:
        redrawn = np.clip(source.astype(int) + shift, 0, 255).astype(np.uint8)
        out = Upsampler("detail")(source, redrawn, full)
        out_detail, in_detail = (fine_detail(x, 4).ravel() for x in (out, full))
        return float(out_detail @ in_detail / (in_detail @ in_detail))

    assert kept(15) > 0.92
    assert kept(40) < 0.6


def test_detail_keeps_the_translation_where_it_changed_the_content():
    """A negative changes every pixel: no input detail is added, the result is the plain upsampling."""
    full = sharp(256, 192)
    source = pair(full)
    negative = 255 - source
    changed = np.abs(negative.astype(int) - source).max(-1) > 120  # where the negative is far from the input
    assert changed.mean() > 0.5
    out, resized = (Upsampler(m)(source, negative, full) for m in ("detail", "resize"))
    mask = np.kron(changed, np.ones((4, 4), bool))  # to full size
    assert np.abs(out.astype(int) - resized)[mask].mean() < 2
    assert fidelity(out, negative) > 35


def test_guided_filter_carries_a_local_linear_map_to_full_size():
    """Output = a * input + b per channel (a colour change the input explains): the guided filter applies
    the same map to the full-size input, detail and all."""
    full = sharp(256, 192)
    source = pair(full)
    a, b = np.array([0.5, 0.8, 1.0]), np.array([100, 20, 0])
    mapped = (source * a + b).round().astype(np.uint8)
    out = Upsampler("guided")(source, mapped, full)
    expected = full * a + b
    assert np.abs(out - expected)[8:-8, 8:-8].mean() < 3  # borders aside: the window is mirrored there


@pytest.mark.parametrize("method", METHODS)
def test_torch_backend_matches_opencv(method):
    """The torch formulas (for outputs on a GPU) against OpenCV's, both on the CPU."""
    full = sharp(200, 120, seed=1)
    source = pair(full)
    output = np.asarray(Image.fromarray(source).rotate(3))  # a change here and there
    expected = Upsampler(method)(source, output, full)
    got = Upsampler(method, "torch")(source, torch.from_numpy(output.copy()), full)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.uint8
    diff = np.abs(got.numpy().astype(int) - expected)
    assert diff.max() <= 2 and diff.mean() < 0.1


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="detail, guided, resize"):
        Upsampler("nearest")


def test_pipeline_upsamples_on_both_routes(tmp_path):
    """A 4x upscale in the pipeline with the identity model: `detail` writes the input (within the codec's
    rounding) where `resize` blurs it; with smoothing, the GPU route (torch, before Download) writes what
    the CPU route writes; frames and times are the input's."""
    clip = make_shift_clip(tmp_path / "pan.mp4", width=256, height=128, frames=5)
    inputs, times = read_video(clip)
    written = {}
    for method, backend, smooth in (("detail", "opencv", "none"), ("resize", "opencv", "none"),
                                    ("detail", "opencv", "flow"), ("detail", "torch", "flow")):  # fmt: skip
        options = TranslateOptions(quiet=True, size=32, upsample=method, encode=EncodeSettings(crf=0),
                                   smooth=SmoothingConfig(smooth))  # fmt: skip
        out = tmp_path / f"{method}-{backend}-{smooth}.mp4"
        translate_clip(clip, out, FrameTranslator(Identity(), torch.device("cpu")), options, backend=backend)
        frames, written_times = read_video(out)
        assert written_times == times and frames[0].shape == inputs[0].shape
        written[method, backend, smooth] = np.stack(frames).astype(int)
    truth = np.stack(inputs).astype(int)
    detail, resize = (np.abs(written[m, "opencv", "none"] - truth).mean() for m in ("detail", "resize"))
    assert detail < 2 and resize > 8 * detail
    assert np.abs(written["detail", "torch", "flow"] - written["detail", "opencv", "flow"]).mean() < 0.5


def test_image_upsamples_with_its_own_detail(tmp_path):
    full = sharp(256, 192, seed=2)
    Image.fromarray(full).save(tmp_path / "in.png")
    translator = FrameTranslator(Invert(), torch.device("cpu"))
    for method in ("detail", "resize"):
        translate_image(tmp_path / "in.png", tmp_path / f"{method}.png", translator,
                        TranslateOptions(size=48, upsample=method))  # fmt: skip
    detail, resize = (np.asarray(Image.open(tmp_path / f"{m}.png")) for m in ("detail", "resize"))
    assert detail.shape == full.shape
    # A negative changes everything, so detail falls back to the plain upsampling (PIL's and OpenCV's cubic).
    assert np.abs(detail.astype(int) - resize).mean() < 3
    identity = FrameTranslator(Identity(), torch.device("cpu"))
    translate_image(tmp_path / "in.png", tmp_path / "same.png", identity, TranslateOptions(size=48))
    assert np.abs(np.asarray(Image.open(tmp_path / "same.png")).astype(int) - full).mean() < 1


def test_the_benchmarks_pipeline_rows_run_a_model_by_name(tmp_path, model):
    """`vidgan bench-upsample`'s pipeline part: the input, each method and the identity's two rows, through
    `vidgan translate` with a model loaded by name (a name once reached the pipeline unloaded)."""
    from vidgan.bench.upsample import in_pipeline
    from vidgan.models.registry import load_model

    clip = make_shift_clip(tmp_path / "pan.mp4", width=64, height=48, frames=4)
    rows = in_pipeline(clip, load_model(model), None)
    assert [r.method for r in rows] == ["(the input itself)", *METHODS, "(identity) detail", "(identity) resize"]
    assert all(np.isfinite([r.dis, r.farneback]).all() for r in rows)
    assert rows[0].fps is None and all(r.fps > 0 for r in rows[1:])


def test_sharpness_has_no_figure_where_nothing_was_left_alone():
    assert sharpness(np.zeros(3)) == (None, None)
