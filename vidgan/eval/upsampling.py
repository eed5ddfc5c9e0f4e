"""How well an upsampled translation keeps the input's sharpness and the generator's result.

- Sharpness, over the pixels the translation left alone (the working-size output within LEFT_ALONE grey
  levels of the input, largest channel, after a 2 px blur), of the fine detail: the detail finer than the
  working size holds (grey image minus its Gaussian blur with sigma half the scale factor: at 1080p from
  256 px, 2.1 px). Two figures:
  - energy ratio: the output's fine-detail energy over the input's. Any texture counts, the generator's
    own too (an early model's hatching over flat regions reads as sharpness here);
  - input detail kept: the output's fine detail projected on the input's, <out, in> / <in, in>: only the
    input's own detail counts. 1.0 for the input itself, near 0 for plain resizing.
- Fidelity: the output scaled back down (area) to the working size, PSNR to the generator's own output.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidgan.ops.fidelity import psnr

LEFT_ALONE = 12.0  # grey levels (0-255): where the working-size output is this close to the input


def left_alone(source: np.ndarray, output: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """bool (H, W) at `size` (w, h): where the translation (working size, uint8 (h, w, 3) each) left the
    content alone."""
    change = np.abs(output.astype(np.float32) - source.astype(np.float32)).max(-1)
    calm = (cv2.GaussianBlur(change, (0, 0), 2) < LEFT_ALONE).astype(np.float32)
    return cv2.resize(calm, size, interpolation=cv2.INTER_LINEAR) > 0.5


def fine_detail(image: np.ndarray, scale: float) -> np.ndarray:
    """float32 (H, W): an RGB image's grey detail finer than a frame `scale` times smaller holds."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return grey - cv2.GaussianBlur(grey, (0, 0), max(0.5, scale / 2))


def detail_sums(full: np.ndarray, upsampled: np.ndarray, source: np.ndarray, output: np.ndarray) -> np.ndarray:
    """[<out, out>, <out, in>, <in, in>] of the fine detail over the left-alone pixels: the input `full`
    and the `upsampled` output at full size, the `source` and generator `output` at the working size. Sum
    over frames, then `sharpness` gives a clip's figures."""
    mask = left_alone(source, output, (full.shape[1], full.shape[0]))
    scale = min(full.shape[:2]) / min(source.shape[:2])
    out = fine_detail(upsampled, scale)[mask].astype(np.float64)
    inp = fine_detail(full, scale)[mask].astype(np.float64)
    return np.array([out @ out, out @ inp, inp @ inp])


def sharpness(sums: np.ndarray) -> tuple[float | None, float | None]:
    """(energy ratio, input detail kept) from `detail_sums` (summed over frames); None where no pixel was
    left alone (a translation that changes everything) or the input there has no fine detail."""
    if sums[2] == 0:
        return None, None
    return float(sums[0] / sums[2]), float(sums[1] / sums[2])


def fidelity(upsampled: np.ndarray, output: np.ndarray) -> float:
    """PSNR (dB) of the upsampled output, scaled down (area) to the working size, to the generator's."""
    small = cv2.resize(upsampled, (output.shape[1], output.shape[0]), interpolation=cv2.INTER_AREA)
    return psnr(float(((small.astype(np.float32) - output.astype(np.float32)) ** 2).mean()))
