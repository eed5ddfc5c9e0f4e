"""Measurements of translations: temporal stability (warping error) and image fidelity (PSNR, SSIM)."""

import math


def psnr(mse: float, peak: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB for a mean squared error and the value range's span."""
    return math.inf if mse == 0 else 10 * math.log10(peak**2 / mse)
