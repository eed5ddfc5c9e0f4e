"""ONNX: a generator written as an ONNX file (`vidgan export MODEL --format onnx`), and one run in onnxruntime
as a module (`vidgan translate --backend onnxruntime`).

The graph takes `image`, float32 (N, 3, H, W), RGB in [-1, 1] (a uint8 pixel v is v / 127.5 - 1), with H and
W multiples of 4; it gives `translated` in the same layout and range; N, H and W are dynamic. A masked
generator's graph gives `content` (N, 3, H, W) and `mask` (N, 1, H, W) in [0, 1] instead of a composite:
the composite m * content + (1 - m) * input belongs at the output size, over the full-resolution input that
the graph never sees (a graph that composited would give the whole picture the working size's resolution). The file's
metadata says so and carries the generator's architecture and model card, so nothing is rebuilt by hand
(the trap users of the official code fell into: a generator rebuilt with other settings than it was
trained with). Every file is checked in onnxruntime against the torch model before it is kept.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from vidgan.atomic import atomic_path
from vidgan.engine.runtime import user_dir
from vidgan.errors import VidganError
from vidgan.models.checkpoints import LoadedModel
from vidgan.ops.fidelity import psnr

OPSET = 17
MIN_PSNR = 40.0  # dB of onnxruntime's output to torch's on the check images: below this the file is refused
INPUT, OUTPUT = "image", "translated"
MASKED_OUTPUTS = ("content", "mask")


def output_names(generator: nn.Module) -> list[str]:
    return list(MASKED_OUTPUTS) if generator.config.mask else [OUTPUT]


class _Parts(nn.Module):
    """A masked generator as the graph gives it: its (N, 4, H, W) output as content and mask."""

    def __init__(self, generator: nn.Module) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = self.generator(x)
        return y[:, :3], y[:, 3:]


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise VidganError(f"ONNX needs the {module} package: pip install 'vidgan[onnx]'") from None


def onnx_bytes(generator: nn.Module, metadata: dict[str, str]) -> bytes:
    """The generator as an ONNX model (bytes), dynamic batch, height and width, with `metadata`."""
    onnx = _require("onnx")
    example = torch.zeros(1, generator.config.input_nc, 64, 64)
    axes = {0: "batch", 2: "height", 3: "width"}
    names = output_names(generator)
    module = _Parts(generator) if generator.config.mask else generator
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter warns of its own deprecation and of details
        warnings.simplefilter("ignore")
        torch.onnx.export(module.cpu().eval(), (example,), buffer, input_names=[INPUT], output_names=names,
                          dynamic_axes={name: axes for name in [INPUT, *names]}, opset_version=OPSET,
                          dynamo=False)  # fmt: skip
    model = onnx.load_from_string(buffer.getvalue())
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=value)
    return model.SerializeToString()


def file_metadata(loaded: LoadedModel) -> dict[str, str]:
    config = loaded.generator.config
    return {
        "vidgan_model": loaded.name,
        "input": f"{INPUT}: float32 (N, 3, H, W), RGB in [-1, 1] (uint8 v -> v / 127.5 - 1); H, W multiples of 4",
        "output": "content: float32 (N, 3, H, W), RGB in [-1, 1]; mask: float32 (N, 1, H, W) in [0, 1]; the "
        "translation is mask * content + (1 - mask) * image, composited at the output size"
        if config.mask
        else f"{OUTPUT}: float32 (N, 3, H, W), RGB in [-1, 1] (-> uint8: round((y + 1) * 127.5))",
        "architecture": json.dumps({"type": config.card_type, **config.to_dict()}),
        "card": json.dumps(loaded.card),
    }


def session(model: bytes | str | os.PathLike, threads: int | None = None):
    """An onnxruntime session on the CPU for a model file or its bytes."""
    ort = _require("onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.log_severity_level = 3  # errors only
    source = model if isinstance(model, bytes) else str(model)
    try:
        return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own types for unreadable or invalid models
        raise VidganError(f"onnxruntime cannot load {'the model' if isinstance(model, bytes) else model}: "
                          f"{e}".splitlines()[0]) from None  # fmt: skip


def check_images(size: tuple[int, int] = (256, 256), count: int = 2) -> torch.Tensor:
    """Smooth random RGB images as the networks' floats (N, 3, H, W): structure at every scale, no data needed."""
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(count, 3, *size)
    for scale in (4, 16, 64):
        coarse = torch.rand(count, 3, max(1, size[0] // scale), max(1, size[1] // scale), generator=g) * 2 - 1
        x += torch.nn.functional.interpolate(coarse, size=size, mode="bilinear", align_corners=False) / 3
    return x.clamp(-1, 1)


def fidelity(generator: nn.Module, sess, images: torch.Tensor) -> float:
    """PSNR (dB, peak 2) of onnxruntime's outputs to torch's on `images` (N, 3, H, W) in [-1, 1]."""
    with torch.no_grad():
        reference = generator.cpu().eval()(images).double().numpy()
    out = run_session(sess, generator, images).double().numpy()
    return psnr(float(((out - reference) ** 2).mean()), peak=2.0)


def run_session(sess, generator: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The graph's output as the torch generator gives it: (N, 3, H, W), or a masked one's (N, 4, H, W)."""
    outputs = sess.run(output_names(generator), {INPUT: x.detach().float().contiguous().numpy()})
    return torch.from_numpy(np.concatenate(outputs, axis=1) if len(outputs) > 1 else outputs[0])


def export_onnx(loaded: LoadedModel, path: str | os.PathLike, images: torch.Tensor | None = None) -> float:
    """Write `loaded` as an ONNX file at `path` (atomically), checked in onnxruntime on `images` (float
    (N, 3, H, W) in [-1, 1]; default: synthetic ones) first; returns that check's PSNR to torch."""
    data = onnx_bytes(loaded.generator, file_metadata(loaded))
    score = fidelity(loaded.generator, session(data), check_images() if images is None else images)
    if score < MIN_PSNR:
        raise VidganError(f"the ONNX graph of {loaded.name} strays from the torch model ({score:.1f} dB < "
                          f"{MIN_PSNR:g} dB): not written")  # fmt: skip
    with atomic_path(Path(path), overwrite=True) as tmp:
        tmp.write_bytes(data)
    return score


class OnnxGenerator(nn.Module):
    """A generator run by onnxruntime behind the torch interface the pipeline uses: (N, 3, H, W) float in
    [-1, 1] on the CPU -> the same. Made from the torch generator once per process, the graph cached in the
    user folder under a hash of the weights, and checked like an export."""

    def __init__(self, generator: nn.Module, threads: int | None = None) -> None:
        super().__init__()
        self.config = generator.config
        digest = hashlib.sha256(json.dumps(self.config.to_dict()).encode())
        for key, value in generator.state_dict().items():
            digest.update(key.encode() + value.detach().cpu().float().numpy().tobytes())
        path = user_dir() / "onnx-cache" / f"{digest.hexdigest()[:24]}.onnx"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            data = onnx_bytes(generator, {"architecture": json.dumps(self.config.to_dict())})
            score = fidelity(generator, session(data, threads), check_images((64, 64), 1))
            if score < MIN_PSNR:
                raise VidganError(f"onnxruntime strays from the torch model ({score:.1f} dB): use --backend torch")
            with atomic_path(path, overwrite=True) as tmp:
                tmp.write_bytes(data)
        self.session = session(path, threads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "cpu":
            raise VidganError("--backend onnxruntime runs on the CPU: use --device cpu")
        return run_session(self.session, self, x)
