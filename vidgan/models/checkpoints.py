"""Checkpoint files: our safetensors + JSON model card, and official CycleGAN `.pth` files.

Our format is `NAME.safetensors` (weights; its metadata carries the generator's arguments, so the file alone
rebuilds the network) beside `NAME.json` (the model card: architecture, direction, recipe, data and its
licence, metrics), or, sharded, `NAME.safetensors.index.json` listing `NAME-0000k-of-0000n.safetensors`.
Official `.pth` files are read with `torch.load(weights_only=True)`, which refuses pickled code, and
converted on load. Finding a model by name is `models.py`'s business.
"""

from __future__ import annotations

import json
import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from vidgan.atomic import atomic_path, write_text
from vidgan.errors import VidganError
from vidgan.models.nets import FAMILIES, GeneratorConfig, build_generator

FORMAT_VERSION = 1
_SCALE = ".int8_scale"  # suffix of the per-filter scale stored beside an int8 weight
INDEX = ".safetensors.index.json"  # a sharded checkpoint's index


@dataclass
class LoadedModel:
    """A generator ready for inference, with its card (empty for a bare file)."""

    name: str
    generator: nn.Module  # a ResnetGenerator or MobileResnetGenerator (its .config says which)
    card: dict = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)  # what the user should know about the choice made


# ---------------------------------------------------------------------------------------------- writing


def quantize_int8(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Conv weights to int8, symmetric, with one fp16 scale per slice along dim 0 (the output filters of a
    conv, the input channels of a transposed conv); biases fp16.
    The loader multiplies back (`dequantize`): half the size of fp16, the same network at run time."""
    out = {}
    for key, value in tensors.items():
        value = value.detach().float().cpu()
        if value.dim() == 4:
            scale = value.abs().amax(dim=(1, 2, 3)).clamp_min(1e-12) / 127.0
            out[key] = (value / scale[:, None, None, None]).round().clamp(-127, 127).to(torch.int8)
            out[f"{key}{_SCALE}"] = scale.half()
        else:
            out[key] = value.half()
    return out


def dequantize(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in tensors.items():
        if key.endswith(_SCALE):
            continue
        if value.dtype == torch.int8:
            value = value.float() * tensors[f"{key}{_SCALE}"].float()[:, None, None, None]
        out[key] = value
    return out


def save_tensors(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    """safetensors' save_file, readable by all: it creates files 0600, and models are meant to be shared.
    Tensors are made contiguous first: networks trained channels_last (on CUDA) hold NHWC-strided weights,
    and elementwise ops such as int8 quantisation keep those strides, which safetensors refuses."""
    save_file({key: value.contiguous() for key, value in tensors.items()}, str(path), metadata=metadata)
    path.chmod(0o644)


def save_generator(
    generator: nn.Module,
    path: str | os.PathLike,
    card: dict | None = None,
    dtype: torch.dtype | str = torch.float16,
    max_shard_bytes: int | None = None,
) -> Path:
    """Write the generator to `path` (.safetensors), as fp16, fp32 or "int8", and with `card` its model
    card (`.json`) beside it; each file atomically. With `max_shard_bytes`, larger weights are split into
    NAME-0000k-of-0000n.safetensors files listed by NAME.safetensors.index.json (the path returned)."""
    path = Path(path)
    config = generator.config
    state = generator.state_dict()
    metadata = {"vidgan_format_version": str(FORMAT_VERSION), "architecture": json.dumps(config.to_dict())}
    if dtype == "int8":
        tensors = quantize_int8(state)
        metadata["quantization"] = "int8-per-channel"
    else:
        tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in state.items()}
    shards = _split(tensors, max_shard_bytes)
    names = [path.name] if len(shards) == 1 else [_shard_name(path, i, len(shards)) for i in range(1, len(shards) + 1)]
    for name, shard in zip(names, shards):
        with atomic_path(path.with_name(name), overwrite=True) as tmp:
            save_tensors(shard, tmp, metadata)
    written = path
    if len(shards) > 1:
        written = path.with_name(path.stem + INDEX)
        weight_map = {key: name for name, shard in zip(names, shards) for key in shard}
        write_text(written, json.dumps({"metadata": metadata, "weight_map": weight_map}, indent=1) + "\n")
    # An earlier export of the same name in another form (single file or shards) would be found beside this
    # one, and its card would describe the wrong file: remove what this export did not write.
    shards = path.parent.glob(f"{path.stem}-?????-of-?????.safetensors")
    for stale in [path, path.with_name(path.stem + INDEX), *shards]:
        if stale.name not in names and stale != written:
            stale.unlink(missing_ok=True)
    card_path = path.with_suffix(".json")
    if card is not None:
        full = {"format_version": FORMAT_VERSION, "architecture": {"type": config.card_type, **config.to_dict()}}
        full.update(card)
        write_text(card_path, json.dumps(full, indent=2) + "\n")
    else:
        card_path.unlink(missing_ok=True)
    return written


def _shard_name(path: Path, i: int, count: int) -> str:
    return f"{path.stem}-{i:05d}-of-{count:05d}.safetensors"


def _split(tensors: dict[str, torch.Tensor], max_bytes: int | None) -> list[dict[str, torch.Tensor]]:
    """Consecutive groups of tensors of at most `max_bytes` each (a bigger single tensor gets its own)."""
    if not max_bytes:
        return [tensors]
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for key, value in tensors.items():
        nbytes = value.numel() * value.element_size()
        if shards[-1] and size + nbytes > max_bytes:
            shards.append({})
            size = 0
        shards[-1][key] = value
        size += nbytes
    return shards


# ---------------------------------------------------------------------------------------------- reading


def infer_config(state: dict[str, torch.Tensor]) -> GeneratorConfig:
    """Recover blocks, ngf, channels and the dropout layout of a ResNet generator from its tensor shapes."""
    try:
        first = state["model.1.weight"]  # (ngf, input_nc, 7, 7)
        blocks = sorted({int(m.group(1)) for k in state if (m := re.match(r"model\.(\d+)\.conv_block\.", k))})
        if not blocks:
            raise KeyError("conv_block")
        use_dropout = f"model.{blocks[0]}.conv_block.6.weight" in state
        last = max(int(m.group(1)) for k in state if (m := re.match(r"model\.(\d+)\.weight", k)))
        return GeneratorConfig(
            input_nc=first.shape[1],
            output_nc=state[f"model.{last}.weight"].shape[0],
            ngf=first.shape[0],
            n_blocks=len(blocks),
            use_dropout=use_dropout,
        )
    except (KeyError, IndexError, ValueError) as e:
        raise VidganError(f"not a CycleGAN ResNet generator (missing {e})") from None


def clean_official_state_dict(state: dict) -> dict[str, torch.Tensor]:
    """Strip DataParallel's `module.` prefix and the InstanceNorm running stats old PyTorch versions saved."""
    out = {}
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise VidganError(f"unexpected entry {key!r} in the state dict (not a tensor)")
        key = key.removeprefix("module.")
        if key.endswith(("running_mean", "running_var", "num_batches_tracked")):
            continue  # InstanceNorm2d(track_running_stats=False) has no such buffers
        out[key] = value
    return out


def _build(state: dict[str, torch.Tensor], config: GeneratorConfig, source: str) -> nn.Module:
    try:
        generator = build_generator(config)
        generator.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except (RuntimeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "shape mismatch"
        raise VidganError(f"{source}: weights do not match a {config.card_type.replace('_', ' ')} ({first})") from None
    return generator.eval()


def load_generator_file(path: str | os.PathLike) -> LoadedModel:
    """Load a `.safetensors` (ours) or `.pth`/`.pt` (official CycleGAN) generator file."""
    path = Path(path)
    if not path.is_file():
        raise VidganError(f"model file not found: {path}")
    if path.suffix in (".pth", ".pt"):
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            raise VidganError(f"refusing to load {path}: it holds pickled code, not only weights") from None
        except Exception as e:  # torch raises several types for a damaged zip or pickle
            raise VidganError(f"cannot read {path}: {type(e).__name__}: {e}".splitlines()[0]) from None
        if not isinstance(state, dict):
            raise VidganError(f"{path}: expected a state dict, found {type(state).__name__}")
        state = clean_official_state_dict(state)
        return LoadedModel(path.stem, _build(state, infer_config(state), str(path)))
    if path.name.endswith(INDEX):
        try:
            index = json.loads(path.read_text())
            metadata = index["metadata"]
            state = {}
            for shard in sorted(set(index["weight_map"].values())):
                state.update(_read_safetensors(path.parent / shard)[0])
        except (OSError, ValueError, KeyError) as e:
            raise VidganError(f"cannot read sharded checkpoint {path}: {e}") from None
        stem = path.name[: -len(INDEX)]
    elif path.suffix == ".safetensors":
        state, metadata = _read_safetensors(path)
        stem = path.stem
    else:
        raise VidganError(f"unknown model file type {path.suffix!r}: expected .safetensors or .pth")
    if metadata.get("quantization") == "int8-per-channel":
        state = dequantize(state)
    if "architecture" in metadata:
        try:
            config = GeneratorConfig(**json.loads(metadata["architecture"]))
        except (TypeError, ValueError) as e:
            raise VidganError(f"{path}: unknown architecture in its metadata ({e}); a newer vidgan wrote it?") from None
        if config.family not in FAMILIES:
            raise VidganError(
                f"{path}: unknown generator family {config.family!r} (this vidgan knows "
                f"{', '.join(FAMILIES)}); a newer vidgan wrote it?"
            )
    else:
        config = infer_config(state)
    card_path = path.with_name(f"{stem}.json")
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    return LoadedModel(stem, _build(state, config, str(path)), card)


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    try:
        with safe_open(str(path), "pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as e:
        raise VidganError(f"cannot read {path}: corrupt or not a safetensors file ({e})".splitlines()[0]) from None
