"""What a masked generator's content is where its mask is shut (docs/quality.md, "The cover-b round"): for the
first 8 test images of a direction's source domain at 256 px, a sheet of four rows: the input, the content
(what the translation would be with the mask open everywhere), the mask (white: the content is used), and the
composite the model gives. A mask shut over the animal passes its content no adversarial gradient there, so
the content row shows what the generator has (not) learnt beneath it.

    python pipelines/mask_content.py STATE NAME OUT.jpg [DATA]
    (STATE: a compact state; NAME: horse2zebra-fast or zebra2horse-fast; DATA: the horse2zebra folder)
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from PIL import Image

from vidgan.errors import VidganError
from vidgan.eval.judge import image_files, load_images
from vidgan.models.checkpoints import load_generator_file
from vidgan.models.nets import to_signed

SOURCE = {"horse2zebra-fast": "testA", "zebra2horse-fast": "testB"}


def sheet(generator: torch.nn.Module, images: torch.Tensor) -> Image.Image:
    """Input, content, mask and composite rows of signed (N, 3, H, W) images, at half size."""
    with torch.no_grad():
        y = generator(images)  # (N, 4, H, W): content, mask
    content, mask = y[:, :3], y[:, 3:]
    rows = (images, content, mask.expand(-1, 3, -1, -1) * 2 - 1, mask * content + (1 - mask) * images)
    grid = torch.cat([torch.cat(list(row), dim=2) for row in rows], dim=1)  # (3, 4H, NW)
    pixels = ((grid + 1) * 127.5).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()
    image = Image.fromarray(pixels)
    return image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)


def main(state: Path, name: str, out: Path, data: Path) -> None:
    if name not in SOURCE:
        raise VidganError(f"unknown direction {name!r}: {' or '.join(SOURCE)}")
    torch.set_num_threads(1)
    generator = load_generator_file(state / f"{name}.safetensors").generator.eval()
    if getattr(generator, "mask_head", None) is None:
        raise VidganError(f"{name} in {state} has no mask head")
    images = to_signed(load_images(image_files(data / SOURCE[name])[:8], 256))  # (8, 3, 256, 256)
    sheet(generator, images).save(out, quality=80)
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    try:
        data = Path(sys.argv[4] if len(sys.argv) == 5 else "../shared/data/horse2zebra")
        main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), data)
    except VidganError as e:
        sys.exit(f"mask_content: {e}")
