"""`vidgan bench-train`: training speed of the paper's setting and of the fast one, in the same run.

The paper's setting is fp32, batch 1, eager, NCHW. The fast one is bf16 autocast, a larger batch,
channels_last and (optionally) torch.compile. Both train the full model (two 9-block generators, two
PatchGANs) on 256 px crops of synthetic images in memory; FLOPs per iteration are counted by PyTorch's
FlopCounterMode over one real iteration (forward and backward of all four networks).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from vidgan.train.config import TrainConfig
from vidgan.train.loop import Trainer


@dataclass
class TrainBenchRow:
    label: str
    precision: str
    batch: int
    channels_last: bool
    compile: bool
    images_per_s: float
    tflops: float  # achieved, from counted FLOPs per iteration


def _synthetic_domain(folder: Path, count: int, size: int, seed: int) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(config: TrainConfig, label: str, steps: int, warmup: int) -> TrainBenchRow:
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(config, Path(tmp) / "run", quiet=True)
        trainer.total = 10**9  # constant learning rate throughout
        for _ in range(warmup):  # compilation, allocator, cuDNN autotuning
            trainer.train_step()
        with FlopCounterMode(display=False) as counter:
            trainer.train_step()
        flops = counter.get_total_flops()
        _sync(trainer.device)
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        _sync(trainer.device)
        per_iteration = (time.perf_counter() - start) / steps
    return TrainBenchRow(label, trainer.precision, config.batch_size, trainer.channels_last, config.compile,
                         config.batch_size / per_iteration, flops / per_iteration / 1e12)  # fmt: skip


def run_train_benchmark(device: str, batch: int, compile: bool, steps: int, warmup: int, crop: int = 256,
                        log=print) -> list[TrainBenchRow]:  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        a = _synthetic_domain(tmp / "A", 16, crop + 30, 0)
        b = _synthetic_domain(tmp / "B", 16, crop + 30, 1)
        base = dict(a=str(a), b=str(b), device=device, load_size=crop + 30, crop_size=crop, sample_every=0,
                    iterations=10**9, save_every=1e9)  # fmt: skip
        paper = TrainConfig(**base, precision="fp32", batch_size=1, channels_last=False)
        fast = TrainConfig(**base, precision="bf16", batch_size=batch, channels_last=True, compile=compile)
        rows = []
        for label, config in (("paper: fp32, batch 1, eager", paper), ("vidgan fast", fast)):
            rows.append(measure(config, label, steps, warmup))
            log(f"{label}: {rows[-1].images_per_s:.2f} images/s, {rows[-1].tflops:.2f} TFLOP/s")
    return rows


def markdown_table(rows: list[TrainBenchRow], device: str) -> str:
    base = rows[0].images_per_s
    lines = [f"Device: {device}.", "",
             "| setting | precision | batch | channels_last | compile | images/s | TFLOP/s | vs paper |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r.label} | {r.precision} | {r.batch} | {r.channels_last} | {r.compile} | "
                     f"{r.images_per_s:.2f} | {r.tflops:.2f} | {r.images_per_s / base:.2f}x |")  # fmt: skip
    return "\n".join(lines)
