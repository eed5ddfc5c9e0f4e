"""`vidgan metrics temporal`: how much a translated video flickers, and how far smoothing moved it.

Warping error (Lai et al., "Learning Blind Video Temporal Consistency", ECCV 2018): for each pair of
consecutive frames, the optical flow of the *input* frames (t -> t-1) warps output frame t-1 onto frame t;
the error is the mean squared difference (pixels in [0, 1], averaged over the channels) between output t
and that warped frame, over the pixels the forward-backward test finds unoccluded; the clip's value is
the mean over pairs. A stable translation scores near 0, a flickering one high. Two flow methods (DIS and
Farneback) are offered so smoothing, which uses DIS itself, is not graded only by its own flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from vidgan.metrics import psnr
from vidgan.temporal import FLOW_METHODS, FlowEstimator, consistent, warp
from vidgan.video.decode import probe, read_frames

MAX_WIDTH = 640  # measured at most this wide: the figure is about flicker, not detail


def frames_of(path: str | Path, size: tuple[int, int] | None = None) -> Iterator[np.ndarray]:
    """Upright RGB frames of a video, at `size` or its own size capped to MAX_WIDTH."""
    info = probe(path)
    if size is None:
        w, h = info.width, info.height
        if w > MAX_WIDTH:
            w, h = MAX_WIDTH, max(2, round(h * MAX_WIDTH / w))
        size = (w, h)
    for frame in read_frames(info, size):
        yield frame.rgb


def warping_error(inputs: Iterable[np.ndarray], outputs: Iterable[np.ndarray], method: str = "dis") -> float:
    """Mean warping error over consecutive pairs; inputs and outputs are same-sized RGB uint8 frames."""
    flow = FlowEstimator(method)
    errors = []
    prev_grey = prev_out = None
    for inp, out in zip(inputs, outputs):
        cur_grey = cv2.cvtColor(inp, cv2.COLOR_RGB2GRAY)
        cur_out = out.astype(np.float32) / 255.0
        if prev_grey is not None:
            backward = flow(cur_grey, prev_grey)
            mask = consistent(backward, flow(prev_grey, cur_grey))
            diff = ((cur_out - warp(prev_out, backward)) ** 2).mean(-1)
            if mask.any():
                errors.append(float(diff[mask].mean()))
        prev_grey, prev_out = cur_grey, cur_out
    if not errors:
        raise ValueError("need at least two frames to measure temporal stability")
    return float(np.mean(errors))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5) of two uint8 images, mean over channels."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b, cov = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2, blur(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(ssim_map.mean())


def temporal_report(
    inp: str | Path, out: str | Path, reference: str | Path | None = None, methods: Iterable[str] = FLOW_METHODS
) -> dict:
    """Warping error of `out` (translated from `inp`) under each flow method; with `reference` (the
    per-frame output), the mean PSNR and SSIM of `out` to it."""
    size = next(frames_of(out)).shape[1::-1]
    report: dict = {"input": str(inp), "output": str(out), "size": list(size), "warping_error": {}}
    for method in methods:
        report["warping_error"][method] = warping_error(frames_of(inp, size), frames_of(out, size), method)
    if reference is not None:
        mses, ssims = [], []
        for a, b in zip(frames_of(out, size), frames_of(reference, size)):  # streamed: any length fits
            mses.append(((a.astype(np.float64) - b) ** 2).mean())
            ssims.append(ssim(a, b))
        # PSNR of the mean squared error over all frames: one identical frame does not make it infinite.
        report["psnr_to_reference"] = psnr(float(np.mean(mses)))
        report["ssim_to_reference"] = float(np.mean(ssims))
    return report
