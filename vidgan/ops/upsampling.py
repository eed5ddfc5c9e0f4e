"""Upsampling: the generator's output, made at the working size, brought to the output size with the
full-resolution input's detail.

The generator works at a short side of 256 px, the scale it was trained at; scaled back up plainly, a
1080p result is blurred, though the model only meant to change the horse. Three methods, chosen by
`vidgan bench-upsample` (docs/quality.md has the figures):

- `detail` (default): detail transfer. With I the input and P the output at the working size, H the input
  at full size and D = P - I, two weights say where the translation left the content alone (near 1) or
  changed it (near 0): w = exp(-(max_c |D| / AGREEMENT)^2), and v the same with the first TOLERANCE of
  the difference forgiven (the generator redraws even untouched content a few grey levels off). Then

      out = up(P - w^3 * D_fine) + up(v) * (H - up(I))

  adds back the input's detail finer than the working size (H - up(I)) where the content is unchanged,
  and, more strictly (w^3), the input's finest working-size detail in place of the generator's
  (D_fine = D minus its Gaussian blur: the top octave of the change, where an early generator blurs
  textures or lays its own hatching). Where the translation changed the content, out = up(P). Scaled
  back down, out is P up to that restored octave (34-39 dB). The exponent and AGREEMENT were chosen on
  the judge score (within 0.02 of plain resizing on testA upscaled 4x), TOLERANCE on sharpness (the
  judge, which sees the working size, does not see it), docs/quality.md has the figures.
- `guided`: the fast guided filter (He et al., "Guided Image Filtering"; Wu et al., CVPR 2018): per channel
  a local linear model P ~ a * I + b fitted at the working size, whose coefficients, upsampled, are applied
  to H. Sharp, but where the input is flat and the output is not (stripes on a brown horse) the model
  can only average the output: it loses the translation's own detail (measured 26-35 dB to P).
- `resize`: plain bicubic scaling, the reference.

One implementation of each formula serves both backends: OpenCV on host arrays, torch where the outputs
are (a GPU). The working-size images are (h, w, C) float32 on the 0-255 scale in both, so the formulas
read the same; the full-size input stays uint8, and each method ends in one full-size step,
`finish(base, weight, full) = base + weight * full` rounded to uint8 (in OpenCV two threaded passes with
saturation: converting the 1080p input to float first cost more than all the rest).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

METHODS = ("detail", "guided", "resize")
DEFAULT_METHOD = "detail"

AGREEMENT = 0.15  # output-input difference (largest channel, 0-1) where the input's detail is weighted e^-1
TOLERANCE = 0.02  # of that difference, what the detail finer than the working size forgives (5 grey levels):
# the zebra clip's left-alone regions kept 0.78 of the input's fine-detail energy without it, 0.83 with it
WEIGHT_SIGMA = 1.0  # working-size px: the weight map is blurred so its edges do not ring when upsampled
FINE_SIGMA = 1.0  # working-size px: the change's detail finer than this is the input's where content agrees
GUIDED_RADIUS = 1  # working-size px: the guided filter's window is (2r+1)^2 (r=2: 0.3 dB lower, no sharper)
GUIDED_EPS = 1e-4  # the guided filter's regularisation (on the 0-1 scale): a local variance far below it
# means "flat, a = 0"
SCALE = 255.0  # the images' scale: the constants above are on the 0-1 scale


class _OpenCV:
    """(H, W, C) float32 numpy arrays."""

    exp = staticmethod(np.exp)

    @staticmethod
    def relu(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    @staticmethod
    def load(image: np.ndarray) -> np.ndarray:
        return image.astype(np.float32)

    @staticmethod
    def finish(base: np.ndarray, weight: np.ndarray | None, full: np.ndarray) -> np.ndarray:
        """base + weight * full (full uint8; weight one channel or three, or None: 0), rounded to uint8."""
        if weight is None:
            return cv2.add(base, 0.0, dtype=cv2.CV_8U)
        if weight.shape[-1] != full.shape[-1]:
            weight = cv2.merge([weight] * full.shape[-1])
        return cv2.add(base, cv2.multiply(weight, full, dtype=cv2.CV_32F), dtype=cv2.CV_8U)

    @staticmethod
    def channel_max(x: np.ndarray) -> np.ndarray:
        return np.abs(x).max(-1, keepdims=True)

    @staticmethod
    def _keep_shape(out: np.ndarray, like: np.ndarray) -> np.ndarray:
        return out.reshape(*out.shape[:2], like.shape[-1])  # OpenCV drops a single channel's axis

    @classmethod
    def resize(cls, x: np.ndarray, size: tuple[int, int], cubic: bool) -> np.ndarray:
        return cls._keep_shape(cv2.resize(x, size, interpolation=cv2.INTER_CUBIC if cubic else cv2.INTER_LINEAR), x)

    @classmethod
    def blur(cls, x: np.ndarray, sigma: float) -> np.ndarray:
        return cls._keep_shape(cv2.GaussianBlur(x, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101), x)

    @classmethod
    def box(cls, x: np.ndarray, radius: int) -> np.ndarray:
        k = 2 * radius + 1
        return cls._keep_shape(cv2.blur(x, (k, k), borderType=cv2.BORDER_REFLECT_101), x)


class _Torch:
    """(H, W, C) float32 tensors on any device; OpenCV's filters and borders, computed with torch."""

    exp = staticmethod(torch.exp)
    relu = staticmethod(torch.relu)

    @staticmethod
    def load(image: torch.Tensor) -> torch.Tensor:
        return image.float()

    @staticmethod
    def finish(base: torch.Tensor, weight: torch.Tensor | None, full: torch.Tensor) -> torch.Tensor:
        out = base if weight is None else base + weight * full
        return out.round_().clamp_(0, 255).to(torch.uint8)

    @staticmethod
    def channel_max(x: torch.Tensor) -> torch.Tensor:
        return x.abs().amax(-1, keepdim=True)

    @staticmethod
    def resize(x: torch.Tensor, size: tuple[int, int], cubic: bool) -> torch.Tensor:
        w, h = size
        nchw = x.permute(2, 0, 1)[None]
        out = F.interpolate(nchw, size=(h, w), mode="bicubic" if cubic else "bilinear", align_corners=False)
        return out[0].permute(1, 2, 0)

    @staticmethod
    def _separable(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        """Each channel filtered by `kernel` along both axes, borders mirrored as OpenCV's default."""
        c, r = x.shape[-1], len(kernel) // 2
        nchw = F.pad(x.permute(2, 0, 1)[None], (r, r, r, r), mode="reflect")
        k = kernel.to(x)
        nchw = F.conv2d(nchw, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
        nchw = F.conv2d(nchw, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
        return nchw[0].permute(1, 2, 0)

    @classmethod
    def blur(cls, x: torch.Tensor, sigma: float) -> torch.Tensor:
        # OpenCV's kernel for sigma on float images: size 2 * round(4 sigma) + 1.
        size = 2 * round(4 * sigma) + 1
        return cls._separable(x, torch.from_numpy(cv2.getGaussianKernel(size, sigma, cv2.CV_32F)[:, 0]))

    @classmethod
    def box(cls, x: torch.Tensor, radius: int) -> torch.Tensor:
        return cls._separable(x, torch.full((2 * radius + 1,), 1 / (2 * radius + 1)))


def _detail(ops, source, output, full):
    size = (full.shape[1], full.shape[0])
    change = output - source
    difference = ops.channel_max(change) / (AGREEMENT * SCALE)  # (h, w, 1)
    weight = ops.blur(ops.exp(-(difference**2)), WEIGHT_SIGMA)
    forgiving = ops.blur(ops.exp(-(ops.relu(difference - TOLERANCE / AGREEMENT) ** 2)), WEIGHT_SIGMA)
    fine = change - ops.blur(change, FINE_SIGMA)
    # up(P - w^3 D_fine) - up(v) up(I), computed as up(P - w^3 D_fine - v I): one upsampling fewer, and
    # the same where v is smooth, which its blur sees to (measured: within 0.4 dB, sharpness equal).
    base = ops.resize(output - weight**3 * fine - forgiving * source, size, cubic=True)
    return ops.finish(base, ops.resize(forgiving, size, cubic=False), full)


def _guided(ops, source, output, full):
    size = (full.shape[1], full.shape[0])
    mean_i, mean_p = ops.box(source, GUIDED_RADIUS), ops.box(output, GUIDED_RADIUS)
    var_i = ops.box(source * source, GUIDED_RADIUS) - mean_i * mean_i
    cov = ops.box(source * output, GUIDED_RADIUS) - mean_i * mean_p
    a = cov / (var_i + GUIDED_EPS * SCALE**2)
    b = mean_p - a * mean_i
    a, b = ops.box(a, GUIDED_RADIUS), ops.box(b, GUIDED_RADIUS)
    return ops.finish(ops.resize(b, size, cubic=False), ops.resize(a, size, cubic=False), full)


def _resize(ops, source, output, full):
    return ops.finish(ops.resize(output, (full.shape[1], full.shape[0]), cubic=True), None, full)


_FORMULAS = {"detail": _detail, "guided": _guided, "resize": _resize}


class Upsampler:
    """`upsampler(source, output, full)`: the output (h, w, 3) uint8, made from `source` (h, w, 3) uint8, at
    the size of `full` (H, W, 3) uint8, the same input at that size. numpy arrays with the "opencv"
    backend; tensors with "torch" (on the outputs' device: `full` and `source` may be numpy, they are
    sent there)."""

    def __init__(self, method: str = DEFAULT_METHOD, backend: str = "opencv") -> None:
        if method not in METHODS:
            raise ValueError(f"upsampling method {method!r} is not one of {', '.join(METHODS)}")
        self.formula = _FORMULAS[method]
        self.ops = _Torch if backend == "torch" else _OpenCV
        self.torch = backend == "torch"

    def __call__(self, source, output, full):
        if self.torch:
            source, full = (
                torch.as_tensor(np.require(x, requirements="W")).to(output.device, non_blocking=True)
                for x in (source, full)
            )
        ops = self.ops
        return self.formula(ops, ops.load(source), ops.load(output), full)
