"""Distillation (GAN Compression, Li et al. CVPR 2020): a small generator trained to reproduce a bigger one.

`vidgan distill TEACHER --a FOLDER --name NAME` is a run of the trainer (loop.py) with the teacher's
objective instead of the paper's: G_A, the student, learns TEACHER on domain A, and G_B learns its inverse,
TEACHER(a) -> a: a warm start for the reverse generator of a CycleGAN that goes on from the pair
(`vidgan train --init-from RUN`). The parts, each small:

- `Teacher`: the generator being reproduced, frozen. `cached` targets: it translates each image of the
  domain once, whole and at the size crops are cut from, as the pipeline would (padded to a multiple of 4,
  rounded to uint8), so a step costs the students alone; `online`: it translates every crop at every step,
  which the feature losses need (its inner activations on the very crop the student sees).
- `FeatureLinks`: the feature losses, MSE between the student's activations after a few residual blocks and
  the teacher's at the same relative depths, the student's mapped to the teacher's width by learned 1x1
  convolutions (trained with the generators).
- the objective itself is `objectives/distill.py`'s `Distillation`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn
from tqdm import tqdm

from vidgan.atomic import atomic_path
from vidgan.engine.runtime import autocast
from vidgan.engine.translator import FrameTranslator
from vidgan.models.checkpoints import save_tensors
from vidgan.models.nets import ResnetBlock, SeparableResnetBlock
from vidgan.models.registry import load_model
from vidgan.train.data import Domain

TARGETS = ("cached", "online")
FEATURE_POINTS = 3  # residual blocks compared: a third, two thirds and all the way through each network
CACHE = "teacher.safetensors"  # a run's cached targets, so a resumed run does not translate them again


class Teacher:
    """The generator the student reproduces, by `--model` spec, frozen on the training device."""

    def __init__(self, spec: str, device: torch.device, precision: str) -> None:
        loaded = load_model(spec)
        self.spec, self.card = spec, loaded.card
        self.net = loaded.generator.to(device).eval().requires_grad_(False)
        self.device, self.precision = device, precision

    def targets(self, domain: Domain, run_dir: Path, quiet: bool) -> Domain:
        """The teacher's translation of every image of `domain`, whole (uint8, same sizes): read from the
        run folder where an earlier start of this run made them, else made and saved there."""
        cache = run_dir / CACHE
        if cache.is_file():
            try:
                tensors = load_file(str(cache))
                images = [tensors[str(i)] for i in range(len(domain))]
                if all(t.shape == s.shape for t, s in zip(images, domain.images)):
                    return Domain(domain.folder, images, 0)
            except (SafetensorError, OSError, KeyError):
                pass  # made for other data, or damaged: make them again
        translator = FrameTranslator(self.net, self.device, self.precision)
        images = []
        for image in tqdm(domain.images, desc=f"teacher {self.spec}", unit="image", disable=quiet, dynamic_ncols=True):
            out = translator(image.permute(1, 2, 0).contiguous().numpy()[None])[0]  # (H, W, 3) uint8
            images.append(torch.from_numpy(out).permute(2, 0, 1).contiguous())
        run_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(cache, overwrite=True) as tmp:
            save_tensors({str(i): im for i, im in enumerate(images)}, tmp, {"teacher": self.spec})
        return Domain(domain.folder, images, 0)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, blocks: bool = False) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """x: (N, 3, H, W) in [-1, 1], H and W multiples of 4 -> (the teacher's output, its activations after
        the residual blocks FeatureLinks compares, when `blocks`)."""
        with capture(picked_blocks(self.net) if blocks else []) as features, autocast(self.device, self.precision):
            y = self.net(x)
        return y.float(), [f.float() for f in features]


def residual_blocks(generator: nn.Module) -> list[nn.Module]:
    return [m for m in generator.modules() if isinstance(m, (ResnetBlock, SeparableResnetBlock))]


def picked_blocks(generator: nn.Module) -> list[nn.Module]:
    """FEATURE_POINTS residual blocks at evenly spread depths, the last among them."""
    blocks = residual_blocks(generator)
    if not blocks:
        raise ValueError(f"{type(generator).__name__} has no residual blocks to compare")
    return [blocks[round((i + 1) * len(blocks) / FEATURE_POINTS) - 1] for i in range(FEATURE_POINTS)]


def block_width(block: nn.Module) -> int:
    return block.conv_block[1].in_channels  # the first conv after the padding, in either family


@contextlib.contextmanager
def capture(modules: list[nn.Module]) -> Iterator[list[torch.Tensor]]:
    """The outputs of `modules` during the forward passes inside the block, in call order."""
    outputs: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: outputs.append(out)) for m in modules]
    try:
        yield outputs
    finally:
        for h in hooks:
            h.remove()


class FeatureLinks(nn.Module):
    """1x1 convolutions from the student's picked blocks to the teacher's widths; `loss` is the mean of the
    MSEs between the mapped student activations and the teacher's (both at H/4: the two families downsample
    alike)."""

    def __init__(self, student: nn.Module, teacher: nn.Module) -> None:
        super().__init__()
        pairs = zip(picked_blocks(student), picked_blocks(teacher))
        self.maps = nn.ModuleList(nn.Conv2d(block_width(s), block_width(t), 1) for s, t in pairs)

    def loss(self, student: list[torch.Tensor], teacher: list[torch.Tensor]) -> torch.Tensor:
        terms = [F.mse_loss(m(s).float(), t) for m, s, t in zip(self.maps, student, teacher, strict=True)]
        return torch.stack(terms).mean()
