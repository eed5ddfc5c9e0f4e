"""The masked objective: CycleGAN's losses on the composites of masked generators (attention-guided
translation: Mejjati et al., NeurIPS 2018; Tang et al., AttentionGAN).

Each generator gives a content C(x) and a mask m(x) in [0, 1] (vidgan/models/nets.py); its translation is

    T(x) = m(x) * C(x) + (1 - m(x)) * x

and every term of the paper's objective (adversarial, cycle, identity) is computed on T, so pixels the mask
leaves out are the input's own by construction: no recoloured background, no grid over flat regions.
Priors on the masks keep them to what must change:

- area: mask_area x the mean of m over every pass (the L1 sparsity prior of GANimation and of
  AttentionGAN's attention loss): leaving a pixel alone costs nothing, changing it must pay for itself
  in the adversarial term. G_B's passes may have their own weight (mask_area_b): the two directions do not
  gain alike from recolouring (a pasture is what tells a horse photo, so zebra2horse's masks held open at
  weights that closed horse2zebra's: docs/quality.md, "The area A/B");
- total variation: mask_tv x the mean absolute difference of neighbouring mask values: masks in whole
  regions, not speckle (which would flicker in a video);
- following: mask_follow_b x the mean of |m_F(G(a)) - m_G(a)|, G's mask held fixed: on the cycle's way back
  F must change what G changed, so where G striped a horse, F's mask learns where a zebra's stripes are
  (the direction whose masks stay shut over a pasture teaches the one whose masks open over a savanna).
  G still gets this term's gradient through G(a), the image F's mask reads;
- following back: mask_follow_a x the mean of |m_G(F(b)) - m_F(b)|, F's mask held fixed: the other way round,
  on the cycle from B G must change what F changed, so G's mask learns to open over the animal and stay shut
  over the savanna around it (without the term nothing but the priors moves G's masks on F(b): the cycle
  does not, with mask_cycle_grad off). Against horse2zebra's stripes spilt over scenery (docs/quality.md,
  "What the judge's misses are"), a lesson in where an animal ends that does not fade what D_A sees (the
  fade-a round: that shut the masks over horses too);
- cover: mask_cover_b x the mean over the real zebras of max(0, mask_cover_b_share - the mean of F's mask on
  each): F's mask must open on at least that share of every zebra photo. A shut mask passes no adversarial
  gradient to the content beneath it, so a content that never learnt a horse's coat on real zebras (it
  learnt to undo G's stripes, through the cycle) stays unlearnt and the mask stays shut over it; held open,
  the masked D_B (`d_on_mask_b`) would judge what is there, the adversarial term deciding where the share
  goes. A hinge, not a pull: beyond the share only the area prior acts. (Measured, the cover-b round in
  docs/quality.md: the share was met by a faint mask over skies, where the content is the input, and the
  content under the zebras stayed as it was: not in the schedule.)

With `mask_warmup`, the priors' weights grow linearly from 0 over that many images: from a random start the
content does not yet translate, so a mask asked to be small at once closes everywhere before it has a reason
not to (and a closed mask passes no gradient to the content).

With `mask_cycle_grad` off, the cycle and identity terms reach the content but not the masks: a mask left
closed reconstructs its input perfectly, so those terms pull every mask shut (from a warm start, the
bake-off's masked run closed its masks within 1,400 images); the masks then learn from the adversarial
term (open where the animal must change) and the priors (shut elsewhere) alone.

With `grey_cycle_b`, on the cycle's way back F reads G(a) greyed inside G's mask (Rec. 601 luma, the mask
held fixed). G's zebras keep a tint of the horse's coat that the colour-blind judge cannot see and real zebras
do not have; F learnt to read the coat's colour from it (drawn from a greyed G(a), its content paints horses
cyan, as it paints real zebras: docs/quality.md, "A colour hidden in the stripes"). Greyed, the way back is
what a real zebra is, and F must make a coat from neutral stripes (CycleGAN hides what the cycle needs in its
translations: Chu et al., "CycleGAN, a master of steganography", 2017). (Measured, the grey-b round: F then
made coats from greyed G(a) but still not from real zebras, and G carried the horse through grey in a grid:
not in the schedule.)

With `content_adv_b`, zebra2horse's content on the real zebras (the translation with its mask open everywhere)
is judged whole by a discriminator of its own, D_C, against whole real horses, at that weight. Beneath a shut
mask the content gets no other adversarial gradient, and the cycle teaches it only G's zebras, whose stripes
keep a tint of the coat (above): real zebras came out cyan, so the mask stayed shut over them (docs/quality.md,
"What is beneath zebra2horse's shut masks"). D_C asks of the content what the paper asks of F, so it learns
horses on real zebras wherever the mask is; the mask may then open where that content passes D_B. (Measured,
the content-b round: in 3,300 images at 1.0 the content turned real zebras from cyan to a coat's yellows and
browns, stripes still showing, the masks still shut: in the schedule, to see whether they open.)

With `d_on_mask` the discriminators judge only what the masks select (Mejjati et al., section 3.2): D_A sees
m_G(a) * G(a) against m_F(b) * b, the reverse generator's mask marking the real image's animal, so a
background that differs between the domains (pasture, savanna) cannot be what a translation is judged by.
`d_on_mask_b` sets it for D_B (G_B's horses) alone: zebra2horse is the direction whose masks recolour the
whole scene.

With `d_background_b` (a share k in [0, 1]; `d_background` sets it for D_A, and for D_B where d_background_b
is unset), D_B sees beyond the masks too, faded: x * (k + (1 - k) * m), on its real and fake sides alike.
On the masks alone (k = 0) a shut mask shows D_B a blank, and blanks fill two fifths of its real side's
patches (the background horse2zebra's masks leave out of real horses), so it
scores a blank nearly as real as a horse and zebra2horse's masks stay shut over zebras (pipelines/
judge_probe.py; docs/quality.md, "D_B's background, faded"). Faded, a zebra left alone is a faint zebra
to D_B, and a horse is asked for where it stands; the background's colour, which whole composites let
zebra2horse win by recolouring (the dmask-b rounds), counts for only k of what it did. (Measured, the fade-b
round: at k = 0.5 zebra2horse's masks moved from grass onto the zebras, which turned orange-brown with their
stripes fainter but there; horse2zebra 0.700 colour-blind at background shift 1.73: in the schedule.)
"""

from __future__ import annotations

import torch

from vidgan.ops.colour import luma
from vidgan.ops.composite import composite
from vidgan.train.losses import gan_loss
from vidgan.train.objectives import Seen
from vidgan.train.objectives.cyclegan import CycleGAN

JUDGE_OF = {"G_A": "D_A", "G_B": "D_B"}  # the discriminator of each generator's translations


def total_variation(m: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of vertically and of horizontally neighbouring values, summed; (N, 1, H, W)."""
    return (m[..., 1:, :] - m[..., :-1, :]).abs().mean() + (m[..., 1:] - m[..., :-1]).abs().mean()


def selected(x: torch.Tensor, mask: torch.Tensor, background: float = 0.0) -> torch.Tensor:
    """What a discriminator set to the masks sees of x (N, 3, H, W) under mask (N, 1, H, W): x inside the mask,
    and beyond it that share of x, faded towards mid-grey (d_background(_b); 0: the masks alone)."""
    return x * (background + (1 - background) * mask)


class MaskedCycleGAN(CycleGAN):
    def translate(self, name: str, x: torch.Tensor) -> torch.Tensor:
        y = self.fwd[name](x)
        out, mask = composite(x, y)
        if mask is None:
            raise ValueError("the masked objective needs masked generators (mask = true)")
        self._masks.append((name, mask, out, y[:, :3]))
        if self.config.mask_cycle_grad:
            return out
        # The cycle and identity terms see the composite with the mask held fixed: they would close it (an
        # input left alone is reconstructed perfectly), so only the adversarial term and the priors move it.
        return composite(x, torch.cat([y[:, :3], mask.detach()], dim=1))[0]

    images_seen = 0  # the schedule's clock, set by the loop before each step (the priors' warm-up reads it)

    def generator_losses(self, real_a: torch.Tensor, real_b: torch.Tensor) -> tuple[dict[str, torch.Tensor], Seen]:
        self._masks: list[tuple[str, torch.Tensor, torch.Tensor, torch.Tensor]] = []  # name, mask, composite, content
        losses, seen = super().generator_losses(real_a, real_b)
        c = self.config
        ramp = min(1.0, self.images_seen / c.mask_warmup) if c.mask_warmup else 1.0
        masks = [(name, m.float()) for name, m, *_ in self._masks]
        weight = {"G_A": c.mask_area, "G_B": c.mask_area if c.mask_area_b is None else c.mask_area_b}
        losses["mask"] = ramp * torch.stack([weight[name] * m.mean() for name, m in masks]).mean()
        if c.mask_tv:
            tv = torch.stack([total_variation(m) for _, m in masks]).mean()
            losses["mask"] = losses["mask"] + ramp * c.mask_tv * tv
        if c.mask_follow_b:
            n = len(real_a)
            m_g = next(m for name, m in masks if name == "G_A")[:n]  # G's first pass: a first
            m_f = next(m for name, m in masks if name == "G_B")[-n:]  # F's first pass: F(G(a)) last
            losses["mask"] = losses["mask"] + ramp * c.mask_follow_b * (m_f - m_g.detach()).abs().mean()
        if c.mask_follow_a:
            m_f = self._own_mask("G_B", len(real_b)).float()  # (N, 1, H, W): F's masks on the real zebras
            m_g = next(m for name, m in reversed(masks) if name == "G_A")  # G's last pass: G(F(b))
            losses["mask"] = losses["mask"] + ramp * c.mask_follow_a * (m_g - m_f.detach()).abs().mean()
        if c.mask_cover_b:
            m_b = self._own_mask("G_B", len(real_b)).float()  # (N, 1, H, W): F's masks on the real zebras
            short = (c.mask_cover_b_share - m_b.mean((1, 2, 3))).clamp(min=0)  # (N,)
            losses["mask"] = losses["mask"] + ramp * c.mask_cover_b * short.mean()
        if c.content_adv_b:
            content = self._own("G_B", len(real_b))[2]  # (N, 3, h, w): F's content on the real zebras
            losses["content"] = c.content_adv_b * gan_loss(self.judges["D_C"](self.augment(content)), True, c.gan_mode)
            seen.content = (real_a, content.detach())
        return losses, seen

    def way_back(self, fake_b: torch.Tensor) -> torch.Tensor:
        if not self.config.grey_cycle_b:
            return fake_b
        m = self._own_mask("G_A", len(fake_b)).detach().to(fake_b.dtype)  # (N, 1, h, w): G's mask on a
        return torch.lerp(fake_b, luma(fake_b), m)

    def _own(self, name: str, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(mask, composite, content) of `name` on the real images of its own domain this step (its first
        pass's first n), their gradients kept."""
        mask, out, content = next(rest for g, *rest in self._masks if g == name)
        return mask[:n], out[:n], content[:n]

    def _own_mask(self, name: str, n: int) -> torch.Tensor:
        return self._own(name, n)[0]

    def _on_mask(self, name: str) -> bool:
        """Whether the discriminator of `name`'s translations (D_A for G_A, D_B for G_B) sees masks alone."""
        return self.config.judge_view(JUDGE_OF[name])[0]

    def _selected(self, x: torch.Tensor, mask: torch.Tensor, name: str) -> torch.Tensor:
        return selected(x, mask, self.config.judge_view(JUDGE_OF[name])[1])

    def judged(self, fake: torch.Tensor, name: str) -> torch.Tensor:
        mask, live, _ = self._own(name, len(fake))  # (`fake` itself may hold its mask fixed: mask_cycle_grad)
        return self._selected(live, mask, name) if self._on_mask(name) else live

    def seen(self, real_a: torch.Tensor, real_b: torch.Tensor, fake_a: torch.Tensor, fake_b: torch.Tensor) -> Seen:
        on_a, on_b = self._on_mask("G_A"), self._on_mask("G_B")  # D_A judges domain B, D_B domain A
        if not (on_a or on_b):
            return super().seen(real_a, real_b, fake_a, fake_b)
        n = len(real_a)
        m_a, m_b = self._own_mask("G_A", n).detach(), self._own_mask("G_B", n).detach()  # the animals of a, of b
        # what D_B judges (domain A), then what D_A judges (domain B)
        a_side = (self._selected(real_a, m_a, "G_B"), self._selected(fake_a, m_b, "G_B")) if on_b else (real_a, fake_a)
        b_side = (self._selected(real_b, m_b, "G_A"), self._selected(fake_b, m_a, "G_A")) if on_a else (real_b, fake_b)
        return Seen(a_side[0], b_side[0], a_side[1].detach(), b_side[1].detach())

    @torch.no_grad()
    def translate_pair(self, real_a: torch.Tensor, real_b: torch.Tensor) -> Seen:
        self._masks = []
        seen = super().translate_pair(real_a, real_b)
        if self.config.content_adv_b:
            seen.content = (real_a, self._own("G_B", len(real_b))[2])
        return seen
