"""Distillation's objective (GAN Compression, Li et al. CVPR 2020; the parts are in ../distill.py): G_A,
the student, reproduces the teacher on domain A, and G_B learns the inverse, teacher(a) -> a.

    L = |G_A(a) - T(a)| + |G_B(T(a)) - a| [+ feature_weight * feature MSE] [+ adversarial_weight * L_GAN]

The optional LSGAN term is against discriminators that judge the teacher's outputs (D_A) and domain A (D_B)
as real: sized to the student (`ndf`), since a small generator facing a full-size one collapses (GAN
Compression; GCC).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vidgan.train.config import TrainConfig
from vidgan.train.distill import FeatureLinks, Teacher, capture, picked_blocks
from vidgan.train.losses import gan_loss
from vidgan.train.objectives import Augment, Seen


class Distillation:
    def __init__(self, config: TrainConfig, fwd: dict[str, nn.Module], judges: dict[str, nn.Module],
                 augment: Augment, teacher: Teacher, links: FeatureLinks | None) -> None:  # fmt: skip
        self.config, self.fwd, self.judges, self.augment = config, fwd, judges, augment
        self.teacher, self.links = teacher, links
        self.uses_discriminators = config.adversarial_weight > 0

    def generator_losses(self, real_a: torch.Tensor, target_b: torch.Tensor | None) -> tuple[dict, Seen]:
        """real_a (N, 3, h, w) in [-1, 1] and the teacher's cached output on it (None: the teacher
        translates it now, `online`)."""
        c = self.config
        features: list[torch.Tensor] = []
        if target_b is None:
            target_b, features = self.teacher(real_a, blocks=self.links is not None)
        with capture(picked_blocks(self.fwd["G_A"]) if self.links is not None else []) as student_features:
            fake_b = self.fwd["G_A"](real_a)  # the student: G(x) ~ T(x)
        fake_a = self.fwd["G_B"](target_b)  # the inverse: F(T(x)) ~ x
        losses = {"l1": F.l1_loss(fake_b.float(), target_b), "inverse": F.l1_loss(fake_a.float(), real_a)}
        if self.links is not None:
            losses["feature"] = c.feature_weight * self.links.loss(student_features, features)
        if self.uses_discriminators:
            losses["G_A"] = c.adversarial_weight * gan_loss(self.judges["D_A"](self.augment(fake_b)), True, c.gan_mode)
            losses["G_B"] = c.adversarial_weight * gan_loss(self.judges["D_B"](self.augment(fake_a)), True, c.gan_mode)
        return losses, Seen(real_a, target_b, fake_a.detach(), fake_b.detach())

    @torch.no_grad()
    def translate_pair(self, real_a: torch.Tensor, target_b: torch.Tensor | None) -> Seen:
        if target_b is None:
            target_b, _ = self.teacher(real_a)
        return Seen(real_a, target_b, self.fwd["G_B"](target_b), self.fwd["G_A"](real_a))
