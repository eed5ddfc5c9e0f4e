"""Distances between two sets of image features: Frechet (FID's) and kernel (KID's), in any feature space
(the judge's 64-d one, or InceptionV3's 2048-d pool3)."""

from __future__ import annotations

import numpy as np


def frechet_distance(f1: np.ndarray, f2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr (S1^1/2 S2 S1^1/2)^1/2 between Gaussians fitted to two
    feature sets (rows are samples; covariances with N - 1).

    With centred samples X1, X2, S1 S2 = X1' (X1 X2') X2 / c, c = (n1 - 1)(n2 - 1), whose nonzero
    eigenvalues are the squared singular values of M = X1 X2' / sqrt(c); so the trace term is M's
    nuclear norm: an n1 x n2 SVD, exact, real, and cheap for 2048-d Inception features."""
    x1, x2 = f1 - f1.mean(0), f2 - f2.mean(0)
    n1, n2 = len(f1) - 1, len(f2) - 1
    cross = np.linalg.svd(x1 @ x2.T / np.sqrt(n1 * n2), compute_uv=False).sum()
    mean_term = ((f1.mean(0) - f2.mean(0)) ** 2).sum()
    return float(mean_term + (x1**2).sum() / n1 + (x2**2).sum() / n2 - 2 * cross)


def kernel_inception_distance(f1: np.ndarray, f2: np.ndarray, subset_size: int = 50, subsets: int = 100,
                              seed: int = 0) -> tuple[float, float]:  # fmt: skip
    """KID (Binkowski et al. 2018): unbiased MMD^2 with the kernel k(x, y) = (x.y / d + 1)^3, averaged
    over random subsets; returns (mean, standard deviation)."""
    rng = np.random.default_rng(seed)
    d = f1.shape[1]
    m = min(subset_size, len(f1), len(f2))
    values = []
    for _ in range(subsets):
        x = f1[rng.choice(len(f1), m, replace=False)]
        y = f2[rng.choice(len(f2), m, replace=False)]
        kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
        values.append(
            (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean()
        )
    return float(np.mean(values)), float(np.std(values))
