"""`vidgan bench-train`: training speed of the paper's setting and of vidgan's fast ones, in the same run.

The paper's setting is fp32, batch 1, eager, NCHW. The fast ones are bf16 autocast (on CUDA), a larger
batch and channels_last, eager, then compiled (torch.compile), then compiled with CUDA graphs (no launch
overhead; CUDA only). All train the full model (two 9-block generators, two PatchGANs, LSGAN, cycle and identity
losses, image pools) on 256 px crops of synthetic images held on the device; FLOPs per iteration are
counted by PyTorch's FlopCounterMode over one real iteration. The first iterations (warm-up: cuDNN's
search, compilation, graph capture) are timed apart from the measured ones.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from vidgan.train.config import TrainConfig
from vidgan.train.loop import Trainer

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)


@dataclass
class TrainBenchRow:
    label: str
    precision: str
    batch: int
    channels_last: bool
    compile: str  # "no", or torch.compile's mode
    warmup_seconds: float  # the untimed first iterations: cuDNN's search, compilation, graph capture
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
        trainer.schedule_images = 10**12  # constant learning rate throughout
        started = time.perf_counter()
        for _ in range(warmup):
            trainer.train_step()
        _sync(trainer.device)
        warmup_seconds = time.perf_counter() - started
        with FlopCounterMode(display=False) as counter:
            trainer.train_step()
        flops = counter.get_total_flops()
        _sync(trainer.device)
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        _sync(trainer.device)
        per_iteration = (time.perf_counter() - start) / steps
    compile = config.compile_mode if config.compile else "no"
    return TrainBenchRow(label, trainer.precision, config.batch_size, trainer.channels_last, compile, warmup_seconds,
                         config.batch_size / per_iteration, flops / per_iteration / 1e12)  # fmt: skip


def run_train_benchmark(device: str, batch: int, compile: bool, steps: int, warmup: int,
                        crop: int = 256) -> list[TrainBenchRow]:  # fmt: skip
    """The paper's setting, then the fast one eager and (with `compile`) compiled, with CUDA graphs on CUDA."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        a = _synthetic_domain(tmp / "A", 16, crop + 30, 0)
        b = _synthetic_domain(tmp / "B", 16, crop + 30, 1)
        base = TrainConfig(a=str(a), b=str(b), device=device, load_size=crop + 30, crop_size=crop, sample_every=0,
                           iterations=10**9, save_every=1e9)  # fmt: skip
        # bf16 where it is fast for training: on this torch's CPU build, autocast sends training convolutions
        # to the slow im2col path (40 s against 1.6 s per step at 64 px), so the trainer keeps CPUs at fp32.
        fast = replace(base, precision="auto", batch_size=batch, channels_last=True)
        settings = [("paper: fp32, batch 1, eager", replace(base, precision="fp32", batch_size=1, channels_last=False)),
                    ("vidgan: eager", fast)]  # fmt: skip
        if compile:
            settings.append(("vidgan: compiled", replace(fast, compile=True)))
            if torch.cuda.is_available() and device != "cpu":
                settings.append(
                    ("vidgan: compiled, CUDA graphs", replace(fast, compile=True, compile_mode="reduce-overhead"))
                )
        rows = []
        for label, config in settings:
            rows.append(measure(config, label, steps, warmup))
            r = rows[-1]
            say(
                f"{label}: warm-up {r.warmup_seconds:.1f} s, then {r.images_per_s:.2f} images/s, {r.tflops:.2f} TFLOP/s"
            )
    return rows


def markdown_table(rows: list[TrainBenchRow], device: str) -> str:
    base = rows[0].images_per_s
    lines = [f"Device: {device}.", "",
             "| setting | precision | batch | channels_last | compile | warm-up s | images/s | TFLOP/s | vs paper |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r.label} | {r.precision} | {r.batch} | {r.channels_last} | {r.compile} | "
                     f"{r.warmup_seconds:.1f} | {r.images_per_s:.2f} | {r.tflops:.2f} | "
                     f"{r.images_per_s / base:.2f}x |")  # fmt: skip
    return "\n".join(lines)


def bench_train(device: str = "auto", batch_size: int = 8, compile: bool | None = None, steps: int = 20,
                warmup: int = 3, crop: int = 256) -> str:  # fmt: skip
    """`vidgan bench-train`'s table (compiled only on CUDA unless `compile` says)."""
    from vidgan.engine.runtime import describe_device, pick_device

    chosen = pick_device(device)
    compile = chosen.type == "cuda" if compile is None else compile
    rows = run_train_benchmark(chosen.type, batch_size, compile, steps, warmup, crop)
    return markdown_table(rows, describe_device(chosen))
