"""The objective of CycleGAN (Zhu et al. 2017, equations 1-3 and section 5.2).

    L(G, F, D_X, D_Y) = L_GAN(G, D_Y, X, Y) + L_GAN(F, D_X, Y, X) + lambda * L_cyc(G, F)  [+ identity]

The adversarial term is least squares (section 4: LSGAN, "more stable, higher quality"): G minimises
(D(G(x)) - 1)^2, D minimises (D(y) - 1)^2 + D(G(x))^2. `vanilla` is the original log-likelihood form.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _wide(x: torch.Tensor) -> torch.Tensor:
    """Losses in fp32 at least under autocast (bf16 activations); fp64 stays fp64."""
    return x.to(torch.promote_types(x.dtype, torch.float32))


def gan_loss(prediction: torch.Tensor, target_is_real: bool, mode: str = "lsgan") -> torch.Tensor:
    """The adversarial loss of a patch map of scores against an all-real or all-fake target."""
    prediction = _wide(prediction)
    target = torch.ones_like(prediction) if target_is_real else torch.zeros_like(prediction)
    if mode == "lsgan":
        return F.mse_loss(prediction, target)
    if mode == "vanilla":
        return F.binary_cross_entropy_with_logits(prediction, target)
    raise ValueError(f"unknown GAN loss {mode!r}")


def cycle_loss(reconstructed: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """Equation 2, one direction: ||F(G(x)) - x||_1 (mean over pixels)."""
    return F.l1_loss(_wide(reconstructed), _wide(original))


def identity_loss(mapped: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """Section 5.2: ||G(y) - y||_1, which keeps colours when the input is already in the target domain."""
    return F.l1_loss(_wide(mapped), _wide(original))
