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
    (domain B), D_B real_a from fake_a. Each (N, 3, h, w) in [-1, 1]. `content`: (real horses whole, G_B's
    content on the real zebras) for D_C, where the masked objective has one (content_adv_b)."""

    real_a: torch.Tensor
    real_b: torch.Tensor
    fake_a: torch.Tensor
    fake_b: torch.Tensor
    content: tuple[torch.Tensor, torch.Tensor] | None = None


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


def discriminator_losses(judges: dict[str, nn.Module], pools: dict[str, ImagePool], seen: Seen, augment: Augment,
                         gan_mode: str) -> dict[str, torch.Tensor]:  # fmt: skip
    """The paper's step 2, each D on real images and on its pool of generated ones, in one pass:
    0.5 (L(D(real), 1) + L(D(pool(fake)), 0)). `judges`: D_A, D_B (and D_C where `seen` has content)."""

    def loss(d: nn.Module, real: torch.Tensor, fake: torch.Tensor, pool: ImagePool) -> torch.Tensor:
        judged_real, judged_fake = d(augment(torch.cat([real, pool.query(fake)]))).split(len(real))
        return 0.5 * (gan_loss(judged_real, True, gan_mode) + gan_loss(judged_fake, False, gan_mode))

    losses = {"D_A": loss(judges["D_A"], seen.real_b, seen.fake_b, pools["B"]),
              "D_B": loss(judges["D_B"], seen.real_a, seen.fake_a, pools["A"])}  # fmt: skip
    if seen.content is not None:
        losses["D_C"] = loss(judges["D_C"], *seen.content, pools["C"])
    return losses
