"""Which objective a run optimises, chosen once when the trainer is made."""

from __future__ import annotations

import torch
from torch import nn

from vidgan.train.config import TrainConfig
from vidgan.train.distill import FeatureLinks, Teacher
from vidgan.train.objectives import Augment
from vidgan.train.objectives.cyclegan import CycleGAN
from vidgan.train.objectives.distill import Distillation
from vidgan.train.objectives.masked import MaskedCycleGAN


def build_objective(config: TrainConfig, fwd: dict[str, nn.Module], judges: dict[str, nn.Module],
                    device: torch.device, teacher: Teacher | None = None,
                    links: FeatureLinks | None = None) -> CycleGAN | MaskedCycleGAN | Distillation:  # fmt: skip
    """What the step optimises: a distillation where there is a teacher, the masked objective for masked
    generators, else the paper's. `fwd`: the generators as the step runs them, `judges`: the discriminators
    as the generator step sees them."""
    augment = Augment(config.diffaugment, config.seed, device)
    if teacher is not None:
        return Distillation(config, fwd, judges, augment, teacher, links)
    return (MaskedCycleGAN if config.mask else CycleGAN)(config, fwd, judges, augment)
