"""What a training step optimises, one objective per module, over the same parts (networks, losses, pools,
augmentation); the loop (../loop.py) only calls them:

- `cyclegan.CycleGAN`: the paper's (adversarial + cycle + identity), G and F translating every pixel;
- `masked.MaskedCycleGAN`: the same losses on the composites of masked generators, m * G(x) + (1 - m) * x,
  and priors on the masks (area, total variation);
- `distill.Distillation`: a student reproducing a teacher, and its inverse (GAN Compression).

Each gives `generator_losses(real_a, real_b) -> (losses, Seen)`: the generators' losses for one batch and
what the discriminators judge next; `discriminator_losses` (here: the same for all) turns a `Seen` into the
discriminators' losses.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from vidgan.train.augment import POLICIES, diff_augment
from vidgan.train.losses import gan_loss
from vidgan.train.pool import ImagePool


@dataclass
class Seen:
    """What the discriminators judge after a generator step, detached: D_A tells real_b from fake_b
    (domain B), D_B real_a from fake_a. Each (N, 3, h, w) in [-1, 1]."""

    real_a: torch.Tensor
    real_b: torch.Tensor
    fake_a: torch.Tensor
    fake_b: torch.Tensor


class Augment:
    """DiffAugment on every image a discriminator sees (augment.py), or nothing (an empty policy). Its
    random draws follow the schedule's clock (`at(images_seen)`), so a resumed run draws what an
    uninterrupted one would have."""

    def __init__(self, policy: str, seed: int, device: torch.device) -> None:
        self.policy = tuple(p for p in policy.split(",") if p)
        unknown = set(self.policy) - set(POLICIES)
        if unknown:
            raise ValueError(f"unknown DiffAugment policy {', '.join(sorted(unknown))}: {', '.join(POLICIES)}")
        self.seed = seed
        self.generator = torch.Generator(device) if self.policy else None

    def at(self, images_seen: int) -> None:
        if self.generator is not None:
            self.generator.manual_seed(self.seed * 1_000_003 + images_seen)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.policy, self.generator) if self.policy else x


def discriminator_losses(d_a: nn.Module, d_b: nn.Module, pools: dict[str, ImagePool], seen: Seen,
                         augment: Augment, gan_mode: str) -> dict[str, torch.Tensor]:  # fmt: skip
    """The paper's step 2, each D on real images and on its pool of generated ones, in one pass:
    0.5 (L(D(real), 1) + L(D(pool(fake)), 0))."""
    n = len(seen.real_a)
    old_b, old_a = pools["B"].query(seen.fake_b), pools["A"].query(seen.fake_a)
    real, fake = d_a(augment(torch.cat([seen.real_b, old_b]))).split(n)
    loss_d_a = 0.5 * (gan_loss(real, True, gan_mode) + gan_loss(fake, False, gan_mode))
    real, fake = d_b(augment(torch.cat([seen.real_a, old_a]))).split(n)
    loss_d_b = 0.5 * (gan_loss(real, True, gan_mode) + gan_loss(fake, False, gan_mode))
    return {"D_A": loss_d_a, "D_B": loss_d_b}
