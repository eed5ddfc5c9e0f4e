"""The training loop: G: A->B and F: B->A with discriminators D_B and D_A (the paper's G, F, D_Y, D_X).

Names follow the official code: G_A = G (A->B), G_B = F (B->A), D_A judges domain B (real B vs G_A(A)),
D_B judges domain A (D_C, with the masked objective's content_adv_b, G_B's content). One step:
  1. generators: the objective's losses (objectives/: the paper's CycleGAN, the masked one, or a
     distillation), one Adam step, the discriminators frozen;
  2. discriminators: 0.5 (L(D(real), 1) + L(D(pool(fake)), 0)) each, one Adam step (where the objective
     has discriminators).

A run lives in RUNS_DIR/NAME: config.json, state.pt (everything needed to resume exactly, written
atomically every `save_every` seconds, at the end, at `--stop-after` and on Ctrl-C), log.jsonl,
samples/*.png. The schedule is counted in images, so short runs add up: `--stop-after` ends a run early
and `--resume` (the full state) or `--continue` (a compact state, state.py) carries on from there. With
`torchrun --nproc_per_node=N` each process trains on its own slice of every batch under
DistributedDataParallel; rank 0 writes the files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import torch
import torch.distributed as dist
from torch.optim.lr_scheduler import LambdaLR

from vidgan.atomic import atomic_path
from vidgan.engine.runtime import autocast, describe_device, pick_device, pick_precision, tune_for, use_compile_cache
from vidgan.errors import VidganError
from vidgan.train.average import AVERAGED, WeightAverage
from vidgan.train.batches import StepBatches
from vidgan.train.config import TrainConfig
from vidgan.train.data import center_crops, load_domain
from vidgan.train.distill import FeatureLinks, Teacher
from vidgan.train.objectives import Seen, discriminator_losses
from vidgan.train.objectives.build import build_objective
from vidgan.train.parts import build_networks, discriminator_names, frozen, setup_distributed
from vidgan.train.pool import ImagePool
from vidgan.train.report import Report
from vidgan.train.samples import sample_grid, save_grid
from vidgan.train.schedule import BudgetFitter, lr_factor, restart_factor, scaled_lr
from vidgan.train.state import write_compact

logger = logging.getLogger(__name__)

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}  # what --stop-after and --time-budget count
SAMPLES = 4  # fixed images per side for the sample grids and the export check


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Trainer:
    """Holds the networks, optimisers, pools and schedule of one run; `run()` trains it.

    `stop_after`: seconds this session may take (start-up included) before it saves and stops, leaving the
    schedule to a later `--resume` or `--continue`. `clock` measures them, and the time budget: the wall
    clock, or (CLOCKS["cpu"]) this process's CPU time, which runs sharing a busy machine get in equal
    measure; tests pass a clock of their own."""

    def __init__(self, config: TrainConfig, run_dir: Path, quiet: bool = False,
                 stop_after: float | None = None, clock: Callable[[], float] = time.perf_counter,
                 save_compact: Path | None = None) -> None:  # fmt: skip
        config.validate()
        self.clock = clock
        self.created = clock()  # budgets count data loading and set-up too
        self.config, self.run_dir, self.quiet, self.stop_after = config, run_dir, quiet, stop_after
        self.dist = setup_distributed(config.device)
        if self.dist.world > 1 and torch.cuda.is_available() and config.device != "cpu":
            self.device = torch.device("cuda", self.dist.local_rank)
        else:
            self.device = pick_device(config.device)
        tune_for(self.device)
        cuda = self.device.type == "cuda"
        # auto: bf16 on CUDA and on CPUs with bf16 hardware (the mobile pair trains 1.7x faster there)
        self.precision = pick_precision(self.device, config.precision)
        self.channels_last = config.channels_last and cuda
        self.data_a = load_domain(config.a, "A", config, quiet or not self.dist.main)
        self.teacher = Teacher(config.teacher, self.device, self.precision) if config.teacher else None
        if self.teacher is None:
            self.data_b = load_domain(config.b, "B", config, quiet or not self.dist.main)
        elif config.distill_targets == "cached":  # side B: the teacher's outputs, image for image
            self.data_b = self.teacher.targets(self.data_a, run_dir, quiet or not self.dist.main)
        else:
            self.data_b = self.data_a  # online: the teacher translates the A crops themselves
        self.batches = StepBatches(self.data_a, self.data_b, config, self.device, self.dist.rank, self.dist.world,
                                   self.channels_last)  # fmt: skip
        self.samples = (center_crops(self.data_a, SAMPLES, config.crop_size),
                        center_crops(self.data_b, SAMPLES, config.crop_size))  # fmt: skip

        self.nets = build_networks(config)
        self.judge_names = discriminator_names(self.nets)  # D_A, D_B and, with content_adv_b, D_C
        self.links = FeatureLinks(self.nets["G_A"], self.teacher.net) if config.feature_weight else None
        for net in [*self.nets.values(), *([self.links] if self.links else [])]:
            net.to(self.device)
            if self.channels_last:
                net.to(memory_format=torch.channels_last)
        self.average = WeightAverage(self.nets, config.ema) if config.ema else None
        self.images_per_step = config.batch_size * self.dist.world
        self.lr = scaled_lr(config.lr, self.images_per_step, config.lr_scaling)
        self._fresh_optimisers()
        # G_B's translations (A), G_A's (B), G_B's content (C, for D_C)
        sides = "ABC" if "D_C" in self.nets else "AB"
        self.pools = {side: ImagePool(config.pool_size, config.seed + i) for i, side in enumerate(sides, 1)}
        self.step = 0
        self.images_seen = 0  # per side, by all processes: the schedule's clock
        self.train_seconds = 0.0  # summed over the runs of the schedule
        self.seconds_before = 0.0  # of them, before this run
        self.runs: list[dict] = []  # one entry per run (session) of this schedule
        self.amended: dict[str, list] = {}  # setting: [the state's, this run's], where --amend changed it
        # the one total: the config's, or (None until measured) fitted to a time budget
        self.schedule_images = config.schedule_images(self.batches.sampler.epoch_images, self.images_per_step)
        self.fitter = BudgetFitter(config.time_budget) if config.time_budget else None
        self.restarted_at: int | None = None  # step of the last compact restart (the lr ramps up from it)
        self.d_warmup = 0  # discriminator-only steps still due after a compact restart
        self.d_ramp = 1.0  # the discriminators' lr share while they warm up
        self.save_compact = save_compact  # also write a compact state here at every save
        self._wrap()
        self.objective = build_objective(config, self.fwd, self.d_for_g, self.device, self.teacher, self.links)

    # ------------------------------------------------------------------------------------------ setup

    def _fresh_optimisers(self) -> None:
        adam = {
            "lr": self.lr,
            "betas": (self.config.beta1, 0.999),
            "fused": True if self.device.type == "cuda" else None,
        }
        links = [*self.links.parameters()] if self.links else []
        self.opt_g = torch.optim.Adam([*self.nets["G_A"].parameters(), *self.nets["G_B"].parameters(), *links], **adam)
        judges = [p for k in self.judge_names for p in self.nets[k].parameters()]
        self.opt_d = torch.optim.Adam(judges, **adam)

    def _wrap(self) -> None:
        """DDP and torch.compile wrappers for the forward passes; self.nets keeps the plain modules."""
        c = self.config
        self.fwd = dict(self.nets)
        if self.dist.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.fwd = {k: DDP(v, device_ids=ids) for k, v in self.nets.items()}
        # Static shapes: each network meets one or two batch shapes (the merged passes), each compiled once.
        mode = None if c.compile_mode == "default" else c.compile_mode
        compile = (lambda m: torch.compile(m, mode=mode, dynamic=False)) if c.compile else (lambda m: m)
        if c.compile:
            use_compile_cache()
        self.fwd = {k: compile(v) for k, v in self.fwd.items()}
        # D as the generator step sees it: no gradients for D there, so under DDP the plain module (no
        # gradient bookkeeping); otherwise the very same compiled module (compiled once, not twice).
        self.d_for_g = {k: compile(self.nets[k]) if self.dist.world > 1 else self.fwd[k] for k in self.judge_names}

    # ------------------------------------------------------------------------------------------ state

    def state_dict(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "step": self.step,
            "images_seen": self.images_seen,
            "schedule_images": self.schedule_images,
            "aim_images": self.schedule_images or self.images_seen,  # (the schedule: the key older states had)
            "train_seconds": self.train_seconds,
            "runs": self.runs,
            "nets": {k: v.state_dict() for k, v in self.nets.items()},
            "ema": self.average.state_dict() if self.average else None,
            "links": self.links.state_dict() if self.links else None,
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "pools": {k: v.state_dict() for k, v in self.pools.items()},
            "samples": list(self.samples),
            "device": describe_device(self.device),
            "restarted_at": self.restarted_at,
            "d_warmup": self.d_warmup,
        }

    def load_state_dict(self, state: dict) -> None:
        self.load_progress(state)
        if self.links:
            self.links.load_state_dict(state["links"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        for k, pool in self.pools.items():
            pool.load_state_dict(state["pools"][k], self.device)
        self.restarted_at, self.d_warmup = state.get("restarted_at"), state.get("d_warmup", 0)

    def load_progress(self, state: dict) -> None:
        """Weights and where the schedule stands (what a compact state keeps too)."""
        for k, net in self.nets.items():
            net.load_state_dict(state["nets"][k])
        self.step, self.images_seen, self.schedule_images = (
            state["step"],
            state["images_seen"],
            state["schedule_images"],
        )
        self.train_seconds, self.runs = state["train_seconds"], list(state.get("runs", []))
        self.seconds_before = self.train_seconds
        self.start_average(state.get("ema"))
        if self.schedule_images is not None:
            self.fitter = None  # the schedule was fixed by the run that began it

    def start_average(self, average: dict | None = None) -> None:
        """The weight average from a saved one, or (a state saved without one) from the weights as they are."""
        if self.average is not None:
            self.average.load_state_dict(average or {k: self.nets[k].state_dict() for k in AVERAGED})

    def restart(self) -> None:
        """After loading a compact state (no optimiser moments, no pools): the discriminators train alone
        first (their fresh Adam settles and the pools fill), then the generators' lr climbs back (a
        distillation without discriminators only climbs back)."""
        self.d_warmup = self.config.restart_d_steps if self.uses_discriminators else 0
        self.restarted_at = self.step

    def save(self) -> None:
        if not self.dist.main:
            return
        state = self.state_dict()
        with atomic_path(self.run_dir / "state.pt", overwrite=True) as tmp:
            torch.save(state, tmp)
        if self.save_compact is not None:
            write_compact(state, self.save_compact)

    @property
    def uses_discriminators(self) -> bool:
        return self.objective.uses_discriminators

    @property
    def complete(self) -> bool:
        return self.schedule_images is not None and self.images_seen >= self.schedule_images

    # ------------------------------------------------------------------------------------------ steps

    def generator_step(self, real_a: torch.Tensor, real_b: torch.Tensor | None) -> tuple[dict, Seen]:
        """Step 1: the objective's generator losses, one Adam step; returns (losses, what the
        discriminators judge next)."""
        with frozen(*(self.nets[k] for k in self.judge_names)), autocast(self.device, self.precision):
            losses, seen = self.objective.generator_losses(real_a, real_b)
        self.opt_g.zero_grad(set_to_none=True)
        sum(losses.values()).backward()
        self.opt_g.step()
        return losses, seen

    def discriminator_step(self, seen: Seen) -> dict:
        """Step 2: each D on real images and on its pool of generated ones, in one pass, one Adam step."""
        with autocast(self.device, self.precision):
            judges = {k: self.fwd[k] for k in self.judge_names}
            losses = discriminator_losses(judges, self.pools, seen, self.objective.augment, self.config.gan_mode)
        self.opt_d.zero_grad(set_to_none=True)
        sum(losses.values()).backward()
        self.opt_d.step()
        return losses

    def train_step(self) -> dict[str, torch.Tensor]:
        """One iteration of the paper's alternating updates (or of a distillation's); returns the losses as
        0-d tensors on the device (reading one waits for the GPU, so only the log steps do)."""
        real_a, real_b = self.batches.reals(self.images_seen)
        self.objective.augment.at(self.images_seen)
        self.objective.images_seen = self.images_seen
        losses, seen = self.generator_step(real_a, real_b)
        if self.average is not None:
            self.average.update(self.nets)
        if self.uses_discriminators:
            losses |= self.discriminator_step(self.batches.judged(seen, self.images_seen))
        self.step += 1
        self.images_seen += self.images_per_step
        return {k: v.detach() for k, v in losses.items()}

    def warm_up_discriminators(self) -> None:
        """After a compact restart: the discriminators alone, on the images the next steps will see, their
        lr climbing from 0 (`d_ramp`, which `start_schedules` began at 1/total); the generators only translate
        (and the schedule does not move)."""
        total = self.d_warmup
        for k in range(total):
            seen = self.images_seen + k * self.images_per_step
            real_a, real_b = self.batches.reals(seen)
            self.objective.augment.at(seen)
            with autocast(self.device, self.precision):
                pair = self.objective.translate_pair(real_a, real_b)
            self.discriminator_step(self.batches.judged(pair, seen))
            self.d_warmup -= 1
            self.d_ramp = min(1.0, (k + 2) / total)
            self.schedules[1].step()

    def lr_factor(self, generators: bool) -> float:
        """The schedule's share of the learning rate now: 1 for the first half of the schedule's images, then
        linearly to 0; the generators' climbs back after a compact restart, the discriminators' during their
        warm-up."""
        factor = lr_factor(self.images_seen, self.schedule_images) if self.schedule_images else 1.0
        if not generators:
            return factor * self.d_ramp
        return factor * restart_factor(None if self.restarted_at is None else self.step - self.restarted_at,
                                       self.config.restart_lr_ramp)  # fmt: skip

    def start_schedules(self) -> None:
        """The optimisers' learning rates as torch schedulers of `lr_factor`, read afresh at each `step()`
        (after each training step): the schedule is a function of the images seen, not of the step count. A
        distillation has no discriminators to step (nor a schedule for them)."""
        self.schedules = [LambdaLR(self.opt_g, lambda _: self.lr_factor(True))]
        if self.uses_discriminators:
            self.schedules.append(LambdaLR(self.opt_d, lambda _: self.lr_factor(False)))

    # ------------------------------------------------------------------------------------------ loop

    def run(self, until: int | None = None) -> Path:
        """Train to the end of the schedule, the time budget or `stop_after` (or, with `until`, to that many
        images: a part of the schedule); Ctrl-C saves and re-raises."""
        self.runs.append({"started": _now(), "device": describe_device(self.device), "processes": self.dist.world,
                          "images_at_start": self.images_seen, "images": 0, "seconds": 0.0}
                         | ({"amended": self.amended} if self.amended else {}))  # fmt: skip
        report = Report(self)
        try:
            self.d_ramp = 1 / self.d_warmup if self.d_warmup else 1.0
            self.start_schedules()
            if self.d_warmup:
                self.warm_up_discriminators()
            last_save = previous = self.clock()
            while not self.complete and (until is None or self.images_seen < until):
                lr = self.lr * self.lr_factor(True)
                losses = self._step()
                for schedule in self.schedules:
                    schedule.step()
                now = self.clock()
                ending = self._account(now, now - previous)
                previous = now
                report.step(losses, lr, now, final=ending or self.complete)
                if self.dist.main and self.config.sample_every and self.step % self.config.sample_every == 0:
                    self.save_samples()
                if now - last_save >= self.config.save_every:
                    self.save()
                    last_save = now
                if ending:
                    break
            report.finish()
        except KeyboardInterrupt:
            self.save()
            raise
        finally:
            report.close()
        self.save()
        if self.dist.main and self.config.sample_every:
            self.save_samples()
        if self.dist.world > 1:  # all leave together: one leaving while the main process still saved aborted (gloo)
            dist.barrier()
        return self.run_dir

    def _step(self) -> dict[str, torch.Tensor]:
        try:
            return self.train_step()
        except torch.OutOfMemoryError:
            c = self.config
            raise VidganError(f"GPU out of memory at batch size {c.batch_size}, crop {c.crop_size}: lower "
                              f"--batch-size (or --crop-size, --ngf)") from None  # fmt: skip

    def _account(self, now: float, step_seconds: float) -> bool:
        """The clock's bookkeeping after a step: the run's seconds, a budget's fitted schedule. Returns
        whether this run ends here: a budget or `stop_after` is kept, not overrun by a step, so it stops
        where one more step would cross it (a budget's schedule then is what ran)."""
        elapsed = now - self.created
        self.train_seconds = self.seconds_before + elapsed
        run = self.runs[-1]
        run.update(images=self.images_seen - run["images_at_start"], seconds=round(elapsed, 1), ended=_now())
        run["images_per_s"] = round(run["images"] / elapsed, 2) if elapsed else None
        if self.fitter is not None:
            self.schedule_images = self.fitter.update(self.images_seen, elapsed)
            if self.fitter.out_of_time(elapsed + step_seconds):
                self.schedule_images = self.images_seen
                return True
        return self.stop_after is not None and elapsed + step_seconds >= self.stop_after

    def _log_due(self) -> bool:
        """Every `log_every` steps, at the end, and at steps 1, 2, 4, 8, ... before the first, so a short
        run has a curve too."""
        s = self.step
        return s % self.config.log_every == 0 or self.complete or (s < self.config.log_every and s & (s - 1) == 0)

    def save_samples(self) -> None:
        grid = sample_grid(self.nets["G_A"], self.nets["G_B"], self.samples, self.device, self.precision)
        save_grid(grid, self.run_dir, self.step)

    def close(self) -> None:
        """Leave the process group of a torchrun job."""
        if self.dist.world > 1 and dist.is_initialized():
            dist.destroy_process_group()
