"""`vidgan train` and `vidgan distill`: their options are TrainConfig's fields (vidgan/train/config.py, each
with its reason and default), and the session is vidgan.api's."""

from __future__ import annotations

from pathlib import Path

import click

from vidgan.cli.common import (
    FILE,
    FOLDER,
    config_options,
    given,
    parse_time,
    print_outcome,
    show_messages,
    stoppable,
)
from vidgan.train.config import DISTILL_DEFAULTS, TrainConfig

DISTILL_ONLY = {"teacher", "distill_targets", "feature_weight", "adversarial_weight"}
DISTILL_FIELDS = {"generator", "ngf", "n_blocks", "ndf", "n_layers_d", "load_size", "crop_size", "preprocess", "flip",
                  "frames_per_clip", "data_licence", "epochs", "iterations", "images", "time_budget", "batch_size",
                  "lr", "lr_scaling", "beta1", "pool_size", "seed", "device", "precision", "channels_last",
                  "compile", "compile_mode", "runs_dir", "save_every", "log_every", "sample_every", "feature_weight",
                  "adversarial_weight"}  # fmt: skip
TEXT_FORMS = {"time_budget": parse_time}  # fields the command line takes as text: 2h, 90m


@click.command()
@config_options(TrainConfig, skip=DISTILL_ONLY, parsers=TEXT_FORMS)
@click.option("--recipe", type=FILE, help="A TOML recipe (pipelines/*.toml); options given here override it.")
@click.option("--resume", type=FOLDER, help="Continue the run in this folder exactly where it stopped.")
@click.option("--continue", "continue_from", type=FOLDER,
              help="Continue a schedule from a compact state (see --save-compact), with a warm restart; data "
              "folders and speed settings may be given anew.")  # fmt: skip
@click.option("--amend", is_flag=True,
              help="With --continue: the settings given may change what is trained from here on (not the "
              "networks, not the schedule); the state's history of runs records what changed.")  # fmt: skip
@click.option("--init-from", type=click.Path(path_type=Path),
              help="Start a new run from another run's weights (not its optimiser or schedule).")  # fmt: skip
@click.option("--stop-after", callback=parse_time,
              help="End this run after this time (9m), saved; --resume or --continue goes on.")  # fmt: skip
@click.option("--clock", type=click.Choice(["wall", "cpu"]), default="wall", show_default=True,
              help="What --stop-after and --time-budget count: wall time, or this process's CPU time (runs "
              "sharing a busy machine get equal measures of it).")  # fmt: skip
@click.option("--save-compact", type=FOLDER,
              help="At every save, also write a compact state here (int8 generators with cards, discriminators, "
              "progress: about 28 MB for the paper's networks).")  # fmt: skip
@click.option("--no-export", is_flag=True, help="Do not export the generators at the end.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def train(recipe: Path | None, resume: Path | None, continue_from: Path | None, amend: bool, init_from: Path | None,
          stop_after: float | None, clock: str, save_compact: Path | None, no_export: bool, quiet: bool,
          **settings) -> None:  # fmt: skip
    """Train a CycleGAN on two unpaired domains: G (A to B), F (B to A) and their discriminators.

    \b
      vidgan train --a photos/ --b paintings/ --name photo2painting --time-budget 2h
      vidgan train --recipe pipelines/horse2zebra.toml --a data/ --b data/ --stop-after 9m
      vidgan train --resume runs/photo2painting
      vidgan train --continue STATE --a data/ --b data/
      vidgan train --continue STATE --amend --mask-grad-floor 0.05 --a data/ --b data/
      torchrun --standalone --nproc_per_node=4 -m vidgan train ...   (several GPUs)
    The schedule is counted in images, so runs add up: --stop-after ends a run early, --resume goes on
    exactly, --continue goes on from a compact state. Once the speed is known it says what the run will
    reach; a CPU trains the paper's networks 100-1000x slower than a GPU. At the end (and `vidgan export`)
    the generators go to the user folder, so `vidgan translate --model NAME` uses them.
    """
    from vidgan import api
    from vidgan.train.loop import CLOCKS

    stoppable()
    show_messages(quiet)
    print_outcome(api.train(given(settings), recipe, resume, continue_from, init_from, stop_after, CLOCKS[clock],
                            save_compact, not no_export, quiet, amend))  # fmt: skip


@click.command()
@click.argument("teacher", required=False)
@config_options(TrainConfig, only=DISTILL_FIELDS | {"a", "name"}, defaults=DISTILL_DEFAULTS, parsers=TEXT_FORMS)
@click.option("--targets", "distill_targets", type=click.Choice(["cached", "online"]), default=None,
              help="cached: the teacher translates each whole image once; online: every crop at every step "
              "(slower; the feature losses need it).  [default: cached]")  # fmt: skip
@click.option("--resume", type=FOLDER, help="Continue the distillation in this run folder exactly where it stopped.")
@click.option("--stop-after", callback=parse_time, help="End this run after this time (9m), saved; --resume goes on.")
@click.option("--save-compact", type=FOLDER, help="At every save, also write a compact state here.")
@click.option("--no-export", is_flag=True, help="Do not export the generators at the end.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def distill(teacher: str, resume: Path | None, stop_after: float | None, save_compact: Path | None, no_export: bool,
            quiet: bool, **settings) -> None:  # fmt: skip
    """Train a small, fast generator to reproduce TEACHER (any --model: a name, official:NAME, a file) on
    images of its input domain (--a), and a second one to invert it (GAN Compression's distillation).

    \b
      vidgan distill horse2zebra --a ../shared/data/horse2zebra --name horse2zebra-fast --time-budget 1h
      vidgan distill --resume runs/horse2zebra-fast
      vidgan train --init-from runs/horse2zebra-fast --a A --b B --generator mobile ...   (then a CycleGAN)
    The student is the mobile generator (depthwise-separable blocks, resize-convolution upsampling); its
    card names its teacher. The run is a training run like `vidgan train`'s: the schedule in images, resumable,
    exported at the end to the user folder (NAME, and the inverse under the reverse name).
    """
    from vidgan import api

    stoppable()
    show_messages(quiet)
    print_outcome(api.distill(teacher, given(settings), resume, stop_after, save_compact, not no_export, quiet))
