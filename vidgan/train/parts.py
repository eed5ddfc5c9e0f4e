"""The pieces a training run is made of, below the loop: the networks, where this process stands in a
torchrun job, `frozen` for the networks a step does not train, the images as the networks take them."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from vidgan.models.nets import PatchDiscriminator, build_generator, init_weights, to_signed
from vidgan.train.config import TrainConfig


@dataclass
class Dist:
    """Where this process stands in a torchrun job (a single process is rank 0 of 1)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed(device_name: str) -> Dist:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Dist()
    backend = "nccl" if device_name != "cpu" and torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    d = Dist(dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0")))
    if backend == "nccl":
        torch.cuda.set_device(d.local_rank)
    return d


def build_networks(config: TrainConfig) -> dict[str, nn.Module]:
    """The four networks (and D_C, with content_adv_b), seeded and initialised N(0, 0.02) as in the paper."""
    torch.manual_seed(config.seed)
    gen = config.generator_config()
    nets = {
        "G_A": build_generator(gen),
        "G_B": build_generator(gen),
        "D_A": PatchDiscriminator(ndf=config.ndf, n_layers=config.n_layers_d),
        "D_B": PatchDiscriminator(ndf=config.ndf, n_layers=config.n_layers_d),
    }
    if config.content_adv_b:  # judges G_B's content whole against whole horses (objectives/masked.py)
        nets["D_C"] = PatchDiscriminator(ndf=config.ndf, n_layers=config.n_layers_d)
    if gen.mask:
        # A training setting, not the architecture's; G_B may have its own (config.mask_grad_floor_b).
        floor_b = config.mask_grad_floor if config.mask_grad_floor_b is None else config.mask_grad_floor_b
        nets["G_A"].mask_head.grad_floor, nets["G_B"].mask_head.grad_floor = config.mask_grad_floor, floor_b
    return {k: init_weights(v) for k, v in nets.items()}


def discriminator_names(nets: dict) -> tuple[str, ...]:
    """The discriminators among a run's networks (or their state dicts): D_A, D_B and, where set, D_C."""
    return tuple(k for k in nets if k.startswith("D_"))


@contextlib.contextmanager
def frozen(*nets: nn.Module) -> Iterator[None]:
    """No gradients for these networks' weights inside the block (the discriminators while the generators
    learn from them): nothing is stored for a backward pass that would be thrown away."""
    for net in nets:
        net.requires_grad_(False)
    try:
        yield
    finally:
        for net in nets:
            net.requires_grad_(True)


def to_float(batch: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """uint8 (B, 3, H, W) on the device -> float in [-1, 1]."""
    x = to_signed(batch)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x
