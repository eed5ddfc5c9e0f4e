"""Checkpoints: our safetensors + JSON model card, official CycleGAN `.pth` files, and finding a model by name.

Our format is `NAME.safetensors` (weights; its metadata carries the generator's arguments, so the file alone
rebuilds the network) beside `NAME.json` (the model card: architecture, direction, recipe, data and its
licence, metrics). Official `.pth` files are read with `torch.load(weights_only=True)`, which refuses pickled
code, and converted on load.

Where `--model NAME` looks, in order: the models shipped in `checkpoints/` (installed as the package
`vidgan.shipped`), the user folder (`$VIDGAN_HOME`, else `~/.cache/vidgan`), and `official:NAME`, the
CycleGAN authors' pretrained generators, downloaded once into the user folder (see `official.py`).
"""

from __future__ import annotations

import json
import os
import pickle
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from vidgan.atomic import atomic_path, write_text
from vidgan.errors import VidganError
from vidgan.nets import GeneratorConfig, ResnetGenerator

FORMAT_VERSION = 1
_SCALE = ".int8_scale"  # suffix of the per-filter scale stored beside an int8 weight
_INDEX = ".safetensors.index.json"  # a sharded checkpoint's index
# Models a shipped recipe makes but the package leaves out (its weights stay under 25 MB): asking for one
# says how to make it.
UNSHIPPED = {"zebra2horse": "pipelines/horse2zebra.toml"}


@dataclass
class LoadedModel:
    """A generator ready for inference, with its card (empty for a bare file)."""

    name: str
    generator: ResnetGenerator
    card: dict = field(default_factory=dict)


def user_dir() -> Path:
    """The user's model folder: $VIDGAN_HOME, else $XDG_CACHE_HOME/vidgan, else ~/.cache/vidgan."""
    if os.environ.get("VIDGAN_HOME"):
        return Path(os.environ["VIDGAN_HOME"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "vidgan"


def shipped_dir() -> Path:
    """The folder of shipped checkpoints, wherever the package was installed."""
    return Path(str(resources.files("vidgan.shipped")))


# ---------------------------------------------------------------------------------------------- writing


def quantize_int8(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Conv weights to int8, symmetric, with one fp16 scale per slice along dim 0 (the output filters of a
    conv, the input channels of a transposed conv); biases fp16.
    The loader multiplies back (`dequantize`): a 4x smaller file, the same network at run time."""
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
    """safetensors' save_file, readable by all: it creates files 0600, and models are meant to be shared."""
    save_file(tensors, str(path), metadata=metadata)
    path.chmod(0o644)


def save_generator(
    generator: ResnetGenerator,
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
    if len(shards) == 1:
        with atomic_path(path, overwrite=True) as tmp:
            save_tensors(tensors, tmp, metadata)
        written = path
    else:
        weight_map = {}
        for i, shard in enumerate(shards, 1):
            name = f"{path.stem}-{i:05d}-of-{len(shards):05d}.safetensors"
            with atomic_path(path.with_name(name), overwrite=True) as tmp:
                save_tensors(shard, tmp, metadata)
            weight_map.update(dict.fromkeys(shard, name))
        written = path.with_name(path.name + ".index.json")
        write_text(written, json.dumps({"metadata": metadata, "weight_map": weight_map}, indent=1) + "\n")
    if card is not None:
        full = {"format_version": FORMAT_VERSION, "architecture": {"type": "resnet_generator", **config.to_dict()}}
        full.update(card)
        write_text(path.with_suffix(".json"), json.dumps(full, indent=2) + "\n")
    return written


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


def _build(state: dict[str, torch.Tensor], config: GeneratorConfig, source: str) -> ResnetGenerator:
    generator = ResnetGenerator(config)
    try:
        generator.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "shape mismatch"
        raise VidganError(f"{source}: weights do not match a ResNet generator ({first})") from None
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
    if path.name.endswith(_INDEX):
        try:
            index = json.loads(path.read_text())
            metadata = index["metadata"]
            state = {}
            for shard in sorted(set(index["weight_map"].values())):
                state.update(_read_safetensors(path.parent / shard)[0])
        except (OSError, ValueError, KeyError) as e:
            raise VidganError(f"cannot read sharded checkpoint {path}: {e}") from None
        stem = path.name[: -len(_INDEX)]
    elif path.suffix == ".safetensors":
        state, metadata = _read_safetensors(path)
        stem = path.stem
    else:
        raise VidganError(f"unknown model file type {path.suffix!r}: expected .safetensors or .pth")
    if metadata.get("quantization") == "int8-per-channel":
        state = dequantize(state)
    if "architecture" in metadata:
        config = GeneratorConfig(**json.loads(metadata["architecture"]))
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


def find_named(name: str, suffixes: tuple[str, ...] = (".safetensors",)) -> Path | None:
    """NAME + suffix in the shipped folder, then in the user folder; None if in neither."""
    for folder in (shipped_dir(), user_dir()):
        for suffix in suffixes:
            if (folder / f"{name}{suffix}").is_file():
                return folder / f"{name}{suffix}"
    return None


def _looks_like_path(spec: str) -> bool:
    return spec.endswith((".safetensors", ".pth", ".pt", _INDEX)) or os.sep in spec or Path(spec).is_file()


def find_model(spec: str) -> Path:
    """Turn `--model` into a file: a path, a shipped name, a name in the user folder, or official:NAME."""
    if spec.startswith("official:"):
        from vidgan.official import fetch_official

        return fetch_official(spec.split(":", 1)[1])
    if _looks_like_path(spec):
        path = Path(spec).expanduser()
        if not path.is_file():
            raise VidganError(f"model file not found: {spec}")
        return path
    found = find_named(spec, (".safetensors", _INDEX))
    if found is not None:
        return found
    if spec in UNSHIPPED:
        raise VidganError(
            f"model {spec!r} is not shipped (it would not fit beside horse2zebra): train it with "
            f"`vidgan train --recipe {UNSHIPPED[spec]} ...`, which writes both directions to {user_dir()}, "
            f"or use --model official:{spec} (the CycleGAN authors' generator, downloaded once)"
        )
    raise VidganError(f"unknown model {spec!r}: see `vidgan models` for the names it knows")


def load_model(spec: str) -> LoadedModel:
    """`--model` to a ready generator."""
    loaded = load_generator_file(find_model(spec))
    loaded.name = spec.split(":", 1)[1] if spec.startswith("official:") else loaded.name
    return loaded


def list_models() -> list[tuple[str, str, str]]:
    """(name to pass to --model, where it is, a short description) for every model vidgan can use."""
    from vidgan.official import OFFICIAL_NAMES, official_path

    rows = []
    for where, folder in (("shipped", shipped_dir()), ("user", user_dir())):
        models = sorted(folder.glob("*.safetensors")) + sorted(folder.glob(f"*{_INDEX}")) if folder.is_dir() else []
        for path in models:
            if re.search(r"-\d{5}-of-\d{5}$", path.stem):
                continue  # a shard: its index stands for it
            name = path.name.removesuffix(_INDEX).removesuffix(".safetensors")
            card_path = path.with_name(f"{name}.json")
            card = json.loads(card_path.read_text()) if card_path.is_file() else {}
            if card.get("kind") == "judge":
                continue  # an evaluation classifier, not a translation model
            rows.append((name, where, card.get("description", str(path))))
    for name in OFFICIAL_NAMES:
        state = "downloaded" if official_path(name).is_file() else "downloads on first use"
        rows.append((f"official:{name}", "official", f"CycleGAN authors' pretrained generator ({state})"))
    return rows
