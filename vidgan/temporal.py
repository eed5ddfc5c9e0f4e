"""Temporal smoothing: less flicker between frames that CycleGAN translates one by one.

- `ema`: out_t = (1 - s) G(x_t) + s out_{t-1}. Cheap; right for still shots, smears motion.
- `flow`: optical flow on the *input* frames (OpenCV DIS, at reduced resolution) carries the previous
  output onto the current frame and blends it in:
      out_t = G(x_t) + s * M * A * (warp(out_{t-1}) - G(x_t))
  with M = 1 where a forward-backward consistency test trusts the flow and 1/2 where it does not, and
  A in [0, 1] how well the motion-compensated previous *input* matches the current one (where the input
  itself changed, an occlusion or the flow's error included, the output should change too).
- Both reset at a scene cut (a large mean change between input frames), so a cut is never smeared.

The flow helpers here are also what `vidgan metrics temporal` uses to measure flicker.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from vidgan.errors import VidganError

MODES = ("none", "ema", "flow")
FLOW_METHODS = ("dis", "farneback")
DEFAULT_STRENGTH = 0.55  # measured on real clips: see docs/benchmarks.md (temporal smoothing)
UNRELIABLE_SHARE = 0.5  # of the weight kept where the flow's forward-backward test fails
FLOW_WIDTH = 320  # flow is estimated at most this wide: DIS error grows little, cost falls quadratically
CUT_THRESHOLD = 40.0  # mean absolute grey change (0-255) between input frames that counts as a scene cut


def grey(rgb: np.ndarray, width: int | None = None) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> grey uint8, downscaled (area) to `width` if it is wider."""
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if width is not None and g.shape[1] > width:
        h = max(8, round(g.shape[0] * width / g.shape[1]))
        g = cv2.resize(g, (width, h), interpolation=cv2.INTER_AREA)
    return g


class FlowEstimator:
    """Dense optical flow a -> b: a(x) ~ b(x + flow(x)), in pixels of the arrays given."""

    def __init__(self, method: str = "dis", fast: bool = False) -> None:
        if method not in FLOW_METHODS:
            raise VidganError(f"unknown flow method {method!r}: {', '.join(FLOW_METHODS)}")
        self.method = method
        # The smoother takes DIS's ultrafast preset (half the time); the metric its more careful one.
        preset = cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST if fast else cv2.DISOPTICAL_FLOW_PRESET_FAST
        self._dis = cv2.DISOpticalFlow_create(preset) if method == "dis" else None

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self._dis is not None:
            return self._dis.calc(a, b, None)
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)


@functools.cache
def _grid(height: int, width: int) -> np.ndarray:
    """Pixel coordinates (H, W, 2) float32, cached per size: remap wants absolute positions."""
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return np.stack([xs, ys], axis=-1)


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample `image` at x + flow(x): with flow = flow(t -> t-1), brings frame t-1 onto frame t."""
    positions = _grid(*flow.shape[:2]) + flow
    return cv2.remap(image, positions, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _sq_norm(vectors: np.ndarray) -> np.ndarray:
    x, y = cv2.split(vectors)  # contiguous planes: far faster than reducing the last axis
    return x * x + y * y


def consistent(backward: np.ndarray, forward: np.ndarray, slack: float = 0.5) -> np.ndarray:
    """Forward-backward test (Sundaram et al. 2010, as in Lai et al. 2018): pixel x of frame t is reliable
    where following backward (t -> t-1) then forward (t-1 -> t) returns to x, within 1% of the motion plus
    `slack` squared pixels (0.5: the metric's standard). Bool (H, W)."""
    fw_at = warp(forward, backward)  # forward flow, read where x lands in frame t-1
    return _sq_norm(backward + fw_at) < 0.01 * (_sq_norm(backward) + _sq_norm(fw_at)) + slack


def is_cut(prev_grey: np.ndarray, cur_grey: np.ndarray) -> bool:
    return float(np.abs(cur_grey.astype(np.int16) - prev_grey).mean()) > CUT_THRESHOLD


@dataclass
class SmoothingConfig:
    mode: str = "none"  # none | ema | flow
    strength: float = DEFAULT_STRENGTH  # 0: per-frame output, 1: as much of the past as is reliable

    def validate(self) -> None:
        if self.mode not in MODES:
            raise VidganError(f"unknown smoothing {self.mode!r}: {', '.join(MODES)}")
        if not 0.0 <= self.strength <= 1.0:
            raise VidganError(f"smoothing strength must be in [0, 1], got {self.strength}")


@dataclass
class _Plan:
    """What one frame's smoothing needs, all at the flow's reduced size (cheap to send to a GPU)."""

    weight: np.ndarray  # (h, w) float32: the share of the carried-over output per pixel
    positions: np.ndarray | None  # (h, w, 2) float32 full-size sampling positions; None: no warp (ema)


class Smoother:
    """Stateful: feed frames in order, `(input, output) -> smoothed output`, all uint8 (H, W, 3).

    The flow and the weights are computed on the CPU at the reduced size (`_plan`); applying them (a
    warp and a blend at full size) runs with OpenCV on the CPU (`__call__`) or, on a GPU, with
    `grid_sample` where the translated frames already are (`smooth_batch`), before they are downloaded."""

    def __init__(self, config: SmoothingConfig) -> None:
        config.validate()
        self.config = config
        self.flow = FlowEstimator("dis", fast=True) if config.mode == "flow" else None
        self._prev_grey: np.ndarray | None = None
        self._prev_out = None  # the last smoothed output: uint8 array (CPU) or float tensor (GPU)
        self._prev_shape: tuple[int, int] | None = None

    @property
    def active(self) -> bool:
        return self.config.mode != "none" and self.config.strength > 0

    def _plan(self, inp: np.ndarray, shape: tuple[int, int]) -> _Plan | None:
        """None where the output passes unchanged: the first frame, a new size, a scene cut."""
        cur_grey = grey(inp, FLOW_WIDTH)
        prev_grey, self._prev_grey = self._prev_grey, cur_grey
        prev_shape, self._prev_shape = self._prev_shape, shape
        if prev_shape != shape or is_cut(prev_grey, cur_grey):
            return None
        s = self.config.strength
        if self.config.mode == "ema":
            return _Plan(np.full((1, 1), s, np.float32), None)
        backward = self.flow(cur_grey, prev_grey)  # t -> t-1
        # The smoother's coarse, fast flow is off by a pixel or two where the metric's is exact: the standard
        # 0.5 px^2 slack rejected most of a 6.67 fps clip; 4 px^2 keeps it (tuned on the reference clips).
        reliable = consistent(backward, self.flow(prev_grey, cur_grey), slack=4.0)  # t-1 -> t agrees
        # Where the test fails the flow is still often close (large motion, exposure changes), and the
        # input-agreement term below refuses it where its error shows in the input: such pixels keep half
        # the weight (Muybridge clip: 0.64 -> 0.53 of the per-frame flicker at the same 30 dB; zebra alike).
        trust = np.where(reliable, np.float32(1.0), np.float32(UNRELIABLE_SHARE))
        change = np.abs(warp(prev_grey, backward).astype(np.float32) - cur_grey)
        # Where the input itself changed after motion compensation (lighting, what the flow missed), the
        # output should change too: fade the carried-over share out between 24 and 96 grey levels (tuned
        # on the reference clips: tighter cut flicker removal more than it raised fidelity).
        agree = np.clip((96.0 - change) / 72.0, 0.0, 1.0)
        # The sampling positions x + flow(x), mapped to full-size pixel coordinates while still coarse:
        # bilinear resizing then reproduces the full-size pixel grid exactly (pixel centres align), except
        # within half a coarse pixel of the border, where it is clamped. One resize instead of two.
        h, w = shape
        coarse = _grid(*backward.shape[:2]) + backward
        coarse[..., 0] = (coarse[..., 0] + 0.5) * (w / backward.shape[1]) - 0.5
        coarse[..., 1] = (coarse[..., 1] + 0.5) * (h / backward.shape[0]) - 0.5
        return _Plan((s * trust * agree).astype(np.float32), coarse)

    def __call__(self, inp: np.ndarray, out: np.ndarray) -> np.ndarray:
        if not self.active:
            return out
        h, w = out.shape[:2]
        plan = self._plan(inp, (h, w))
        if plan is None:
            self._prev_out = out
            return out
        weight = cv2.resize(plan.weight, (w, h), interpolation=cv2.INTER_LINEAR)
        carried = self._prev_out
        if plan.positions is not None:
            full = cv2.resize(plan.positions, (w, h), interpolation=cv2.INTER_LINEAR)
            carried = cv2.remap(carried, full, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        # out = (1 - weight) * G(x_t) + weight * carried, per pixel, in one uint8 pass
        smoothed = cv2.blendLinear(out, carried, 1.0 - weight, weight)
        self._prev_out = smoothed
        return smoothed

    def smooth_batch(self, inputs: np.ndarray, outputs: torch.Tensor) -> torch.Tensor:
        """The same on a device: inputs (N, h, w, 3) uint8 on the host, outputs (N, H, W, 3) uint8 on the
        device (CUDA, or the CPU in tests); returns the smoothed outputs there, frame after frame."""
        if not self.active:
            return outputs
        results = []
        for inp, out in zip(inputs, outputs):
            current = out.permute(2, 0, 1)[None].float()  # (1, 3, H, W)
            h, w = current.shape[-2:]
            plan = self._plan(inp, (h, w))
            if plan is not None:
                weight = _upsample(torch.from_numpy(plan.weight).to(out.device)[None, None], h, w)
                carried = self._prev_out
                if plan.positions is not None:
                    # grid_sample wants positions in [-1, 1] (align_corners=False: pixel edges at -1 and 1)
                    scale = torch.tensor([2.0 / w, 2.0 / h], device=out.device)
                    grid = (torch.from_numpy(plan.positions).to(out.device) + 0.5) * scale - 1
                    grid = _upsample(grid.permute(2, 0, 1)[None], h, w).permute(0, 2, 3, 1)
                    carried = F.grid_sample(carried, grid, mode="bilinear", padding_mode="border", align_corners=False)
                current = torch.lerp(current, carried, weight)
            self._prev_out = current
            results.append(current.round().clamp(0, 255).to(torch.uint8)[0].permute(1, 2, 0))
        return torch.stack(results)


def _upsample(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Bilinear resize of (1, C, h', w') to (h, w), matching cv2.resize's pixel-centre convention."""
    if x.shape[-2:] == (h, w):
        return x
    return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
