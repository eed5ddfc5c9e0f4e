"""Measurements of translations: temporal stability (warping error) and image fidelity (PSNR, SSIM)."""
