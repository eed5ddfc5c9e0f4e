"""Where a masked state's mask logits sit (docs/quality.md, "The gradient floor"): for each direction, the
quantiles of its mask head's logits z over the first 16 test images of its source domain at 256 px, and
the shares of pixels clamped open (m = 1) and shut (m = 0). Beyond |z| of about 5 the sigmoid passes
under 1% of its gradient: a mask there no longer answers its losses.

    python pipelines/mask_logits.py STATE [DATA]     (STATE: a compact state; DATA: the horse2zebra folder)
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from vidgan.errors import VidganError
from vidgan.eval.judge import image_files, load_images
from vidgan.models.checkpoints import load_generator_file
from vidgan.models.nets import to_signed


def logits_and_masks(generator: torch.nn.Module, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The mask head's logits, caught on their way into the sigmoid, and the masks the generator gives;
    both (N, 1, H, W)."""
    caught: list[torch.Tensor] = []
    hook = generator.mask_head.conv.register_forward_hook(lambda _m, _i, out: caught.append(out))
    with torch.no_grad():
        masks = generator(images)[:, 3:]
    hook.remove()
    return caught[0], masks


def main(state: Path, data: Path) -> None:
    torch.set_num_threads(1)
    for name, folder in (("horse2zebra-fast", "testA"), ("zebra2horse-fast", "testB")):
        generator = load_generator_file(state / f"{name}.safetensors").generator.eval()
        images = to_signed(load_images(image_files(data / folder)[:16], 256))  # (16, 3, 256, 256)
        z, m = (t.flatten() for t in logits_and_masks(generator, images))
        q = torch.quantile(z, torch.tensor([0.01, 0.1, 0.5, 0.9, 0.99])).tolist()
        print(
            f"{name} on {folder}: logit quantiles 1/10/50/90/99% {' / '.join(f'{v:.1f}' for v in q)}; "
            f"open (m = 1) {(m == 1).float().mean():.3f}, shut (m = 0) {(m == 0).float().mean():.3f}"
        )


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    try:
        main(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) == 3 else "../shared/data/horse2zebra"))
    except VidganError as e:
        sys.exit(f"mask_logits: {e}")
