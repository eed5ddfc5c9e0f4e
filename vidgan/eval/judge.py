"""The judge: a small A-vs-B image classifier trained from scratch, for evaluation with no downloads.

The usual translation metric, FID, needs Inception weights that often cannot be downloaded. A judge
trained on the two domains themselves answers the question a user has ("does G(a) look like B?") and
its 64 penultimate features give a domain-specific Frechet/kernel distance (judge-FID, judge-KID).
These are *not* comparable with published FID numbers; `vidgan eval --inception` computes those.

JudgeNet: 128x128 RGB in [-1, 1] -> five conv-BN-ReLU layers (four stride 2) -> global average pool ->
64 features -> one logit (positive: domain B).

A colour judge can be won by colour: horses stand on green pasture and zebras on dry savanna, so a model
that paints the whole scene savanna-coloured is called "zebra" without a single stripe (docs/quality.md,
"A judge that colour cannot win"). A colour-blind judge (`grey`) sees only the luma of its input, and was
trained with random brightness and contrast as well, so what tells the domains apart for it is texture and
shape: stripes make a zebra. Its class activation map (Zhou et al., CVPR 2016: the head's weights over the
last features, before the pooling) says where in an image it sees the animal.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

from vidgan.atomic import atomic_path, write_text
from vidgan.errors import VidganError
from vidgan.models.checkpoints import save_tensors
from vidgan.models.nets import to_signed
from vidgan.models.registry import find_named
from vidgan.ops.colour import luma
from vidgan.video.formats import IMAGE_EXTENSIONS

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)

SIZE = 128  # judge input side: enough for stripes and fur, cheap on a CPU
FEATURES = 64


class JudgeNet(nn.Module):
    def __init__(self, width: int = 32) -> None:
        super().__init__()
        chans = [3, width, width * 2, width * 4, width * 4, FEATURES]
        strides = [2, 2, 2, 1, 2]
        layers: list[nn.Module] = []
        for cin, cout, stride in zip(chans[:-1], chans[1:], strides):
            layers += [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(FEATURES, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, 128, 128) in [-1, 1] -> (N, 64)."""
        return self.body(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logit of 'this is domain B', (N,)."""
        return self.head(self.features(x)).squeeze(1)


def image_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise VidganError(f"folder not found: {folder}")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise VidganError(f"no images in {folder}")
    return files


def load_images(files: list[Path], size: int) -> torch.Tensor:
    """uint8 (N, 3, size, size), RGB, resized (bicubic) regardless of aspect."""
    out = []
    for f in files:
        with Image.open(f) as im:
            out.append(np.asarray(im.convert("RGB").resize((size, size), Image.Resampling.BICUBIC)))
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).contiguous()


def to_input(images: torch.Tensor, grey: bool = False) -> torch.Tensor:
    """uint8 (N, 3, H, W) of any size -> the judge's float input at 128x128 (`grey`: the luma in all three
    channels, so images of equal luma are one image to it)."""
    x = to_signed(images)
    if grey:
        x = luma(x)
    if x.shape[-1] != SIZE or x.shape[-2] != SIZE:
        x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", antialias=True, align_corners=False)
    return x


@dataclass
class Judge:
    net: JudgeNet
    card: dict
    grey: bool = False  # colour-blind: it sees the luma only

    def _batches(self, images: torch.Tensor, fn, batch: int = 64) -> torch.Tensor:
        self.net.eval()
        with torch.no_grad():
            return torch.cat([fn(to_input(images[i : i + batch], self.grey)) for i in range(0, len(images), batch)])

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return self._batches(images, self.net)

    def features(self, images: torch.Tensor) -> np.ndarray:
        return self._batches(images, self.net.features).double().numpy()

    def share_b(self, images: torch.Tensor) -> float:
        """The share of `images` the judge calls domain B."""
        return float((self.logits(images) > 0).float().mean())


@dataclass
class JudgeConfig:
    epochs: int = 14  # passes over both training folders
    batch_size: int = 32
    lr: float = 2e-3  # Adam, cosine-decayed to 0
    width: int = 32  # channels of the first conv
    seed: int = 0
    grey: bool = False  # colour-blind: luma only, with random brightness (+-0.2) and contrast (x0.6-1.4)


def _accuracy(judge: Judge, a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((judge.logits(a) <= 0).sum() + (judge.logits(b) > 0).sum()) / (len(a) + len(b)))


def _training_batch(images: torch.Tensor, idx: torch.Tensor, load: int, grey: bool, g: torch.Generator) -> torch.Tensor:
    """The judge's input for images[idx]: a random 128 crop of the `load`-px images, perhaps flipped; for a
    colour-blind judge with random brightness and contrast too (they are not what a domain is either)."""
    y0, x0 = torch.randint(0, load - SIZE + 1, (2,), generator=g).tolist()
    batch = images[idx, :, y0 : y0 + SIZE, x0 : x0 + SIZE]
    if torch.rand(1, generator=g).item() < 0.5:
        batch = batch.flip(-1)
    x = to_input(batch, grey)
    if grey:
        gain, shift = torch.rand(2, len(x), 1, 1, 1, generator=g)
        x = (x * (0.6 + 0.8 * gain) + 0.4 * (shift - 0.5)).clamp(-1, 1)
    return x


def _fit(judge: Judge, images: torch.Tensor, labels: torch.Tensor, load: int, config: JudgeConfig,
         held_out: tuple[torch.Tensor, torch.Tensor]) -> None:  # fmt: skip
    """Adam with a one-cycle schedule over `config.epochs` passes; the held-out accuracy said after each."""
    net = judge.net
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    per_step = min(config.batch_size, len(images))  # a small folder still makes whole batches
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=config.epochs * (len(images) // per_step),
                                                pct_start=0.15)  # fmt: skip
    g = torch.Generator().manual_seed(config.seed)
    for epoch in range(config.epochs):
        net.train()
        order = torch.randperm(len(images), generator=g)
        for i in range(0, len(order) - per_step + 1, per_step):
            idx = order[i : i + per_step]
            loss = F.binary_cross_entropy_with_logits(net(_training_batch(images, idx, load, config.grey, g)),
                                                      labels[idx])  # fmt: skip
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        say(f"epoch {epoch + 1}/{config.epochs}: loss {loss.item():.3f}, held-out accuracy "
            f"{_accuracy(judge, *held_out):.3f}")  # fmt: skip


def train_judge(a: str | Path, b: str | Path, test_a: str | Path, test_b: str | Path, name: str,
                out_dir: str | Path, config: JudgeConfig = JudgeConfig()) -> Path:  # fmt: skip
    """Train a judge on folders a, b; report held-out accuracy on test_a, test_b; write NAME.safetensors
    and NAME.json in out_dir."""
    torch.manual_seed(config.seed)
    start = time.perf_counter()
    load = SIZE + SIZE // 8  # random 128 crops of a 144 resize, and flips
    xa, xb = load_images(image_files(a), load), load_images(image_files(b), load)
    ta, tb = load_images(image_files(test_a), SIZE), load_images(image_files(test_b), SIZE)
    images = torch.cat([xa, xb])
    judge = Judge(JudgeNet(config.width), {}, config.grey)
    _fit(judge, images, torch.cat([torch.zeros(len(xa)), torch.ones(len(xb))]), load, config, (ta, tb))
    accuracy = _accuracy(judge, ta, tb)
    card = {
        "name": name,
        "kind": "judge",
        "description": f"{name}: A-vs-B classifier for vidgan eval (judge score, judge-FID/KID)",
        "input": f"{'luma (BT.601) of ' if config.grey else ''}RGB {SIZE}x{SIZE} in [-1, 1], resized bilinear "
        "with antialias",
        "colour_blind": config.grey,
        "features": FEATURES,
        "train": {
            "a": str(a),
            "b": str(b),
            "images": len(images),
            **asdict(config),
            "seconds": round(time.perf_counter() - start, 1),
        },  # fmt: skip
        "held_out": {"a": str(test_a), "b": str(test_b), "images": len(ta) + len(tb), "accuracy": round(accuracy, 4)},
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.safetensors"
    with atomic_path(path, overwrite=True) as tmp:
        save_tensors({k: v.contiguous() for k, v in judge.net.state_dict().items()}, tmp,
                     {"kind": "judge", "width": str(config.width), "grey": str(config.grey)})  # fmt: skip
    write_text(path.with_suffix(".json"), json.dumps(card, indent=2) + "\n")
    return path


def load_judge(spec: str) -> Judge:
    """A judge by name (shipped or user folder) or path."""
    path = Path(spec)
    if not path.suffix:
        path = find_named(spec) or path
    if not path.is_file():
        raise VidganError(f"judge {spec!r} not found (train one with `vidgan train-judge`)")
    card_path = path.with_suffix(".json")
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    with safe_open(str(path), "pt") as f:
        grey = (f.metadata() or {}).get("grey") == "True"
    state = load_file(str(path))
    net = JudgeNet(state["body.0.weight"].shape[0])
    net.load_state_dict(state)
    return Judge(net.eval(), card, grey)
