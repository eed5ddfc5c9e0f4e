"""Each training step's real images, cut where the training runs (data.py's domains and sampler, put together).

A step sees a batch of each side; when distilling, side B is the teacher's output on the very same crops
(image for image, crop for crop), or nothing where the teacher translates the A crops online. Where D_A's
real images have a resize of their own (`load_size_real_b`), it judges the step's B images cut from that:
what D_A learns a zebra looks like can differ from the zebras F learns to translate.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from vidgan.train.config import TrainConfig
from vidgan.train.data import Domain, DomainBatches, PairSampler, load_domain
from vidgan.train.objectives import Seen
from vidgan.train.parts import to_float


class StepBatches:
    """The real A and B images of the step after `seen` images, floats in [-1, 1] on `device`."""

    def __init__(self, data_a: Domain, data_b: Domain, config: TrainConfig, device: torch.device,
                 rank: int, world: int, channels_last: bool) -> None:  # fmt: skip
        self.sampler = PairSampler(len(data_a), len(data_b), config, rank, world)
        self.domains = (DomainBatches(data_a, device), DomainBatches(data_b, device))
        self.judged_b = (DomainBatches(load_domain(config.b, "B", config, True, config.load_size_real_b), device)
                         if config.load_size_real_b else None)  # fmt: skip
        self.paired = bool(config.teacher)  # distilling: side B pairs with side A
        self.online = self.paired and config.distill_targets == "online"
        self.crop, self.channels_last = config.crop_size, channels_last

    def reals(self, seen: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(N, 3, crop, crop) of A and of B (None where a teacher translates the A crops online)."""
        positions = self.sampler.positions(seen)
        indices = self.sampler.indices(positions)
        if self.paired:
            indices = (indices[0], indices[0])  # image for image, crop for crop
        out = []
        for side, (domain, idx) in enumerate(zip(self.domains, indices)):
            if side == 1 and self.online:
                out.append(None)
                continue
            crops = self.sampler.crops(positions, 0 if self.paired else side, domain.heights[idx], domain.widths[idx])
            out.append(to_float(domain.batch(idx, crops, self.crop), self.channels_last))
        return out[0], out[1]

    def judged(self, pair: Seen, seen: int) -> Seen:
        """`pair` as the discriminators judge it: D_A's real images cut from `judged_b` where there is one, the
        same images, flips and greying as the step's B batch, their crops from the same draws."""
        if self.judged_b is None:
            return pair
        positions = self.sampler.positions(seen)
        idx = self.sampler.indices(positions)[1]
        crops = self.sampler.crops(positions, 1, self.judged_b.heights[idx], self.judged_b.widths[idx])
        return replace(pair, real_b=to_float(self.judged_b.batch(idx, crops, self.crop), self.channels_last))
