"""An exponential moving average of the generators' weights: what a run exports when `ema` is set.

A GAN generator's weights wander around a good solution from step to step (the discriminator keeps moving
the target); their running average sits nearer its middle and often translates better than any one step
(Yazici et al., "The Unusual Effectiveness of Averaging in GAN Training", ICLR 2019; StyleGAN and most
later GANs export such an average). Training goes on with the raw weights; only exports and the judged
models are the average. After each generator step:

    average = ema * average + (1 - ema) * weights        (per tensor; ema 0.999 ~ the last 1,000 steps)
"""

from __future__ import annotations

import copy

import torch
from torch import nn

AVERAGED = ("G_A", "G_B")


class WeightAverage:
    """The averaged copies of G_A and G_B. Buffers (none in our generators' norms) are copied, not averaged."""

    def __init__(self, nets: dict[str, nn.Module], ema: float) -> None:
        self.ema = ema
        self.nets = {k: copy.deepcopy(nets[k]).eval().requires_grad_(False) for k in AVERAGED}

    @torch.no_grad()
    def update(self, nets: dict[str, nn.Module]) -> None:
        for k, average in self.nets.items():
            for mean, value in zip(average.parameters(), nets[k].parameters()):
                mean.lerp_(value, 1.0 - self.ema)
            for mean, value in zip(average.buffers(), nets[k].buffers()):
                mean.copy_(value)

    def state_dict(self) -> dict[str, dict]:
        return {k: v.state_dict() for k, v in self.nets.items()}

    def load_state_dict(self, state: dict[str, dict]) -> None:
        for k, net in self.nets.items():
            net.load_state_dict(state[k])
