"""The image history of section 4 (after Shrivastava et al.): D is updated with generated images drawn
from the last `size` ones, not only the newest, which damps oscillation."""

from __future__ import annotations

import torch


class ImagePool:
    """For each image of a batch: while the pool fills, the image itself (kept); then, half the time, a
    random older one, which the new image replaces, else the new image. The choices are made on the host
    with the pool's own generator (saved with it), and applied in one gather and one scatter where the images
    are, so a batch costs a few kernels however large it is."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.images: torch.Tensor | None = None  # (size, C, H, W), the first `count` rows filled
        self.count = 0
        self.rng = torch.Generator().manual_seed(seed)

    def query(self, batch: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return batch
        batch = batch.detach()
        if self.images is None:
            self.images = batch.new_empty((self.size, *batch.shape[1:]))
        n = len(batch)
        # Who holds each slot, decided image by image as the paper's loop does (an image put in a slot earlier
        # in the same batch can be handed out again): ("pool", slot) or ("batch", i).
        holder: dict[int, int] = {}  # slot -> batch index now in it
        source = []  # per output: index into cat(pool, batch)
        for i in range(n):
            if self.count < self.size:
                holder[self.count] = i
                self.count += 1
                source.append(self.size + i)
            elif torch.rand(1, generator=self.rng).item() > 0.5:
                slot = int(torch.randint(0, self.size, (1,), generator=self.rng))
                source.append(self.size + holder[slot] if slot in holder else slot)
                holder[slot] = i
            else:
                source.append(self.size + i)
        both = torch.cat([self.images, batch])
        out = both[torch.tensor(source, device=batch.device)]
        if holder:
            slots = torch.tensor(list(holder), device=batch.device)
            self.images[slots] = batch[torch.tensor(list(holder.values()), device=batch.device)]
        return out

    def state_dict(self) -> dict:
        images = self.images[: self.count].cpu() if self.images is not None else torch.empty(0)
        return {"images": images, "rng": self.rng.get_state()}

    def load_state_dict(self, state: dict, device: torch.device) -> None:
        images = state["images"]
        self.count = len(images)
        self.images = None
        if self.count:
            self.images = images.new_empty((self.size, *images.shape[1:]), device=device)
            self.images[: self.count] = images.to(device)
        self.rng.set_state(state["rng"])
