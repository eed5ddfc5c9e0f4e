"""Temporal smoothing: less flicker between frames that CycleGAN translates one by one.

- `ema`: out_t = (1 - s) G(x_t) + s out_{t-1}. Cheap; right for still shots, smears motion.
- `flow`: optical flow on the *input* frames (OpenCV DIS, at reduced resolution) carries the previous
  smoothed output onto the current frame and blends it in; the *next* per-frame output, carried back at
  the flow's reduced size, adds its colour and brightness (a centred filter, not only a causal one):
      out_t = ((1 + b) G(x_t) + a warp(out_{t-1})) / (1 + a + b)
              + b / (1 + a + b) * (warp(small G(x_{t+1})) - small G(x_t)),   a = 2s W_p, b = s W_n
  W in [0, 1] per pixel is how far each warp is trusted: 1 where the flow's forward-backward consistency
  test passes and 1/2 where it fails, times how well the motion-compensated *input* frames match (where
  the input itself changed, an occlusion or the flow's error included, the output should change too).
  The look-ahead holds each frame back until the next has arrived (`flush` ends a clip).
- Both reset at a scene cut (a large mean change between input frames), so a cut is never smeared, in
  either direction.

Two halves, so each can run where it fits: `MotionEstimator` looks only at the *inputs* (grey copies, scene
cuts, flow and trust weights, all at the flow's reduced size, on the CPU) and can run ahead of the
generator; `Smoother` applies that `Motion` to the outputs (warps and blends at full size), with OpenCV on
the CPU or with `grid_sample` where the outputs already are (a GPU).

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
DEFAULT_STRENGTH = 0.475  # measured on real clips: see docs/benchmarks.md (temporal smoothing)
UNRELIABLE_SHARE = 0.5  # of the weight kept where the flow's forward-backward test fails
FLOW_WIDTH = 320  # flow is estimated at most this wide: DIS error grows little, cost falls quadratically
CUT_THRESHOLD = 40.0  # mean absolute grey change (0-255) between input frames that counts as a scene cut


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average `image` down to `size` (w, h). OpenCV's area resize is 5-7x faster at exactly half
    size than at other ratios, so it halves while it can, then makes the last step."""
    w, h = size
    while image.shape[1] >= 2 * w and image.shape[0] >= 2 * h:
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if image.shape[:2] != (h, w):
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    return image


def grey(rgb: np.ndarray, width: int | None = None) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> grey uint8, area-averaged down to `width` if it is wider."""
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if width is not None and g.shape[1] > width:
        g = shrink(g, (width, max(8, round(g.shape[0] * width / g.shape[1]))))
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


def consistent(backward: np.ndarray, forward: np.ndarray, slack: float = 0.5) -> np.ndarray:
    """Forward-backward test (Sundaram et al. 2010, as in Lai et al. 2018): pixel x of frame t is reliable
    where following backward (t -> t-1) then forward (t-1 -> t) returns to x, within 1% of the motion plus
    `slack` squared pixels (0.5: the metric's standard). Bool (H, W)."""
    fw_at = warp(forward, backward)  # forward flow, read where x lands in frame t-1
    return _returns(*cv2.split(backward), *cv2.split(fw_at), slack)


def _returns(fx: np.ndarray, fy: np.ndarray, bx: np.ndarray, by: np.ndarray, slack: float) -> np.ndarray:
    """The test on flow planes: (fx, fy) there, (bx, by) the way back read where it lands. Planes, not
    (H, W, 2) arrays: reducing the last axis is far slower."""
    sx, sy = fx + bx, fy + by
    return sx * sx + sy * sy < 0.01 * (fx * fx + fy * fy + bx * bx + by * by) + slack


def is_cut(prev_grey: np.ndarray, cur_grey: np.ndarray) -> bool:
    return float(np.abs(cur_grey.astype(np.int16) - prev_grey).mean()) > CUT_THRESHOLD


@dataclass
class SmoothingConfig:
    mode: str = "none"  # none | ema | flow
    strength: float = DEFAULT_STRENGTH  # 0: per-frame output, 1: as much of the neighbours as is reliable

    @property
    def active(self) -> bool:
        return self.mode != "none" and self.strength > 0

    def validate(self) -> None:
        if self.mode not in MODES:
            raise VidganError(f"unknown smoothing {self.mode!r}: {', '.join(MODES)}")
        if not 0.0 <= self.strength <= 1.0:
            raise VidganError(f"smoothing strength must be in [0, 1], got {self.strength}")


@dataclass
class _Link:
    """How consecutive frames t-1 and t correspond, all at the flow's reduced size (h, w): cheap to
    compute on the CPU and to send to a GPU."""

    backward: np.ndarray  # (h, w, 2) flow t -> t-1, in reduced-size pixels: brings frame t-1 onto t
    back_trust: np.ndarray  # (h, w) in [0, 1]: how far to trust it, per pixel of frame t
    forward: np.ndarray  # (h, w, 2) flow t-1 -> t: brings frame t onto t-1
    ahead_trust: np.ndarray  # (h, w) the same, per pixel of frame t-1


@dataclass
class Motion:
    """What the inputs say about frame t and its predecessor; the smoother needs nothing else of them."""

    grid: tuple[int, int]  # (w, h) of the flow: where the weights and the look-ahead live
    fresh: bool  # no usable predecessor: the first frame, a scene cut, a new size
    link: _Link | None = None  # flow mode, not fresh: the flows and their trust


class MotionEstimator:
    """Stateful: feed the input frames in order, `input (h, w, 3) uint8 -> Motion`."""

    def __init__(self, mode: str) -> None:
        self.flow = FlowEstimator("dis", fast=True) if mode == "flow" else None
        self._prev_grey: np.ndarray | None = None

    def __call__(self, inp: np.ndarray) -> Motion:
        cur_grey = grey(inp, FLOW_WIDTH)
        prev_grey, self._prev_grey = self._prev_grey, cur_grey
        fresh = prev_grey is None or prev_grey.shape != cur_grey.shape or is_cut(prev_grey, cur_grey)
        link = None if fresh or self.flow is None else self._link(prev_grey, cur_grey)
        return Motion(cur_grey.shape[::-1], fresh, link)

    def _link(self, prev_grey: np.ndarray, cur_grey: np.ndarray) -> _Link:
        backward, forward = self.flow(cur_grey, prev_grey), self.flow(prev_grey, cur_grey)  # t -> t-1, t-1 -> t

        def trust(flow: np.ndarray, other: np.ndarray, here: np.ndarray, there: np.ndarray) -> np.ndarray:
            # One remap reads both the way back and the other frame where each pixel lands: packed as four
            # float channels they take OpenCV's vector path (one 2-channel remap alone is 3x slower).
            packed = cv2.merge([other, there.astype(np.float32), np.zeros(here.shape, np.float32)])
            back_x, back_y, there_at, _ = cv2.split(warp(packed, flow))
            # The smoother's coarse, fast flow is off by a pixel or two where the metric's is exact: the
            # standard 0.5 px^2 slack rejected most of a 6.67 fps clip; 4 px^2 keeps it (tuned on the
            # reference clips). Where the test fails the flow is still often close (large motion, exposure
            # changes), and the input-agreement term refuses it where its error shows in the input: such
            # pixels keep half the weight (Muybridge clip: 0.64 -> 0.53 of the per-frame flicker at 30 dB).
            reliable = _returns(*cv2.split(flow), back_x, back_y, slack=4.0)
            # Where the input itself changed after motion compensation (lighting, what the flow missed),
            # the output should change too: fade the weight out between 24 and 96 grey levels of change.
            agree = np.clip((96.0 - np.abs(there_at - here)) / 72.0, 0.0, 1.0)
            return np.where(reliable, agree, UNRELIABLE_SHARE * agree).astype(np.float32)

        return _Link(backward, trust(backward, forward, cur_grey, prev_grey),
                     forward, trust(forward, backward, prev_grey, cur_grey))  # fmt: skip


def _positions(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Sampling positions x + flow(x) on the flow's grid, in pixel coordinates of an image of `size` (w, h).
    Mapped while still coarse: bilinear resizing then reproduces the full-size pixel grid exactly (pixel
    centres align), except within half a coarse pixel of the border, where it is clamped."""
    (w, h), (cw, ch) = size, flow.shape[1::-1]
    positions = _grid(ch, cw) + flow
    if (w, h) != (cw, ch):
        positions[..., 0] = (positions[..., 0] + 0.5) * (w / cw) - 0.5
        positions[..., 1] = (positions[..., 1] + 0.5) * (h / ch) - 0.5
    return positions


class _OpenCV:
    """Applies the smoother's warps and blends to uint8 (H, W, 3) arrays on the CPU; reduced-size images
    are float32 (h, w, 3). Weights come at the flow's reduced size (or 1x1) and are resized here."""

    def __init__(self) -> None:
        self._scratch: dict[tuple, np.ndarray] = {}

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: type = np.uint8, fill: float | None = None):
        """A full-size scratch array reused from frame to frame: a fresh one costs more in page faults than
        the work done in it (an RGB -> RGBA conversion at 720p: 0.27 ms into a new array, 0.07 ms reused).
        `fill`: its value when made, for a constant that is never written over."""
        key = (name, shape, dtype)
        if key not in self._scratch:
            self._scratch[key] = np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype)
        return self._scratch[key]

    def load(self, out: np.ndarray) -> np.ndarray:
        return out

    def shrink(self, image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        return shrink(image, size).astype(np.float32)

    def warp(self, image: np.ndarray, flow: np.ndarray) -> np.ndarray:
        """`image` sampled at x + flow(x); a full-size result is scratch, valid until the next warp."""
        h, w = image.shape[:2]
        if image.dtype != np.uint8:  # a reduced-size copy
            return cv2.remap(image, _positions(flow, (w, h)), None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        positions = self._buffer("positions", (h, w, 2), np.float32)
        cv2.resize(_positions(flow, (w, h)), (w, h), dst=positions, interpolation=cv2.INTER_LINEAR)
        # OpenCV's remap has a vector path for 4 channels but not for 3: converting there and back is
        # twice as fast at 720p (2.5 -> 1.2 ms) as remapping RGB.
        rgba, warped = self._buffer("rgba", (h, w, 4)), self._buffer("warped rgba", (h, w, 4))
        cv2.cvtColor(image, cv2.COLOR_RGB2RGBA, dst=rgba)
        cv2.remap(rgba, positions, None, cv2.INTER_LINEAR, dst=warped, borderMode=cv2.BORDER_REPLICATE)
        return cv2.cvtColor(warped, cv2.COLOR_RGBA2RGB, dst=self._buffer("warped", (h, w, 3)))

    def blend(self, base: np.ndarray, image: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """(base + weight * image) / (1 + weight), per pixel, in a new array. blendLinear divides by the
        sum of its two weights, so the base's can be a constant: one full-size weight map, not two."""
        h, w = base.shape[:2]
        ones = self._buffer("ones", (h, w), np.float32, fill=1.0)
        weight = cv2.resize(weight, (w, h), dst=self._buffer("weight", (h, w), np.float32))
        return cv2.blendLinear(base, image, ones, weight)

    def mix(self, base: np.ndarray, image: np.ndarray, share: float) -> np.ndarray:
        """(1 - share) * base + share * image, the same share everywhere."""
        return cv2.addWeighted(base, 1 - share, image, share, 0.0)

    def add(self, image: np.ndarray, change: np.ndarray, weight: np.ndarray, owned: bool) -> np.ndarray:
        """image + weight * change, the product made at the reduced size and resized; in place where
        the image is `owned` (the smoother's own, not the caller's)."""
        h, w = image.shape[:2]
        # Offset by 128 into uint8, which resizes and adds 1.6x faster than int16 (exact: the correction
        # is an integer, at most 255 * s / (1 + s) < 128 in size).
        correction = np.clip(np.rint(change * weight[..., None]) + 128, 0, 255).astype(np.uint8)
        correction = cv2.resize(correction, (w, h), dst=self._buffer("correction", (h, w, 3)))
        return cv2.addWeighted(image, 1.0, correction, 1.0, -128.0, dst=image if owned else None)  # saturates

    def emit(self, image: np.ndarray) -> np.ndarray:
        return image


class _Torch:
    """The same with `grid_sample` on (1, 3, H, W) float tensors, where the translated frames already are
    (a GPU), so they are smoothed before they are downloaded."""

    def load(self, out: torch.Tensor) -> torch.Tensor:
        return out.permute(2, 0, 1)[None].float()

    def shrink(self, image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        return F.interpolate(image, size=size[::-1], mode="area")

    def warp(self, image: torch.Tensor, flow: np.ndarray) -> torch.Tensor:
        h, w = image.shape[-2:]
        # grid_sample wants positions in [-1, 1] (align_corners=False: pixel edges at -1 and 1), which do
        # not depend on the image's size: made on the flow's grid, then resized.
        ch, cw = flow.shape[:2]
        scale = torch.tensor([2.0 / cw, 2.0 / ch], device=image.device)
        grid = (torch.from_numpy(_grid(ch, cw) + flow).to(image.device) + 0.5) * scale - 1
        grid = _upsample(grid.permute(2, 0, 1)[None], h, w).permute(0, 2, 3, 1)
        return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def blend(self, base: torch.Tensor, image: torch.Tensor, weight: np.ndarray) -> torch.Tensor:
        weight = _upsample(torch.from_numpy(weight).to(base.device)[None, None], *base.shape[-2:])
        return (base + weight * image) / (1 + weight)

    def mix(self, base: torch.Tensor, image: torch.Tensor, share: float) -> torch.Tensor:
        return torch.lerp(base, image, share)

    def add(self, image: torch.Tensor, change: torch.Tensor, weight: np.ndarray, owned: bool) -> torch.Tensor:
        correction = change * torch.from_numpy(weight).to(change.device)
        return image + _upsample(correction, *image.shape[-2:])

    def emit(self, image: torch.Tensor) -> torch.Tensor:
        return image.round().clamp(0, 255).to(torch.uint8)[0].permute(1, 2, 0)


SMOOTHING_OPS = {"opencv": _OpenCV, "torch": _Torch}  # where the arithmetic runs


class Smoother:
    """Stateful: feed the outputs in order with their inputs' `Motion`, `(output, motion) -> smoothed
    outputs ready so far`, uint8 (H, W, 3): numpy arrays with the `opencv` backend, tensors (on any device)
    with `torch`.

    `flow` returns each frame once the next has arrived (its look-ahead), so a call returns no frame at the
    start of a clip and `flush()` returns the last; `ema` returns each frame at once."""

    def __init__(self, config: SmoothingConfig, backend: str = "opencv") -> None:
        config.validate()
        self.config = config
        self._ops = SMOOTHING_OPS[backend]()
        self._prev_out = None  # the last smoothed output, in the backend's form
        self._held: tuple | None = None  # flow: (output, its reduced copy, link to its predecessor)

    def __call__(self, out, motion: Motion) -> list:
        if not self.config.active:
            return [out]
        out = self._ops.load(out)
        if self.config.mode == "ema":
            if not motion.fresh:
                out = self._ops.mix(out, self._prev_out, self.config.strength)
            self._prev_out = out
            return [self._ops.emit(out)]
        small = self._ops.shrink(out, motion.grid)  # on the flow's grid (the output may be 1 px larger)
        ready = [] if self._held is None else [self._finish(*self._held, small, motion.link)]
        self._held = (out, small, motion.link)
        return ready

    def flush(self) -> list:
        """The frame still held back at the end of a clip."""
        if self._held is None:
            return []
        smoothed = self._finish(*self._held, None, None)
        self._held = None
        return [smoothed]

    def _finish(self, out, small, back: _Link | None, next_small, ahead: _Link | None):
        """Smooth the held frame `out` (linked to its predecessor by `back`) with its successor's reduced
        copy `next_small` (linked to it by `ahead`), as in the module's formula. The successor enters at
        the flow's size: its colour and brightness without its flickering texture, which the carried-over
        past steadies. Taking it at full size (a second full-size warp and blend) cost 2-3.5 ms more per
        720p frame, over the 10 ms budget, for flicker lower by 0.03 of the per-frame figure on the zebra
        clip at the same PSNR and on the same trade-off line on Muybridge (docs/benchmarks.md)."""
        s = self.config.strength
        a = 2 * s * back.back_trust if back is not None else 0.0
        b = s * ahead.ahead_trust if ahead is not None else 0.0
        smoothed = out
        if back is not None:
            smoothed = self._ops.blend(out, self._ops.warp(self._prev_out, back.backward), a / (1 + b))
        if ahead is not None:
            change = self._ops.warp(next_small, ahead.forward) - small
            smoothed = self._ops.add(smoothed, change, b / (1 + a + b), owned=back is not None)
        self._prev_out = smoothed
        return self._ops.emit(smoothed)


def _upsample(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Bilinear resize of (1, C, h', w') to (h, w), matching cv2.resize's pixel-centre convention."""
    if x.shape[-2:] == (h, w):
        return x
    return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
