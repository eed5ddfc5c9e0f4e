"""Temporal smoothing: less flicker between frames that CycleGAN translates one by one.

- `ema`: out_t = (1 - s) G(x_t) + s out_{t-1}. Cheap; right for still shots, smears motion.
- `flow`: optical flow on the *input* frames (OpenCV DIS, at reduced resolution) carries the previous
  output onto the current frame; a forward-backward consistency test marks the pixels the flow can be
  trusted on (not occluded, not newly visible); only there is the warped output blended in:
      out_t = G(x_t) + s * M * (warp(out_{t-1}) - G(x_t)),   M in {0, 1}
- Both reset at a scene cut (a large mean change between input frames), so a cut is never smeared.

The flow helpers here are also what `vidgan metrics temporal` uses to measure flicker.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from vidgan.errors import VidganError

MODES = ("none", "ema", "flow")
FLOW_METHODS = ("dis", "farneback")
DEFAULT_STRENGTH = 0.6  # measured on real clips: see docs/benchmarks.md (temporal smoothing)
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

    def __init__(self, method: str = "dis") -> None:
        if method not in FLOW_METHODS:
            raise VidganError(f"unknown flow method {method!r}: {', '.join(FLOW_METHODS)}")
        self.method = method
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST) if method == "dis" else None

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self._dis is not None:
            return self._dis.calc(a, b, None)
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def resize_flow(flow: np.ndarray, width: int, height: int) -> np.ndarray:
    """Flow estimated at a reduced size, scaled to (width, height) pixels."""
    if flow.shape[1] == width and flow.shape[0] == height:
        return flow
    sx, sy = width / flow.shape[1], height / flow.shape[0]
    out = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
    out[..., 0] *= sx
    out[..., 1] *= sy
    return out


@functools.cache
def _grid(height: int, width: int) -> np.ndarray:
    """Pixel coordinates (H, W, 2) float32, cached per size: remap wants absolute positions."""
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return np.stack([xs, ys], axis=-1)


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample `image` at x + flow(x): with flow = flow(t -> t-1), brings frame t-1 onto frame t."""
    positions = _grid(*flow.shape[:2]) + flow
    return cv2.remap(image, positions, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def consistent(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Forward-backward test (Sundaram et al. 2010, as in Lai et al. 2018): pixel x of frame t is reliable
    where following backward (t -> t-1) then forward (t-1 -> t) returns to x. Bool (H, W)."""
    fw_at = warp(forward, backward)  # forward flow, read where x lands in frame t-1
    round_trip = backward + fw_at
    sq = (round_trip**2).sum(-1)
    return sq < 0.01 * ((backward**2).sum(-1) + (fw_at**2).sum(-1)) + 0.5


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


class Smoother:
    """Stateful: feed frames in order, `(input, output) -> smoothed output`, all uint8 (H, W, 3)."""

    def __init__(self, config: SmoothingConfig) -> None:
        config.validate()
        self.config = config
        self.flow = FlowEstimator("dis") if config.mode == "flow" else None
        self._prev_grey: np.ndarray | None = None
        self._prev_out: np.ndarray | None = None  # float32, the last smoothed output

    def __call__(self, inp: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self.config.mode == "none" or self.config.strength == 0:
            return out
        cur_grey = grey(inp, FLOW_WIDTH)
        current = out.astype(np.float32)
        prev_out, prev_grey = self._prev_out, self._prev_grey
        self._prev_grey = cur_grey
        if prev_out is None or prev_out.shape != current.shape or is_cut(prev_grey, cur_grey):
            self._prev_out = current
            return out
        s = self.config.strength
        if self.config.mode == "ema":
            smoothed = current + s * (prev_out - current)
        else:
            # Flow and its reliability at the reduced size; only the final warp runs at full size.
            backward = self.flow(cur_grey, prev_grey)  # t -> t-1
            forward = self.flow(prev_grey, cur_grey)  # t-1 -> t
            h, w = current.shape[:2]
            mask = cv2.resize(consistent(backward, forward).astype(np.float32), (w, h))[..., None]
            smoothed = current + (s * mask) * (warp(prev_out, resize_flow(backward, w, h)) - current)
        self._prev_out = smoothed
        return np.clip(smoothed + 0.5, 0, 255).astype(np.uint8)
