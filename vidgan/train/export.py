"""`vidgan export RUN_DIR`: a run's two generators as inference checkpoints with their model cards.

G_A (A->B) is written as NAME, G_B (B->A) as the reverse name (horse2zebra -> zebra2horse, else
NAME-reverse), by default into the user folder, so `vidgan translate --model NAME` finds them at once.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from vidgan.engine.runtime import user_dir
from vidgan.errors import VidganError
from vidgan.models.checkpoints import LoadedModel, dequantize, quantize_int8, save_generator
from vidgan.models.nets import build_generator, to_signed, to_uint8
from vidgan.models.onnx import check_images, export_onnx
from vidgan.models.registry import load_model
from vidgan.ops.fidelity import psnr
from vidgan.train.config import TrainConfig

PAPER_IMAGES = 266_800  # 200 epochs x 1334 images per epoch (horse2zebra, batch 1)
INT8_MIN_PSNR = 38.0  # dB of int8 outputs against fp16 outputs: below this the int8 export is refused
UNDERTRAINED = 0.25  # a model that saw less than this share of its schedule's aim is marked undertrained


def domain_names(name: str) -> tuple[str, str, str]:
    """(domain A, domain B, reverse model name) from a run name like horse2zebra (a suffix after a dash
    stays where it is: horse2zebra-fast -> zebra2horse-fast)."""
    match = re.fullmatch(r"(.*?[A-Za-z])2([A-Za-z][^-]*)(-.*)?", name)  # a letter each side: not the 2 of "256"
    if match:
        a, b, suffix = match.group(1), match.group(2), match.group(3) or ""
        return a, b, f"{b}2{a}{suffix}"
    return "A", "B", f"{name}-reverse"


def int8_fidelity(generator: nn.Module, images: torch.Tensor) -> float:
    """PSNR (dB) of the int8-quantised generator's outputs against the fp16 weights' outputs on uint8
    images (N, 3, H, W): what the int8 export gives up."""
    reference = build_generator(generator.config).eval()
    reference.load_state_dict({k: v.half().float() for k, v in generator.state_dict().items()})
    quantized = build_generator(generator.config).eval()
    quantized.load_state_dict(dequantize(quantize_int8(generator.state_dict())))
    x = to_signed(images)
    with torch.no_grad():
        return psnr(float(((quantized(x).double() - reference(x).double()) ** 2).mean()), peak=2.0)


def load_run_state(run_dir: str | Path) -> dict:
    """A run's full state (state.pt), for export."""
    run_dir = Path(run_dir)
    state_path = run_dir / "state.pt"
    if not state_path.is_file():
        raise VidganError(f"{run_dir} is not a training run (no state.pt)")
    state = torch.load(state_path, map_location="cpu", weights_only=True)
    if "schedule_images" not in state:
        raise VidganError(f"{state_path} was written by an older vidgan (its schedule is not counted in images)")
    return state


def undertrained(state: dict) -> bool:
    return state["images_seen"] < UNDERTRAINED * state["aim_images"]


def model_card(state: dict, net: str, name: str, source: str, target: str, precision: str) -> dict:
    """The card of one generator of a run's state (G_A: A -> B, G_B: B -> A): what it is, its recipe and data,
    and where its schedule stood."""
    config, seen, aim = state["config"], state["images_seen"], state["aim_images"]
    teacher = config.get("teacher")
    made = "trained by vidgan"
    if teacher:
        made = f"distilled from {teacher} by vidgan" if net == "G_A" else f"the inverse of {teacher}, distilled"
    card = {
        "name": name,
        "description": f"{source} -> {target}, {made} ({seen:,} of {aim:,} images)",
        "direction": "A->B" if net == "G_A" else "B->A",
        "domains": {"input": source, "output": target},
        "recipe": config,
        "data": {"a": config["a"], "b": config["b"], "licence": config["data_licence"]},
        "training": {
            "iterations": state["step"],
            "images_seen": seen,
            "schedule_images": state["schedule_images"],
            "aim_images": aim,
            "undertrained": undertrained(state),
            "paper_images_seen": PAPER_IMAGES,
            "seconds": round(state["train_seconds"], 1),
            "device": state.get("device", "unknown"),
            "runs": state.get("runs", []),
            "weights": f"moving average, decay {config['ema']:g} per step" if state.get("ema") else "last step",
        },
        "precision": precision,
        "metrics": {},
    }
    if teacher:  # what the student reproduces: the teacher (G_A) or its inverse on the teacher's outputs (G_B)
        card["teacher"] = {"model": teacher, "role": "reproduces it" if net == "G_A" else "inverts it"}
    return card


def export_generators(state: dict, out_dir: str | Path, precision: str = "fp16",
                      max_shard_bytes: int | None = None, fmt: str = "safetensors") -> list[Path]:  # fmt: skip
    """Write both generators of a run's state with their cards (the weight average where the run keeps
    one, average.py); returns the paths written (index files for sharded ones). int8 is refused where it
    strays under INT8_MIN_PSNR from fp16; `fmt` "onnx" writes ONNX files instead, checked in onnxruntime on
    the run's sample images."""
    if precision not in ("fp16", "fp32", "int8"):
        raise VidganError(f"unknown export precision {precision!r}: fp16, fp32 or int8")
    config = state["config"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name_a, name_b, reverse = domain_names(config["name"])
    weights = state.get("ema") or state["nets"]
    written = []
    for net, name, source, target, samples in (
        ("G_A", config["name"], name_a, name_b, state["samples"][0]),
        ("G_B", reverse, name_b, name_a, state["samples"][1]),
    ):
        generator = build_generator(TrainConfig.from_dict(config).generator_config())
        generator.load_state_dict(weights[net])
        generator.eval()
        card = model_card(state, net, name, source, target, "fp32" if fmt == "onnx" else precision)
        if fmt == "onnx":
            path = out_dir / f"{name}.onnx"
            export_onnx(LoadedModel(name, generator, card), path, to_signed(samples))
            written.append(path)
            continue
        if precision == "int8":
            fidelity = int8_fidelity(generator, samples)
            if fidelity < INT8_MIN_PSNR:
                raise VidganError(f"int8 export of {name} is {fidelity:.1f} dB from fp16 (< {INT8_MIN_PSNR} dB): "
                                  f"export fp16 instead")  # fmt: skip
            card["int8_psnr_vs_fp16_db"] = round(fidelity, 2)
        dtype = {"fp16": torch.float16, "fp32": torch.float32, "int8": "int8"}[precision]
        written.append(save_generator(generator, out_dir / f"{name}.safetensors", card, dtype, max_shard_bytes))
    return written


def export_run(run_dir: str | Path, out_dir: str | Path | None = None, precision: str = "fp16",
               max_shard_bytes: int | None = None, fmt: str = "safetensors") -> list[Path]:  # fmt: skip
    """Write both generators of a run, by default into the user folder (where --model NAME looks)."""
    return export_generators(load_run_state(run_dir), out_dir or user_dir(), precision, max_shard_bytes, fmt)


def export_model(spec: str, path: str | Path, fmt: str = "safetensors", precision: str = "fp16",
                 max_shard_bytes: int | None = None) -> Path:  # fmt: skip
    """Write any model `--model` accepts to `path`: as ONNX, or as our safetensors with its card (an official
    `.pth` converted, a model re-quantised)."""
    loaded = load_model(spec)
    path = Path(path)
    if fmt == "onnx":
        if path.suffix != ".onnx":
            raise VidganError(f"an ONNX file's name ends in .onnx: {path}")
        export_onnx(loaded, path)
        return path
    if path.suffix != ".safetensors":
        raise VidganError(f"a vidgan checkpoint's name ends in .safetensors: {path}")
    card = {**loaded.card, "name": path.stem, "precision": precision}
    card.setdefault("description", f"{loaded.name}, exported by vidgan")
    if precision == "int8":
        fidelity = int8_fidelity(loaded.generator, to_uint8(check_images()))
        if fidelity < INT8_MIN_PSNR:
            raise VidganError(f"int8 export of {loaded.name} is {fidelity:.1f} dB from fp16 (< {INT8_MIN_PSNR} dB): "
                              f"export fp16 instead")  # fmt: skip
        card["int8_psnr_vs_fp16_db"] = round(fidelity, 2)
    dtype = {"fp16": torch.float16, "fp32": torch.float32, "int8": "int8"}[precision]
    return save_generator(loaded.generator, path, card, dtype, max_shard_bytes)
