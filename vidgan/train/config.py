"""The training configuration: one dataclass that a recipe TOML, the CLI and the Python API all fill.

Defaults are the paper's and its official code's (Zhu et al. 2017, section 4 and appendix 7).
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from vidgan.errors import UsageError, VidganError
from vidgan.models.nets import FAMILIES, GeneratorConfig
from vidgan.units import parse_seconds


@dataclass
class TrainConfig:
    # --- data
    a: str = ""  # folder of domain A (images, or video clips to sample frames from); `trainA` found inside
    b: str = ""  # folder of domain B
    name: str = "mypair"  # run and model name; export writes NAME (A->B) and its reverse
    runs_dir: str = "runs"  # runs live in RUNS_DIR/NAME
    load_size: int = 286  # resize to this square first (official: 286) ...
    load_size_b: int | None = None  # domain B's own (unset: load_size): a crop of a smaller resize shows more scene
    load_size_real_b: int | None = None  # D_A's real B images resized apart (unset: as F's): its zebras, not F's inputs
    crop_size: int = 256  # ... then random-crop this (official: 256)
    preprocess: str = "resize_and_crop"  # resize_and_crop | crop (no resize) | resize (to crop_size, no crop)
    flip: bool = True  # random horizontal flips
    grey_share: float = 0.0  # share of training images greyed, both sides: an animal found by its shape, not its colour
    frames_per_clip: int = 32  # frames sampled evenly from each video clip in a domain folder
    data_licence: str = "unknown"  # the training data's licence, copied into the model cards

    # --- networks (section 4 / appendix 7.2)
    generator: str = "resnet"  # resnet: the paper's generator; mobile: the fast one (vidgan/models/nets.py)
    ngf: int = 64  # generator filters in the first layer
    n_blocks: int = 9  # residual blocks: 9 at 256 px, 6 at 128 px
    ndf: int = 64  # discriminator filters in the first layer
    n_layers_d: int = 3  # PatchGAN depth: 3 gives the 70x70 receptive field
    mask: bool = False  # generators with a mask head, trained on composites (objectives/masked.py)

    # --- objective (equations 1-3; identity loss from section 5.2 and the official default)
    gan_mode: str = "lsgan"  # lsgan (least squares, the paper's choice for stability) | vanilla
    lambda_cycle: float = 10.0  # lambda of the cycle-consistency loss, both directions (unless lambda_cycle_b)
    lambda_cycle_b: float | None = None  # |G(F(b)) - b|'s own lambda; lower, F need keep less of b's stripes
    identity: float = 0.5  # identity-loss weight, relative to lambda_cycle; 0 turns it off
    pool_size: int = 50  # discriminators see a history of this many generated images
    diffaugment: str = ""  # DiffAugment on all the discriminators see, e.g. "color,translation,cutout"; "": none

    # --- the masked objective (mask = true; objectives/masked.py)
    mask_area: float = 0.05  # weight of the masks' mean: changing a pixel must pay for itself
    mask_area_b: float | None = None  # G_B's (B to A) own weight: a direction that recolours more needs more
    mask_tv: float = 0.0  # weight of the masks' total variation: regions rather than speckle
    d_on_mask: bool = False  # the discriminators judge only what the masks select (Mejjati et al. 2018)
    d_on_mask_b: bool | None = None  # D_B (judging G_B's horses) on the masks alone; unset: as d_on_mask
    d_background: float = 0.0  # on the masks, how much of the background the discriminators still see: 0 none, 1 all
    d_background_b: float | None = None  # D_B's own share; unset: as d_background
    mask_warmup: int = 0  # images over which the priors grow from 0: the content learns before the mask shrinks
    mask_cycle_grad: bool = True  # the cycle and identity terms move the masks too (they pull them shut)
    mask_grad_floor: float = 0.0  # added to the mask's dm/dz in training: a saturated mask still moves (nets.MaskHead)
    mask_follow_b: float = 0.0  # weight of |G_B's mask on G(a) - G_A's mask on a|: F unstripes where G striped
    mask_follow_a: float = 0.0  # weight of |G_A's mask on F(b) - G_B's mask on b|: G stripes the animal, not its scene
    mask_grad_floor_b: float | None = None  # G_B's own floor: its masks shut on real zebras; G_A's spoil with one
    mask_cover_b: float = 0.0  # weight of max(0, mask_cover_b_share - mean of G_B's mask) on each real zebra image
    mask_cover_b_share: float = 0.2  # the least share of each zebra photo G_B's mask must cover (mask_cover_b)
    grey_cycle_b: bool = False  # F reads G(a) greyed inside G's mask on the way back: no horse colour hidden in a tint
    content_adv_b: float = 0.0  # weight of a whole-image discriminator's (D_C) term on G_B's content on real zebras

    # --- distillation instead (vidgan distill; GAN Compression, Li et al. 2020; vidgan/train/distill.py)
    teacher: str = ""  # a --model spec: G_A learns to reproduce it on domain A, G_B its inverse; "": a CycleGAN
    distill_targets: str = "cached"  # cached: the teacher translates each whole image once; online: each crop
    feature_weight: float = 0.0  # MSE of inner activations to the teacher's (needs online targets); 0: off
    adversarial_weight: float = 0.0  # LSGAN term against discriminators of the student's size; 0: no D at all

    # --- optimisation
    lr: float = 2e-4  # Adam learning rate at batch 1, constant for the first half of the schedule, then linear to 0
    lr_scaling: str = "sqrt"  # how lr grows with the images per step: sqrt | linear | none (docs/benchmarks.md)
    beta1: float = 0.5  # Adam beta1 (the paper's); beta2 is 0.999
    batch_size: int = 1  # images per side per step and process (the paper's: 1)
    epochs: float | None = 200  # schedule length in epochs: 200 x 1,334 = the paper's 266,800 images ...
    iterations: int | None = None  # ... or in iterations (overrides epochs) ...
    images: int | None = None  # ... or in images per side (overrides both): any batch size, any GPU count
    time_budget: float | None = None  # ... or in wall-clock seconds: the whole schedule is fitted into it
    seed: int = 0  # seeds networks, data order, augmentation and the image pools
    restart_d_steps: int = 100  # after a compact restart: steps of the discriminators alone (Adam, pools)
    restart_lr_ramp: int = 200  # after a compact restart: steps over which the generators' lr climbs back
    ema: float = 0.0  # export a moving average of the generators' weights, this decay per step (average.py); 0: off

    # --- speed
    device: str = "auto"  # auto | cpu | cuda
    precision: str = "auto"  # auto (bf16 on CUDA and on CPUs with bf16 hardware) | fp32 | bf16
    channels_last: bool = True  # NHWC layout on CUDA (tensor cores like it)
    compile: bool = False  # torch.compile the networks (CUDA; compile time counts in a time budget)
    compile_mode: str = "default"  # default | reduce-overhead (CUDA graphs: no launch overhead) | max-autotune

    # --- bookkeeping
    save_every: float = 600.0  # seconds between resumable checkpoints (and one at the end)
    log_every: int = 100  # iterations between JSONL log lines (and at 1, 2, 4, ... before the first)
    sample_every: int = 1000  # iterations between PNG grids of real / translated / reconstructed

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise VidganError(f"unknown training setting(s): {', '.join(sorted(unknown))}")
        return cls(**values)

    def schedule_images(self, epoch_images: float, images_per_step: int) -> int | None:
        """The schedule asked for, in images per side: `images`, or `iterations` steps, or `epochs` of
        `epoch_images` (200 epochs of horse2zebra: the paper's 266,800); None for a time budget, whose schedule
        is fitted to it once the speed is known (and is then the one total every report gives)."""
        if self.time_budget:
            return None
        if self.images:
            return self.images
        if self.iterations:
            return self.iterations * images_per_step
        return max(1, round((self.epochs or 200) * epoch_images))

    def judge_view(self, judge: str) -> tuple[bool, float]:
        """What D_A or D_B sees of a masked pair's images: (the masks' selection rather than the whole image,
        the share of the background it still sees there; 0 where it sees whole images): the _b settings for
        D_B where given, else the shared ones."""
        if judge == "D_A":
            on_mask, share = self.d_on_mask, self.d_background
        else:
            on_mask = self.d_on_mask if self.d_on_mask_b is None else self.d_on_mask_b
            share = self.d_background if self.d_background_b is None else self.d_background_b
        return on_mask, share if on_mask else 0.0

    def generator_config(self) -> GeneratorConfig:
        """What the run's generators are, as their checkpoints record it."""
        return GeneratorConfig(ngf=self.ngf, n_blocks=self.n_blocks, family=self.generator, mask=self.mask)

    def validate(self) -> None:
        if self.generator not in FAMILIES:
            raise UsageError(f"unknown generator {self.generator!r}: {' or '.join(FAMILIES)}")
        if self.preprocess not in ("resize_and_crop", "crop", "resize"):
            raise UsageError(f"unknown preprocess {self.preprocess!r}: resize_and_crop, crop or resize")
        smallest = min(self.load_size, self.load_size_b or self.load_size, self.load_size_real_b or self.load_size)
        if self.preprocess == "resize_and_crop" and smallest < self.crop_size:
            raise UsageError(f"load size {smallest} is smaller than the crop {self.crop_size}")
        judged_whole = self.preprocess == "resize_and_crop" and not self.teacher and not self.judge_view("D_A")[0]
        if self.load_size_real_b and not judged_whole:
            raise UsageError("load_size_real_b resizes the zebras D_A judges whole, apart from F's: it needs "
                             "preprocess resize_and_crop, no teacher and d_on_mask = false")  # fmt: skip
        if not 0 <= self.grey_share <= 1:
            raise UsageError(f"grey_share is a share of the training images, in [0, 1] (got {self.grey_share:g})")
        if self.crop_size % 4:
            raise UsageError(f"crop size must be a multiple of 4 (got {self.crop_size})")
        if self.distill_targets not in ("cached", "online"):
            raise UsageError(f"unknown distillation targets {self.distill_targets!r}: cached or online")
        if self.feature_weight and self.distill_targets != "online":
            raise UsageError("feature losses compare the teacher's activations on each crop: use online targets")
        if self.gan_mode not in ("lsgan", "vanilla"):
            raise UsageError(f"unknown GAN loss {self.gan_mode!r}: lsgan or vanilla")
        if min(self.lambda_cycle, self.lambda_cycle_b or 0, self.identity) < 0:
            raise UsageError("lambda_cycle(_b) and identity are loss weights: they cannot be negative")
        if not (self.epochs or self.iterations or self.images or self.time_budget):
            raise UsageError("give the schedule: epochs, iterations, images or a time budget")
        if not 0 <= self.ema < 1:
            raise UsageError(f"ema, the weight average's decay, must be in [0, 1) (got {self.ema:g})")
        if self.lr_scaling not in ("sqrt", "linear", "none"):
            raise UsageError(f"unknown lr scaling {self.lr_scaling!r}: sqrt, linear or none")
        policy = {p for p in self.diffaugment.split(",") if p}
        if policy - {"color", "translation", "cutout"}:
            raise UsageError(f"unknown DiffAugment policy {self.diffaugment!r}: a list of color, translation, cutout")
        if self.compile_mode not in ("default", "reduce-overhead", "max-autotune"):
            raise UsageError(f"unknown compile mode {self.compile_mode!r}: default, reduce-overhead or max-autotune")
        self._validate_masked()

    def _validate_masked(self) -> None:
        """The masked objective's settings: only with masked generators, and within their ranges."""
        if not self.mask and (
            self.mask_tv
            or self.d_on_mask
            or not self.mask_cycle_grad
            or self.mask_grad_floor
            or self.d_on_mask_b
            or self.mask_follow_b
            or self.mask_follow_a
            or self.mask_grad_floor_b is not None
            or self.mask_cover_b
            or self.grey_cycle_b
            or self.content_adv_b
            or self.d_background
            or self.d_background_b
        ):
            raise UsageError("mask_tv, d_on_mask(_b), d_background(_b), mask_cycle_grad, mask_grad_floor(_b), "
                             "mask_follow_(a|b), mask_cover_b, grey_cycle_b, content_adv_b are masked generators' "
                             "settings: set mask = true")  # fmt: skip
        if min(self.mask_area, self.mask_tv, self.mask_area_b or 0, self.mask_follow_b, self.mask_follow_a,
               self.mask_cover_b, self.content_adv_b) < 0:  # fmt: skip
            raise UsageError("the mask priors' and content_adv_b's weights cannot be negative")
        for name, share in (("d_background", self.d_background), ("d_background_b", self.d_background_b or 0)):
            if not 0 <= share <= 1:
                raise UsageError(f"{name} is a share of the background, in [0, 1] (got {share:g})")
        d_b_on_mask = self.judge_view("D_B")[0]
        if self.d_background_b and not d_b_on_mask:
            raise UsageError("d_background_b fades what D_B sees beyond the masks: set d_on_mask_b")
        if self.d_background and not (self.d_on_mask or (d_b_on_mask and self.d_background_b is None)):
            raise UsageError("d_background fades what the discriminators see beyond the masks: set d_on_mask")
        if min(self.mask_grad_floor, self.mask_grad_floor_b or 0) < 0:
            raise UsageError("mask_grad_floor(_b) cannot be negative")
        if not 0 < self.mask_cover_b_share <= 1:
            raise UsageError(f"mask_cover_b_share is a share of the image, in (0, 1] (got {self.mask_cover_b_share:g})")
        if self.mask and self.teacher:
            raise UsageError("a distillation trains unmasked students: leave mask out of it")


SCHEDULE = ("epochs", "iterations", "images", "time_budget")  # a schedule given replaces the recipe's whole
# What `vidgan train --continue` may set anew: where the data are and how fast to train, not what is trained
# (a weight average of what is trained may begin at any point).
CONTINUE_OVERRIDES = {"a", "b", "runs_dir", "device", "precision", "channels_last", "compile", "compile_mode",
                      "batch_size", "save_every", "log_every", "sample_every", "ema"}  # fmt: skip
# With --amend it takes what is trained too, from there on (the state's history of runs records each change: a
# bake-off round can try a setting on a schedule in its decay without beginning the count again), but never the
# networks' shapes, which the state's weights must fit, nor the schedule it goes on with.
NEVER_AMENDED = {"name", "generator", "ngf", "n_blocks", "ndf", "n_layers_d", "mask", "teacher", "distill_targets",
                 *SCHEDULE}  # fmt: skip


# `vidgan distill`'s recipe where the command line is silent (the rest: TrainConfig's). Chosen by measurement on
# horse2zebra on 2 CPU cores (docs/quality.md, "Distillation").
DISTILL_DEFAULTS = {
    "generator": "mobile",  # the point of distilling: the fast family
    "ngf": 32,  # 3.8 GMACs at 256x256, 0.48 M parameters
    "n_blocks": 9,
    "ndf": 16,  # a discriminator of the student's size, where an adversarial term is asked for
    "crop_size": 128,  # 4 crops of 128 px cost one of 256: more, and more varied, images per CPU-second
    "batch_size": 4,
    "identity": 0.0,  # not a term of the distillation's objective
    "epochs": 10,
}


def load_recipe(path: str | Path) -> dict:
    """A recipe TOML as a flat dict of TrainConfig fields (tables are flattened: [data] crop_size = ...)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise VidganError(f"recipe not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise VidganError(f"recipe {path} is not valid TOML: {e}") from None
    flat: dict = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    if "time_budget" in flat and isinstance(flat["time_budget"], str):
        flat["time_budget"] = parse_seconds(flat["time_budget"])
    TrainConfig.from_dict(flat)  # reject unknown keys early
    return flat
