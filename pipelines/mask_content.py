"""What a masked generator's content is where its mask is shut (docs/quality.md, "The cover-b round"): for the
first 8 test images of a direction's source domain at 256 px, a sheet of four rows: the input, the content
(what the translation would be with the mask open everywhere), the mask (white: the content is used), and the
composite the model gives. A mask shut over the animal passes its content no adversarial gradient there, so
the content row shows what the generator has (not) learnt beneath it.

With NAME `way-back` (docs/quality.md, "A colour hidden in the stripes"): the first 8 of testA, G(a)
(horse2zebra), zebra2horse's content on G(a) (what the cycle trains), and its content on G(a) greyed inside
G's mask (what a real zebra offers it: no tint).

    python pipelines/mask_content.py STATE NAME OUT.jpg [DATA]
    (STATE: a compact state; NAME: horse2zebra-fast, zebra2horse-fast or way-back; DATA: the horse2zebra folder)
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
from vidgan.ops.colour import luma
from vidgan.ops.composite import composite

SOURCE = {"horse2zebra-fast": "testA", "zebra2horse-fast": "testB", "way-back": "testA"}


def picture(rows: tuple[torch.Tensor, ...], shrink: int = 2) -> Image.Image:
    """Rows of signed (N, 3, H, W) images as one picture, `shrink` times smaller."""
    grid = torch.cat([torch.cat(list(row), dim=2) for row in rows], dim=1)  # (3, rows x H, N x W)
    pixels = ((grid + 1) * 127.5).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()
    image = Image.fromarray(pixels)
    return image.resize((image.width // shrink, image.height // shrink), Image.Resampling.LANCZOS)


@torch.no_grad()
def sheet(generator: torch.nn.Module, images: torch.Tensor, shrink: int = 2) -> Image.Image:
    """Input, content, mask and composite rows."""
    y = generator(images)  # (N, 4, H, W): content, mask
    out, mask = composite(images, y)
    return picture((images, y[:, :3], mask.expand(-1, 3, -1, -1) * 2 - 1, out), shrink)


@torch.no_grad()
def way_back_sheet(g: torch.nn.Module, f: torch.nn.Module, a: torch.Tensor) -> Image.Image:
    """a, G(a), F's content on G(a), F's content on G(a) greyed inside G's mask."""
    g_a, m = composite(a, g(a))
    greyed = torch.lerp(g_a, luma(g_a), m)  # as MaskedCycleGAN.way_back with grey_cycle_b
    return picture((a, g_a, f(g_a)[:, :3], f(greyed)[:, :3]))


def main(state: Path, name: str, out: Path, data: Path) -> None:
    if name not in SOURCE:
        raise VidganError(f"unknown direction {name!r}: {' or '.join(SOURCE)}")
    torch.set_num_threads(1)
    g, f = (load_generator_file(state / f"{n}.safetensors").generator.eval() for n in list(SOURCE)[:2])
    if getattr(g, "mask_head", None) is None or getattr(f, "mask_head", None) is None:
        raise VidganError(f"the generators in {state} have no mask head")
    images = to_signed(load_images(image_files(data / SOURCE[name])[:8], 256))  # (8, 3, 256, 256)
    drawn = (
        way_back_sheet(g, f, images) if name == "way-back" else sheet(g if name == "horse2zebra-fast" else f, images)
    )
    drawn.save(out, quality=80)
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    try:
        data = Path(sys.argv[4] if len(sys.argv) == 5 else "../shared/data/horse2zebra")
        main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), data)
    except VidganError as e:
        sys.exit(f"mask_content: {e}")
