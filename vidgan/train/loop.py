"""The training loop: G: A->B and F: B->A with discriminators D_B and D_A (the paper's G, F, D_Y, D_X).

Names follow the official code: G_A = G (A->B), G_B = F (B->A), D_A judges domain B (real B vs G_A(A)),
D_B judges domain A. One iteration:
  1. generators: L_GAN(G_A, D_A) + L_GAN(G_B, D_B) + lambda (L_cyc A + L_cyc B) + identity terms, one Adam step;
  2. discriminators: 0.5 (L(D(real), 1) + L(D(pool(fake)), 0)) each, one Adam step.

A run lives in RUNS_DIR/NAME: config.json, state.pt (everything needed to resume exactly, written
atomically every `save_every` seconds, at the end and on Ctrl-C), log.jsonl, samples/*.png. With
`torchrun --nproc_per_node=N` each process trains on its own slice of every batch under
DistributedDataParallel; rank 0 writes the files.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from PIL import Image
from torch import nn

from vidgan.atomic import atomic_path
from vidgan.errors import VidganError
from vidgan.nets import GeneratorConfig, PatchDiscriminator, ResnetGenerator, init_weights, to_signed, to_uint8
from vidgan.runtime import pick_device
from vidgan.train.config import TrainConfig
from vidgan.train.data import PairSampler, center_crops, load_domain
from vidgan.train.losses import cycle_loss, gan_loss, identity_loss
from vidgan.train.pool import ImagePool
from vidgan.train.schedule import BudgetFitter, lr_factor

NETS = ("G_A", "G_B", "D_A", "D_B")
SAMPLES = 4  # fixed images per side for the sample grids and the export check


@dataclass
class Dist:
    """Where this process stands in a torchrun job (a single process is rank 0 of 1)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed(device_name: str) -> Dist:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Dist()
    backend = "nccl" if device_name != "cpu" and torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    d = Dist(dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0")))
    if backend == "nccl":
        torch.cuda.set_device(d.local_rank)
    return d


def build_networks(config: TrainConfig) -> dict[str, nn.Module]:
    """The four networks, seeded and initialised N(0, 0.02) as in the paper."""
    torch.manual_seed(config.seed)
    gen = GeneratorConfig(ngf=config.ngf, n_blocks=config.n_blocks)
    nets = {
        "G_A": ResnetGenerator(gen),
        "G_B": ResnetGenerator(gen),
        "D_A": PatchDiscriminator(ndf=config.ndf, n_layers=config.n_layers_d),
        "D_B": PatchDiscriminator(ndf=config.ndf, n_layers=config.n_layers_d),
    }
    return {k: init_weights(v) for k, v in nets.items()}


def _to_float(batch: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    """uint8 (B, 3, H, W) -> float in [-1, 1] on the device."""
    x = to_signed(batch.to(device, non_blocking=True))
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


class Trainer:
    """Holds the networks, optimisers, pools and schedule of one run; `run()` trains it."""

    def __init__(self, config: TrainConfig, run_dir: Path, quiet: bool = False) -> None:
        config.validate()
        self.created = time.perf_counter()  # a time budget counts data loading and set-up too
        self.config, self.run_dir, self.quiet = config, run_dir, quiet
        self.dist = setup_distributed(config.device)
        if self.dist.world > 1 and torch.cuda.is_available() and config.device != "cpu":
            self.device = torch.device("cuda", self.dist.local_rank)
        else:
            self.device = pick_device(config.device)
        cuda = self.device.type == "cuda"
        self.precision = config.precision if config.precision != "auto" else ("bf16" if cuda else "fp32")
        self.channels_last = config.channels_last and cuda
        self.data_a = load_domain(config.a, "A", config, quiet or not self.dist.main)
        self.data_b = load_domain(config.b, "B", config, quiet or not self.dist.main)
        self.sampler = PairSampler(len(self.data_a), len(self.data_b), config, self.dist.rank, self.dist.world)
        self.samples = (center_crops(self.data_a, SAMPLES, config.crop_size),
                        center_crops(self.data_b, SAMPLES, config.crop_size))  # fmt: skip

        self.nets = build_networks(config)
        for net in self.nets.values():
            net.to(self.device)
            if self.channels_last:
                net.to(memory_format=torch.channels_last)
        adam = {"lr": config.lr, "betas": (config.beta1, 0.999), "fused": True if cuda else None}
        self.opt_g = torch.optim.Adam([*self.nets["G_A"].parameters(), *self.nets["G_B"].parameters()], **adam)
        self.opt_d = torch.optim.Adam([*self.nets["D_A"].parameters(), *self.nets["D_B"].parameters()], **adam)
        self.pools = {side: ImagePool(config.pool_size, config.seed + i) for i, side in enumerate("AB", 1)}
        self.step = 0
        self.images_seen = 0
        self.train_seconds = 0.0  # summed over sessions of a resumed run
        self.total = self._planned_total()
        self.fitter = BudgetFitter(config.time_budget) if config.time_budget else None
        self._wrap()

    # ------------------------------------------------------------------------------------------ setup

    def _planned_total(self) -> int | None:
        c = self.config
        if c.iterations:
            return c.iterations
        if c.time_budget:
            return None  # fitted once the speed is known
        return max(1, round(c.epochs * self.sampler.steps_per_epoch))

    def _wrap(self) -> None:
        """DDP and torch.compile wrappers for the forward passes; self.nets keeps the plain modules."""
        self.fwd = dict(self.nets)
        if self.dist.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.fwd = {k: DDP(v, device_ids=ids) for k, v in self.nets.items()}
        if self.config.compile:
            self.fwd = {k: torch.compile(v) for k, v in self.fwd.items()}
        # D as seen by the generator step: its gradients are not wanted there, so no DDP bookkeeping.
        self.d_for_g = {k: torch.compile(self.nets[k]) if self.config.compile else self.nets[k] for k in ("D_A", "D_B")}

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # ------------------------------------------------------------------------------------------ state

    def state_dict(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "step": self.step,
            "total": self.total,
            "images_seen": self.images_seen,
            "train_seconds": self.train_seconds,
            "nets": {k: v.state_dict() for k, v in self.nets.items()},
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "pools": {k: v.state_dict() for k, v in self.pools.items()},
            "samples": list(self.samples),
            "device": torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "cpu",
        }

    def load_state_dict(self, state: dict) -> None:
        for k, net in self.nets.items():
            net.load_state_dict(state["nets"][k])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        for k, pool in self.pools.items():
            pool.load_state_dict(state["pools"][k], self.device)
        self.step, self.total = state["step"], state["total"]
        self.images_seen, self.train_seconds = state["images_seen"], state["train_seconds"]

    def save(self) -> None:
        if not self.dist.main:
            return
        with atomic_path(self.run_dir / "state.pt", overwrite=True) as tmp:
            torch.save(self.state_dict(), tmp)

    # ------------------------------------------------------------------------------------------ steps

    def train_step(self) -> dict[str, torch.Tensor]:
        """One iteration of the paper's alternating updates; returns the losses as 0-d tensors on the device
        (reading one waits for the GPU, so only the log steps do)."""
        c, nets, fwd = self.config, self.nets, self.fwd
        idx_a, idx_b = self.sampler.indices(self.step)
        real_a = _to_float(self.sampler.batch_of(self.data_a, idx_a, self.step, 0), self.device, self.channels_last)
        real_b = _to_float(self.sampler.batch_of(self.data_b, idx_b, self.step, 1), self.device, self.channels_last)

        # 1. Generators. D's parameters need no gradients here.
        for name in ("D_A", "D_B"):
            nets[name].requires_grad_(False)
        with self._autocast():
            fake_b = fwd["G_A"](real_a)  # G(x)
            rec_a = fwd["G_B"](fake_b)  # F(G(x))
            fake_a = fwd["G_B"](real_b)  # F(y)
            rec_b = fwd["G_A"](fake_a)  # G(F(y))
            loss_g_a = gan_loss(self.d_for_g["D_A"](fake_b), True, c.gan_mode)
            loss_g_b = gan_loss(self.d_for_g["D_B"](fake_a), True, c.gan_mode)
            loss_cyc = c.lambda_cycle * (cycle_loss(rec_a, real_a) + cycle_loss(rec_b, real_b))
            loss_idt = torch.zeros((), device=self.device)
            if c.identity > 0:
                loss_idt = (
                    c.identity
                    * c.lambda_cycle
                    * (identity_loss(fwd["G_A"](real_b), real_b) + identity_loss(fwd["G_B"](real_a), real_a))
                )
        loss_g = loss_g_a + loss_g_b + loss_cyc + loss_idt
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()

        # 2. Discriminators, on real images and on the pools of generated ones.
        for name in ("D_A", "D_B"):
            nets[name].requires_grad_(True)
        with self._autocast():
            fake_b_old = self.pools["B"].query(fake_b.detach())
            fake_a_old = self.pools["A"].query(fake_a.detach())
            loss_d_a = 0.5 * (gan_loss(fwd["D_A"](real_b), True, c.gan_mode)
                              + gan_loss(fwd["D_A"](fake_b_old), False, c.gan_mode))  # fmt: skip
            loss_d_b = 0.5 * (gan_loss(fwd["D_B"](real_a), True, c.gan_mode)
                              + gan_loss(fwd["D_B"](fake_a_old), False, c.gan_mode))  # fmt: skip
        self.opt_d.zero_grad(set_to_none=True)
        (loss_d_a + loss_d_b).backward()
        self.opt_d.step()

        self.step += 1
        self.images_seen += real_a.shape[0] * self.dist.world
        losses = {"G_A": loss_g_a, "G_B": loss_g_b, "cycle": loss_cyc, "idt": loss_idt, "D_A": loss_d_a,
                  "D_B": loss_d_b}  # fmt: skip
        return {k: v.detach() for k, v in losses.items()}

    def set_lr(self) -> float:
        factor = lr_factor(self.step, self.total) if self.total else 1.0
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = self.config.lr * factor
        return self.config.lr * factor

    @torch.no_grad()
    def sample_grid(self) -> Image.Image:
        """Rows: A, G_A(A), G_B(G_A(A)), B, G_B(B), G_A(G_B(B)) for the fixed sample images."""
        a = _to_float(self.samples[0], self.device, False)
        b = _to_float(self.samples[1], self.device, False)
        g_a, g_b = self.nets["G_A"].eval(), self.nets["G_B"].eval()
        with self._autocast():
            rows = [a, g_a(a), g_b(g_a(a)), b, g_b(b), g_a(g_b(b))]
        g_a.train(), g_b.train()
        return image_grid(rows)

    # ------------------------------------------------------------------------------------------ loop

    def run(self) -> Path:
        """Train to the end of the schedule (or the budget); Ctrl-C saves and re-raises."""
        from tqdm import tqdm

        c = self.config
        started = self.created if self.step == 0 else time.perf_counter()
        session_start_seconds = self.train_seconds
        last_save = started
        log = open(self.run_dir / "log.jsonl", "a") if self.dist.main else None
        bar = tqdm(total=self.total, initial=self.step, unit="it", disable=self.quiet or not self.dist.main,
                   dynamic_ncols=True)  # fmt: skip
        window = (self.step, started)
        try:
            while self.total is None or self.step < self.total:
                lr = self.set_lr()
                try:
                    losses = self.train_step()
                except torch.OutOfMemoryError:
                    raise VidganError(
                        f"GPU out of memory at batch size {c.batch_size}, crop {c.crop_size}: lower --batch-size "
                        f"(or --crop-size, --ngf)"
                    ) from None
                now = time.perf_counter()
                self.train_seconds = session_start_seconds + (now - started)
                if self.fitter is not None:
                    self.total = self.fitter.update(self.step, self.train_seconds)
                    if bar.total != self.total:
                        bar.total = self.total
                    if self.fitter.out_of_time(self.train_seconds):
                        break
                bar.update(1)
                if self.step % c.log_every == 0 or self.step == self.total:
                    losses = {k: v.item() for k, v in losses.items()}
                    speed = (self.step - window[0]) * c.batch_size * self.dist.world / max(now - window[1], 1e-9)
                    window = (self.step, now)
                    bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()} | {"img/s": f"{speed:.1f}"})
                    if log:
                        record = {"step": self.step, "total": self.total, "lr": lr, **losses,
                                  "images_per_s": round(speed, 2), "seconds": round(self.train_seconds, 1)}  # fmt: skip
                        log.write(json.dumps(record) + "\n")
                        log.flush()
                if self.dist.main and c.sample_every and self.step % c.sample_every == 0:
                    self.save_samples()
                if now - last_save >= c.save_every:
                    self.save()
                    last_save = now
        except KeyboardInterrupt:
            self.save()
            raise
        finally:
            bar.close()
            if log:
                log.close()
        self.total = self.step  # the schedule as it ran (a budget may end it a step early)
        self.save()
        if self.dist.main and c.sample_every:
            self.save_samples()
        return self.run_dir

    def close(self) -> None:
        """Leave the process group of a torchrun job."""
        if self.dist.world > 1 and dist.is_initialized():
            dist.destroy_process_group()

    def save_samples(self) -> None:
        folder = self.run_dir / "samples"
        folder.mkdir(exist_ok=True)
        with atomic_path(folder / f"step_{self.step:07d}.png", overwrite=True) as tmp:
            self.sample_grid().save(tmp)


def image_grid(rows: list[torch.Tensor]) -> Image.Image:
    """Tensors (N, 3, H, W) in [-1, 1], one per row, as one PNG-ready image."""
    strips = [torch.cat(list(r), dim=2) for r in rows]  # (3, H, N*W) each
    grid = to_uint8(torch.cat(strips, dim=1))
    return Image.fromarray(grid.permute(1, 2, 0).cpu().numpy())


def open_run(config: TrainConfig | None, resume: Path | None, init_from: Path | None,
             quiet: bool = False) -> Trainer:  # fmt: skip
    """A new run (from `config`), a resumed one (`resume`: the run folder), or a new run whose four
    networks start from another run's weights (`init_from`)."""
    if resume is not None:
        state_path = Path(resume) / "state.pt"
        if not state_path.is_file():
            raise VidganError(f"nothing to resume in {resume}: no state.pt")
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        trainer = Trainer(TrainConfig.from_dict(state["config"]), Path(resume), quiet)
        trainer.load_state_dict(state)
        trainer.fitter = None if trainer.total else trainer.fitter
        return trainer
    assert config is not None
    if not config.a or not config.b:
        raise VidganError("give both domains: --a FOLDER --b FOLDER")
    run_dir = Path(config.runs_dir) / config.name
    if (run_dir / "state.pt").exists():
        raise VidganError(f"run {run_dir} exists: continue it with --resume {run_dir}, or pick another --name")
    trainer = Trainer(config, run_dir, quiet)
    if trainer.dist.main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.json").write_text(json.dumps(config.to_dict(), indent=2) + "\n")
    if init_from is not None:
        path = Path(init_from) / "state.pt" if Path(init_from).is_dir() else Path(init_from)
        try:
            nets = torch.load(path, map_location="cpu", weights_only=True)["nets"]
            for k, net in trainer.nets.items():
                net.load_state_dict(nets[k])
        except (OSError, KeyError, RuntimeError) as e:
            raise VidganError(f"cannot start from {init_from}: {e}".splitlines()[0]) from None
    return trainer
