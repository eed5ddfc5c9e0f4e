"""The `vidgan` command. Each command's docstring is its --help; the work happens in the library."""

from __future__ import annotations

import functools
import shutil
import signal
import sys
from pathlib import Path

import click

from vidgan.errors import VidganError
from vidgan.pipeline.options import parse_working_size
from vidgan.runtime import DEVICES, PRECISIONS
from vidgan.temporal import DEFAULT_STRENGTH, MODES, SmoothingConfig
from vidgan.units import parse_bytes, parse_seconds
from vidgan.upsample import DEFAULT_METHOD, METHODS
from vidgan.video.formats import ENCODERS, EncodeSettings


def _friendly(fn):
    """Run a command so that a user's mistake prints one line and exits 1, Ctrl-C exits 130, and any
    other failure prints one line too unless --debug asks for the traceback."""

    @functools.wraps(fn)
    def wrapper(*args, debug: bool = False, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `vidgan models | head`: the reader left, nothing to report
            sys.stderr.close()
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("\ninterrupted: no partial output was left behind", err=True)
            sys.exit(130)
        except VidganError as e:
            if debug:
                raise
            raise click.ClickException(str(e)) from None
        except Exception as e:
            if debug:
                raise
            raise click.ClickException(f"{type(e).__name__}: {e} (run with --debug for the traceback)") from None

    return click.option("--debug", is_flag=True, help="Show the full traceback on errors.")(wrapper)


def _parse_size(ctx, param, value: str) -> int | None:
    try:
        return parse_working_size(value)
    except VidganError as e:
        raise click.BadParameter(str(e)) from None


def _parse_time(ctx, param, value: str | None) -> float | None:
    try:
        return parse_seconds(value) if value is not None else None
    except VidganError as e:
        raise click.BadParameter(str(e)) from None


# Path types and options several commands share, declared once.
_FOLDER = click.Path(file_okay=False, path_type=Path)
_FILE = click.Path(dir_okay=False, path_type=Path)
_device_option = click.option(
    "--device",
    type=click.Choice(DEVICES),
    default="auto",
    show_default=True,
    help="Where the generator runs; auto picks CUDA, then MPS, then the CPU.",
)
_batch_size_option = click.option(
    "--batch-size",
    type=click.IntRange(1),
    default=None,
    help="Frames per generator call. Default: 8 on CUDA, 1 on the CPU.",
)
_smooth_strength_option = click.option(
    "--smooth-strength",
    type=click.FloatRange(0, 1),
    default=DEFAULT_STRENGTH,
    show_default=True,
    help="How much of the neighbouring frames to take in where the flow is reliable: 0 none, 1 the most "
    "(flow: the previous output weighs 2S and the next frame S against the frame's own 1; ema: the previous "
    "output's share).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vidgan")
def main() -> None:
    """Translate videos from one visual domain to another with CycleGAN (horse to zebra, summer to
    winter, photo to painting), keeping the original timestamps and sound."""


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Output file (or folder, for a folder INPUT). Default: INPUT_MODEL.EXT in the current folder "
    "(INPUT_MODEL beside a folder INPUT, its files named NAME_MODEL.EXT as single files are).",
)
@click.option(
    "-m",
    "--model",
    default="horse2zebra",
    show_default=True,
    help="A model name (see `vidgan models`), official:NAME, or a .safetensors/.pth file.",
)
@click.option("-r", "--recursive", is_flag=True, help="With a folder INPUT, include its subfolders.")
@_device_option
@click.option(
    "--precision",
    type=click.Choice(PRECISIONS),
    default="auto",
    show_default=True,
    help="Arithmetic of the generator; auto is bf16 on CUDA and on CPUs with bf16 hardware, else fp32.",
)
@_batch_size_option
@click.option(
    "--compile",
    "compile_",
    is_flag=True,
    help="torch.compile the generator for the clip's frame size (worth it for long clips on a GPU).",
)
@click.option(
    "--backend",
    type=click.Choice(["torch", "onnxruntime"]),
    default="torch",
    show_default=True,
    help="What runs the generator: torch, or onnxruntime on the CPU (pip install 'vidgan[onnx]'; faster there, "
    "see docs/benchmarks.md).",
)
@click.option(
    "--size",
    default="256",
    show_default=True,
    callback=_parse_size,
    help="Working resolution: the short side in pixels (the models were trained at 256), or 'native'.",
)
@click.option(
    "--output-size",
    type=click.Choice(["input", "working"]),
    default="input",
    show_default=True,
    help="input: scale the result back to the input's size; working: keep the working resolution.",
)
@click.option(
    "--upsample",
    type=click.Choice(METHODS),
    default=DEFAULT_METHOD,
    show_default=True,
    help="How the result reaches an output larger than the working size: detail (the input's fine detail "
    "where the translation left the content alone), guided (a guided filter), resize (plain bicubic).",
)
@click.option(
    "--codec", type=click.Choice(list(ENCODERS)), default=None, help="Video codec. Default: h264 (vp9 for .webm)."
)
@click.option(
    "--crf",
    type=click.FloatRange(0, 63),
    default=None,
    help="Constant quality, lower is better (defaults: h264 21.5, hevc 28, vp9 32, av1 35).",
)
@click.option(
    "--preset",
    default=None,
    help="Encoder speed: x264/x265 names (ultrafast..veryslow; default veryfast for h264, medium for hevc); "
    "vp9 cpu-used 0-8 (default 4); av1 0-13 (default 8).",
)
@click.option(
    "--smooth",
    type=click.Choice(MODES),
    default="none",
    show_default=True,
    help="Temporal smoothing against flicker: flow (optical flow, keeps motion sharp) or ema (still shots).",
)
@_smooth_strength_option
@click.option("--compare", is_flag=True, help="Write input and output side by side.")
@click.option(
    "--start", default=None, callback=_parse_time, help="Start this far into the clip: seconds (12.5) or [h:]m:s."
)
@click.option("--duration", default=None, callback=_parse_time, help="Translate only this long: seconds or [h:]m:s.")
@click.option("--overwrite", is_flag=True, help="Replace outputs that exist.")
@click.option(
    "--keep-partial",
    is_flag=True,
    help="An input that is cut short or breaks: keep the output up to the break, with its sound (the exit "
    "status still says so).",
)
@click.option(
    "--segment",
    default=None,
    callback=_parse_time,
    help="Translate each clip in segments of about this long (60s, 1:30), cut at keyframes and joined at the "
    "end: a rerun resumes at the first missing segment.",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Run as Ray tasks, one per clip or segment: alone, on a Ray instance started on this machine; auto "
    "or ray://HEAD:10001, on a running cluster, whose workers must see the output path "
    "(pip install 'vidgan[ray]'). Clips over 5 minutes go in 60 s segments unless --segment says otherwise.",
)
@click.option("--ray-gpus", type=click.FloatRange(0), default=None,
              help="GPUs per Ray task.  [default: 1 where the cluster has GPUs, else 0]")  # fmt: skip
@click.option("--ray-cpus", type=click.FloatRange(0, min_open=True), default=1.0, show_default=True,
              help="CPUs per Ray task (on a CPU, the torch threads it uses).")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or notices; errors still print.")
@_friendly
def translate(input_path: Path, output: Path | None, model: str, recursive: bool, device: str, precision: str,
              batch_size: int, compile_: bool, backend: str, size: int | None, output_size: str, upsample: str,
              codec: str | None,
              crf: float | None, preset: str | None, smooth: str, smooth_strength: float, compare: bool,
              start: float | None, duration: float | None, overwrite: bool, keep_partial: bool,
              segment: float | None, ray_address: str | None, ray_gpus: float | None, ray_cpus: float,
              quiet: bool) -> None:  # fmt: skip
    """Translate a video, an image, or every video and image in a folder.

    \b
      vidgan translate horse.mp4 --model horse2zebra
      vidgan translate clips/ -o zebras/ -r
      vidgan translate clips/ -o zebras/ -r --ray          # as Ray tasks
    In a folder, outputs that exist are skipped (a rerun resumes) and a broken clip does not stop the
    others; the exit status is non-zero if any clip failed.

    On a CPU the paper's generator takes seconds per frame (the estimate is printed up front): a GPU,
    a smaller --size, or a part of the clip (--start/--duration) is much faster.
    """
    from vidgan.api import translate as run
    from vidgan.pipeline.options import TranslateOptions

    options = TranslateOptions(
        size=size, output_size=output_size, upsample=upsample, batch_size=batch_size, device=device, compile=compile_,
        backend=backend,
        precision=precision, encode=EncodeSettings(codec, crf, preset), compare=compare,
        smooth=SmoothingConfig(smooth, smooth_strength),
        start=start, duration=duration, overwrite=overwrite, keep_partial=keep_partial, segment=segment, quiet=quiet,
    )  # fmt: skip
    ray = None
    if ray_address is not None:
        from vidgan.cluster import RayOptions

        ray = RayOptions(ray_address, ray_gpus, ray_cpus)
    results = run(input_path, output, model, options, recursive, ray)
    if input_path.is_dir():  # notices were written as each file finished
        failed = [r for r in results if r.error or r.partial]
        if failed or not quiet:  # quiet: errors only
            _print_table(results, input_path, err=quiet)
        if failed:
            raise click.ClickException(f"{len(failed)} of {len(results)} files failed or are partial")
        return
    r = results[0]
    for notice in r.notices if not quiet else ():
        click.echo(f"note: {r.src.name}: {notice}", err=True)
    frames = f"{r.frames} frame{'s' * (r.frames != 1)}"
    if r.partial:
        raise click.ClickException(f"kept a partial output, {r.dst} ({frames}): {r.partial}")
    if not quiet:
        click.echo(f"wrote {r.dst} ({frames} in {r.seconds:.1f} s, {r.fps:.1f} frames/s)")


def _status(r) -> str:
    return "skipped (exists)" if r.skipped else "failed" if r.error else "partial" if r.partial else "ok"


def _print_table(results, folder: Path, err: bool = False) -> None:
    """One row per file (named within `folder`: sub/b.mp4), cut to the terminal's width; the reasons for
    failures below the table, in full (`err`: all of it to stderr)."""
    echo = functools.partial(click.echo, err=err)
    rows = [("file", "status", "frames", "frames/s")]
    rows += [(str(r.src.relative_to(folder)), _status(r), f"{r.frames}" if r.frames else "",
              f"{r.fps:.1f}" if r.frames else "") for r in results]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    room = shutil.get_terminal_size().columns - sum(widths[1:]) - 6  # what the file column may take
    widths[0] = max(8, min(widths[0], room))
    for row in rows:
        name = row[0] if len(row[0]) <= widths[0] else "..." + row[0][-(widths[0] - 3) :]
        echo("  ".join(cell.ljust(w) for cell, w in zip((name, *row[1:]), widths)).rstrip())
    for r in results:
        reason = r.error or r.partial
        if reason:
            echo(reason if str(r.src) in reason else f"{r.src}: {reason}")
    counts = {status: sum(_status(r) == status for r in results) for status in ("ok", "skipped (exists)", "failed",
                                                                                    "partial")}  # fmt: skip
    echo(f"{counts['ok']} translated, {counts['skipped (exists)']} skipped, {counts['failed']} failed"
               + (f", {counts['partial']} partial" if counts["partial"] else ""))  # fmt: skip


@main.command()
@_friendly
def models() -> None:
    """List the models --model accepts: shipped ones, those in the user folder, and the official names."""
    from vidgan.models import list_models
    from vidgan.runtime import user_dir

    rows = list_models()
    width = max(len(name) for name, _, _ in rows)
    for name, where, description in rows:
        click.echo(f"{name.ljust(width)}  {where:8}  {description}")
    click.echo(f"\nuser folder: {user_dir()} (put NAME.safetensors there to use --model NAME)")


# `vidgan train` options: (flag, TrainConfig field, click type, help). Each overrides the recipe's value
# (and the recipe the paper's defaults) only when given.
_TRAIN_OPTIONS = [
    ("--a", "a", click.Path(), "Domain A: a folder of images or video clips (or the dataset root holding trainA)."),
    ("--b", "b", click.Path(), "Domain B: a folder of images or video clips (or the dataset root holding trainB)."),
    ("--name", "name", str, "Run and model name; export writes NAME (A to B) and its reverse (x2y -> y2x)."),
    ("--runs-dir", "runs_dir", click.Path(), "Folder of runs; this run lives in RUNS_DIR/NAME.  [default: runs]"),
    ("--epochs", "epochs", float, "Schedule length in epochs (half constant, half linear decay).  [default: 200]"),
    ("--iterations", "iterations", click.IntRange(1), "Schedule length in iterations (overrides --epochs)."),
    ("--images", "images", click.IntRange(1), "Schedule length in images per side (overrides both)."),
    ("--time-budget", "time_budget", str, "Fit the whole schedule, decay included, into this wall time (9m, 1h)."),
    ("--batch-size", "batch_size", click.IntRange(1), "Images per side per iteration and process.  [default: 1]"),
    ("--lr", "lr", float, "Adam learning rate at batch 1.  [default: 0.0002]"),
    ("--lr-scaling", "lr_scaling", click.Choice(["sqrt", "linear", "none"]),
     "How the lr grows with the images per step.  [default: sqrt]"),
    ("--beta1", "beta1", float, "Adam beta1.  [default: 0.5]"),
    ("--lambda-cycle", "lambda_cycle", float, "Weight of the cycle-consistency loss.  [default: 10]"),
    ("--identity", "identity", float, "Identity-loss weight relative to lambda; 0 turns it off.  [default: 0.5]"),
    ("--gan-mode", "gan_mode", click.Choice(["lsgan", "vanilla"]), "Adversarial loss.  [default: lsgan]"),
    ("--pool-size", "pool_size", click.IntRange(0), "Generated images the discriminators remember.  [default: 50]"),
    ("--generator", "generator", click.Choice(["resnet", "mobile"]),
     "Generator family: resnet (the paper's) or mobile (separable blocks, no checkerboard, ~13x fewer "
     "multiply-adds).  [default: resnet]"),
    ("--mask/--no-mask", "mask", bool,
     "Masked generators: a mask head beside the content, the output m * content + (1 - m) * input, so only "
     "what the mask selects changes; trained on the composites with priors on the masks.  [default: no-mask]"),
    ("--mask-area", "mask_area", click.FloatRange(0), "Weight of the masks' mean (area prior).  [default: 0.05]"),
    ("--mask-tv", "mask_tv", click.FloatRange(0), "Weight of the masks' total variation.  [default: 0]"),
    ("--d-on-mask/--no-d-on-mask", "d_on_mask", bool,
     "The discriminators judge only what the masks select.  [default: no-d-on-mask]"),
    ("--diffaugment", "diffaugment", str,
     "DiffAugment on everything the discriminators see: a list of color, translation, cutout "
     "(\"color,translation,cutout\": the paper's).  [default: none]"),
    ("--ngf", "ngf", click.IntRange(1), "Generator filters in the first layer.  [default: 64]"),
    ("--n-blocks", "n_blocks", click.IntRange(1), "Generator residual blocks (9 at 256 px, 6 at 128).  [default: 9]"),
    ("--ndf", "ndf", click.IntRange(1), "Discriminator filters in the first layer.  [default: 64]"),
    ("--n-layers-d", "n_layers_d", click.IntRange(1), "PatchGAN layers; 3 sees 70x70 patches.  [default: 3]"),
    ("--load-size", "load_size", click.IntRange(4), "Resize images to this square first.  [default: 286]"),
    ("--crop-size", "crop_size", click.IntRange(4), "Then random-crop this square.  [default: 256]"),
    ("--preprocess", "preprocess", click.Choice(["resize_and_crop", "crop", "resize"]),
     "resize_and_crop, crop (no resize) or resize (to the crop size).  [default: resize_and_crop]"),
    ("--flip/--no-flip", "flip", bool, "Random horizontal flips.  [default: flip]"),
    ("--frames-per-clip", "frames_per_clip", click.IntRange(1), "Frames taken from each video clip.  [default: 32]"),
    ("--data-licence", "data_licence", str, "The data's licence, copied into the model cards."),
    ("--ema", "ema", click.FloatRange(0, 1, max_open=True),
     "Export a moving average of the generators' weights with this decay per step (0.999: about the last "
     "1,000 steps); 0 exports the last step's.  [default: 0]"),
    ("--seed", "seed", int, "Seed of networks, data order, augmentation and pools.  [default: 0]"),
    ("--device", "device", click.Choice(["auto", "cpu", "cuda"]), "Where to train.  [default: auto]"),
    ("--precision", "precision", click.Choice(["auto", "fp32", "bf16"]),
     "auto is bf16 on CUDA and on CPUs with bf16 hardware.  [default: auto]"),
    ("--channels-last/--no-channels-last", "channels_last", bool, "NHWC layout on CUDA.  [default: on]"),
    ("--compile/--no-compile", "compile", bool, "torch.compile the networks.  [default: off]"),
    ("--compile-mode", "compile_mode", click.Choice(["default", "reduce-overhead", "max-autotune"]),
     "torch.compile's mode; reduce-overhead captures CUDA graphs.  [default: default]"),
    ("--save-every", "save_every", float, "Seconds between resumable checkpoints.  [default: 600]"),
    ("--log-every", "log_every", click.IntRange(1), "Iterations between log lines (and 1, 2, 4...).  [default: 100]"),
    ("--sample-every", "sample_every", click.IntRange(0), "Iterations between sample grids; 0: none.  [default: 1000]"),
]  # fmt: skip


def _train_options(fn, only: set[str] | None = None, defaults: dict | None = None):
    """The training options (those of `only`, if given); `defaults` rewrites the help's defaults."""
    for flag, field_name, kind, text in reversed(_TRAIN_OPTIONS):
        if only is not None and field_name not in only:
            continue
        if defaults and field_name in defaults:
            text = text.rsplit("  [default:", 1)[0] + f"  [default: {defaults[field_name]}]"
        if kind is bool:
            fn = click.option(flag, field_name, default=None, help=text)(fn)
        else:
            fn = click.option(flag, field_name, type=kind, default=None, help=text)(fn)
    return fn


@main.command()
@_train_options
@click.option(
    "--recipe",
    type=_FILE,
    help="A TOML recipe (pipelines/*.toml); options given here override it.",
)
@click.option(
    "--resume",
    type=_FOLDER,
    help="Continue the run in this folder exactly where it stopped.",
)
@click.option(
    "--continue",
    "continue_from",
    type=_FOLDER,
    help="Continue a schedule from a compact state (see --save-compact), with a warm restart; data folders "
    "and speed settings may be given anew.",
)
@click.option(
    "--init-from",
    type=click.Path(path_type=Path),
    help="Start a new run from another run's weights (not its optimiser or schedule).",
)
@click.option("--stop-after", help="End this run after this wall time (9m), saved; --resume or --continue goes on.")
@click.option("--clock", type=click.Choice(["wall", "cpu"]), default="wall", show_default=True,
              help="What --stop-after and --time-budget count: wall time, or this process's CPU time (runs "
              "sharing a busy machine get equal measures of it).")  # fmt: skip
@click.option(
    "--save-compact",
    type=_FOLDER,
    help="At every save, also write a compact state here (int8 generators with cards, discriminators, "
    "progress: about 28 MB for the paper's networks).",
)
@click.option("--no-export", is_flag=True, help="Do not export the generators at the end.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@_friendly
def train(recipe: Path | None, resume: Path | None, continue_from: Path | None, init_from: Path | None,
          stop_after: str | None, clock: str, save_compact: Path | None, no_export: bool, quiet: bool,
          **settings) -> None:  # fmt: skip
    """Train a CycleGAN on two unpaired domains: G (A to B), F (B to A) and their discriminators.

    \b
      vidgan train --a photos/ --b paintings/ --name photo2painting --time-budget 2h
      vidgan train --recipe pipelines/horse2zebra.toml --a data/ --b data/ --stop-after 9m
      vidgan train --resume runs/photo2painting
      vidgan train --continue STATE --a data/ --b data/
      torchrun --standalone --nproc_per_node=4 -m vidgan train ...   (several GPUs)
    The schedule is counted in images, so runs add up: --stop-after ends a run early, --resume goes on
    exactly, --continue goes on from a compact state. Once the speed is known it says what the run will
    reach; a CPU trains the paper's networks 100-1000x slower than a GPU. At the end (and `vidgan export`)
    the generators go to the user folder, so `vidgan translate --model NAME` uses them.
    """
    from vidgan.train.config import TrainConfig, load_recipe
    from vidgan.train.loop import CLOCKS, open_run

    _stoppable()
    values = load_recipe(recipe) if recipe else {}
    given = {k: v for k, v in settings.items() if v is not None}
    if "time_budget" in given:
        given["time_budget"] = parse_seconds(given["time_budget"])
    if any(k in given for k in ("epochs", "iterations", "images", "time_budget")):
        # a schedule given here replaces the recipe's
        values.update(epochs=None, iterations=None, images=None, time_budget=None)
    values.update(given)
    if resume is not None and (values or continue_from):
        raise click.UsageError("--resume continues a run with its own settings: give no other settings")
    if continue_from is not None and (recipe or set(given) - _CONTINUE_OVERRIDES):
        allowed = ", ".join(sorted("--" + k.replace("_", "-") for k in _CONTINUE_OVERRIDES))
        raise click.UsageError(f"--continue keeps the state's recipe; of the settings it takes only {allowed}")
    seconds = parse_seconds(stop_after) if stop_after else None
    config = None if resume or continue_from else TrainConfig.from_dict(values)
    trainer = open_run(config, resume, init_from, quiet, seconds, continue_from, given if continue_from else None,
                       CLOCKS[clock])  # fmt: skip
    _run_training(trainer, save_compact, no_export)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _stoppable() -> None:
    """SIGINT and SIGTERM stop a training run as Ctrl-C does (it saves), also one started in the background,
    where a shell leaves SIGINT ignored: pipelines/cpu-run.sh stops its run so."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)


def _run_training(trainer, save_compact: Path | None, no_export: bool) -> None:
    """Train an opened run to its end (or its --stop-after), report, and export its generators."""
    from vidgan.train.export import export_run

    if trainer.complete:
        trainer.close()
        raise VidganError(f"{trainer.run_dir} is complete ({trainer.images_seen:,} of {trainer.schedule_images:,} "
                          f"images): nothing to train; `vidgan export {trainer.run_dir}` writes its "
                          f"generators")  # fmt: skip
    trainer.save_compact = save_compact
    try:
        run_dir = trainer.run()
    except KeyboardInterrupt:
        if trainer.dist.main:
            click.echo(f"\ninterrupted: run saved after {trainer.images_seen:,} images; continue with "
                       f"`vidgan train --resume {trainer.run_dir}`", err=True)  # fmt: skip
        sys.exit(130)
    finally:
        trainer.close()
    if trainer.dist.main:
        where = "complete" if trainer.complete else f"continue with `vidgan train --resume {run_dir}`"
        total = trainer.schedule_images or trainer.images_seen
        click.echo(f"trained to {trainer.images_seen:,} of {total:,} images ({trainer.step} iterations, "
                   f"{trainer.train_seconds:.0f} s in all): {run_dir}, {where}")  # fmt: skip
        if not no_export:
            for path in export_run(run_dir):
                click.echo(f"exported {path}")


_DISTILL_FIELDS = {"generator", "ngf", "n_blocks", "ndf", "n_layers_d", "load_size", "crop_size", "preprocess", "flip",
                   "frames_per_clip", "data_licence", "epochs", "iterations", "images", "time_budget", "batch_size",
                   "lr", "lr_scaling", "beta1", "pool_size", "seed", "device", "precision", "channels_last",
                   "compile", "compile_mode", "runs_dir", "save_every", "log_every", "sample_every"}  # fmt: skip


def _distill_options(fn):
    from vidgan.train.config import DISTILL_DEFAULTS

    return _train_options(fn, _DISTILL_FIELDS, DISTILL_DEFAULTS)


@main.command()
@click.argument("teacher", required=False)
@click.option("--a", "a", type=click.Path(), help="The teacher's input domain: a folder of images or clips (or the "
              "dataset root holding trainA).")  # fmt: skip
@click.option("--name", help="Run and model name: NAME is the student, its reverse (x2y-fast -> y2x-fast) the inverse.")
@_distill_options
@click.option("--targets", "distill_targets", type=click.Choice(["cached", "online"]), default=None,
              help="cached: the teacher translates each whole image once; online: every crop at every step "
              "(slower; the feature losses need it).  [default: cached]")  # fmt: skip
@click.option("--feature-weight", type=click.FloatRange(0), default=None,
              help="Weight of the feature losses (inner activations matched through learned 1x1 convolutions; "
              "needs --targets online).  [default: 0]")  # fmt: skip
@click.option(
    "--adversarial-weight",
    type=click.FloatRange(0),
    default=None,
    help="Weight of an LSGAN term against discriminators of --ndf filters; 0: none.  [default: 0]",
)
@click.option("--resume", type=_FOLDER, help="Continue the distillation in this run folder exactly where it stopped.")
@click.option("--stop-after", help="End this run after this wall time (9m), saved; --resume goes on.")
@click.option("--save-compact", type=_FOLDER, help="At every save, also write a compact state here.")
@click.option("--no-export", is_flag=True, help="Do not export the generators at the end.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@_friendly
def distill(teacher: str, resume: Path | None, stop_after: str | None, save_compact: Path | None, no_export: bool,
            quiet: bool, **settings) -> None:  # fmt: skip
    """Train a small, fast generator to reproduce TEACHER (any --model: a name, official:NAME, a file) on
    images of its input domain, and a second one to invert it (GAN Compression's distillation).

    \b
      vidgan distill horse2zebra --a ../shared/data/horse2zebra --name horse2zebra-fast --time-budget 1h
      vidgan distill --resume runs/horse2zebra-fast
      vidgan train --init-from runs/horse2zebra-fast --a A --b B --generator mobile ...   (then a CycleGAN)
    The student is the mobile generator (depthwise-separable blocks, resize-convolution upsampling); its
    card names its teacher. The run is a training run like `vidgan train`'s: the schedule in images, resumable,
    exported at the end to the user folder (NAME, and the inverse under the reverse name).
    """
    from vidgan.train.config import DISTILL_DEFAULTS, TrainConfig
    from vidgan.train.loop import open_run

    _stoppable()
    given = {k: v for k, v in settings.items() if v is not None}
    seconds = parse_seconds(stop_after) if stop_after else None
    if resume is not None:
        if given or teacher:
            raise click.UsageError("--resume continues a run with its own teacher and settings: give no others")
        trainer = open_run(None, resume, quiet=quiet, stop_after=seconds)
    else:
        if not teacher or not given.get("a") or not given.get("name"):
            raise click.UsageError(
                "give the teacher, its domain and the student's name: TEACHER --a FOLDER --name NAME"
            )
        if "time_budget" in given:
            given["time_budget"] = parse_seconds(given["time_budget"])
        values = dict(DISTILL_DEFAULTS)
        if any(k in given for k in ("epochs", "iterations", "images", "time_budget")):
            values.update(epochs=None, iterations=None, images=None, time_budget=None)
        trainer = open_run(TrainConfig.from_dict(values | given | {"teacher": teacher}), quiet=quiet,
                           stop_after=seconds)  # fmt: skip
    _run_training(trainer, save_compact, no_export)


# What --continue may set anew: where the data are and how fast to train, not what is trained (a weight
# average of what is trained may begin at any point).
_CONTINUE_OVERRIDES = {"a", "b", "runs_dir", "device", "precision", "channels_last", "compile", "compile_mode",
                       "batch_size", "save_every", "log_every", "sample_every", "ema"}  # fmt: skip


@main.command()
@click.argument("source")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="A run's generators: the folder to write to (default: the user folder, where --model NAME looks). "
    "A model: the file to write (required).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["safetensors", "onnx"]),
    default="safetensors",
    show_default=True,
    help="safetensors (vidgan's checkpoint with its card) or onnx (for onnxruntime and other runtimes: "
    "dynamic height and width, input and output in [-1, 1], the card in its metadata).",
)
@click.option(
    "--precision",
    type=click.Choice(["fp16", "fp32", "int8"]),
    default="fp16",
    show_default=True,
    help="safetensors weights' format; int8 is per-channel quantised and refused if it strays over 38 dB "
    "PSNR from fp16.",
)
@click.option("--max-shard-size", default=None, help="Split safetensors files larger than this (e.g. 10MB).")
@click.option(
    "--compact",
    is_flag=True,
    help="Write a run's compact training state instead (int8 generators with cards, discriminators, progress), "
    "which `vidgan train --continue` goes on from; -o is then required.",
)
@_friendly
def export(source: str, output: Path | None, fmt: str, precision: str, max_shard_size: str | None,
           compact: bool) -> None:  # fmt: skip
    """Write a generator in another form: SOURCE is a training run's folder (both its generators, A to B
    and B to A) or anything --model accepts (a name, official:NAME, a file).

    \b
      vidgan export runs/photo2painting --precision int8
      vidgan export horse2zebra-fast --format onnx -o h2z.onnx
      vidgan export official:horse2zebra -o h2z.safetensors --precision int8
    """
    from vidgan.train.export import export_model, export_run, load_run_state
    from vidgan.train.state import write_compact

    shard = parse_bytes(max_shard_size) if max_shard_size else None
    run = Path(source).is_dir() and (Path(source) / "state.pt").is_file()
    if compact:
        if not run:
            raise click.UsageError("--compact writes a training run's state: give a run folder")
        if output is None:
            raise click.UsageError("--compact needs -o FOLDER")
        paths = write_compact(load_run_state(source), output)
    elif run:
        paths = export_run(source, output, precision, shard, fmt)
    else:
        if Path(source).is_dir():
            raise VidganError(f"{source} is not a training run (no state.pt)")
        if output is None:
            raise click.UsageError(f"give the file to write: -o NAME.{'onnx' if fmt == 'onnx' else 'safetensors'}")
        paths = [export_model(source, output, fmt, precision, shard)]
    for path in paths:
        click.echo(f"exported {path}")


@main.command()
@click.argument("folder", type=_FOLDER)
@click.option("-o", "--output", type=_FILE, required=True, help="The zip to write (e.g. horse2zebra.zip).")
@click.option("--format", "fmt", type=click.Choice(["webp", "jpeg"]), default="webp", show_default=True)
@click.option("--quality", type=click.IntRange(1, 100), default=60, show_default=True, help="Encoder quality.")
@_friendly
def pack(folder: Path, output: Path, fmt: str, quality: int) -> None:
    """Pack every image under FOLDER into one small zip, to carry training data to another machine
    (horse2zebra: 107 MB of JPEGs in 28.5 MiB at 31.4 dB). Unpack it with `python -m zipfile -e FILE DIR`."""
    from vidgan.train.pack import pack as run

    run(folder, output, fmt, quality, log=click.echo)


@main.command("train-judge")
@click.option(
    "--a",
    "a_dir",
    required=True,
    type=_FOLDER,
    help="Training images of domain A (a dataset root with trainA/testA works too).",
)
@click.option(
    "--b",
    "b_dir",
    required=True,
    type=_FOLDER,
    help="Training images of domain B (or the dataset root).",
)
@click.option("--test-a", type=_FOLDER, help="Held-out A images (default: testA).")
@click.option("--test-b", type=_FOLDER, help="Held-out B images (default: testB).")
@click.option("--name", required=True, help="Judge name, e.g. horse-vs-zebra.")
@click.option(
    "-o",
    "--output",
    type=_FOLDER,
    help="Folder to write NAME.safetensors and NAME.json to. Default: the user folder.",
)
@click.option(
    "--epochs", type=click.IntRange(1), default=14, show_default=True, help="Passes over the training images."
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--grey", is_flag=True, help="Colour-blind: the judge sees luma only (and random brightness and "
              "contrast while it learns), so a recoloured scene cannot pass for the other domain.")  # fmt: skip
@_friendly
def train_judge(a_dir: Path, b_dir: Path, test_a: Path | None, test_b: Path | None, name: str, output: Path | None,
                epochs: int, seed: int, grey: bool) -> None:  # fmt: skip
    """Train the judge: a small A-vs-B classifier used by `vidgan eval` (no downloads needed)."""
    from vidgan.judge import JudgeConfig
    from vidgan.judge import train_judge as train
    from vidgan.runtime import user_dir

    def split(root: Path, side: str, kind: str) -> Path:
        return root / f"{kind}{side}" if (root / f"{kind}{side}").is_dir() else root

    if test_a is None or test_b is None:
        if not ((a_dir / "testA").is_dir() and (b_dir / "testB").is_dir()):
            raise click.UsageError("give --test-a and --test-b (held-out images), or dataset roots with testA/testB")
        test_a, test_b = a_dir / "testA", b_dir / "testB"
    path = train(split(a_dir, "A", "train"), split(b_dir, "B", "train"), test_a, test_b, name, output or user_dir(),
                 JudgeConfig(epochs=epochs, seed=seed, grey=grey), log=lambda m: click.echo(m, err=True))  # fmt: skip
    click.echo(f"wrote {path}")


@main.command("eval")
@click.option("-m", "--model", required=True, help="The model to evaluate (as for translate).")
@click.option(
    "--a",
    "a_dir",
    required=True,
    type=_FOLDER,
    help="Source-domain test images (testA for an A->B model).",
)
@click.option("--b", "b_dir", required=True, type=_FOLDER, help="Target-domain test images.")
@click.option("--judge", default="horse-vs-zebra", show_default=True, help="Judge name or file (see train-judge).")
@click.option(
    "--blind-judge",
    help="A colour-blind judge of the pair (train-judge --grey): its score, and the "
    "animal's detail where it sees the animal.  [default: the judge's name + -grey, where it exists]",
)
@click.option("--reverse", help="The reverse model, for cycle reconstruction figures.")
@click.option(
    "--inception",
    type=_FILE,
    help="pytorch-fid's InceptionV3 weights file (pt_inception-2015-12-05-6726825d.pth): adds standard FID.",
)
@click.option(
    "-o",
    "--output",
    type=_FOLDER,
    default=Path("eval"),
    show_default=True,
    help="Folder for eval.json, eval.md and contact_sheet.png.",
)
@_device_option
@click.option("--limit", type=click.IntRange(2), help="Use only the first N images of each folder.")
@_friendly
def eval_command(model: str, a_dir: Path, b_dir: Path, judge: str, blind_judge: str | None, reverse: str | None,
                 inception: Path | None, output: Path, device: str, limit: int | None) -> None:  # fmt: skip
    """Measure a model's translations offline: judge scores (colour and colour-blind), judge-FID/KID (with
    ceiling and floor), the background shift, cycle error, and standard FID where the Inception weights
    are at hand."""
    from vidgan.metrics.quality import evaluate, markdown
    from vidgan.models import find_named

    if blind_judge is None and find_named(f"{judge}-grey"):
        blind_judge = f"{judge}-grey"
    report = evaluate(model, a_dir, b_dir, judge, reverse, inception, output, device, limit, blind_judge)
    click.echo(markdown(report))
    click.echo(f"wrote {output / 'eval.json'}, {output / 'eval.md'}, {output / 'contact_sheet.png'}")


@main.group()
def metrics() -> None:
    """Measure translated videos."""


@metrics.command("temporal")
@click.argument("input_path", metavar="INPUT", type=_FILE)
@click.argument("output_path", metavar="OUTPUT", type=_FILE)
@click.option(
    "--reference",
    type=_FILE,
    help="The per-frame (unsmoothed) output: adds PSNR and SSIM of OUTPUT to it.",
)
@click.option(
    "--flow",
    "methods",
    type=click.Choice(["dis", "farneback", "both"]),
    default="both",
    show_default=True,
    help="Optical flow used to warp the previous frame.",
)
@click.option("--json", "json_path", type=_FILE, help="Also write the figures here.")
@click.option("--start", default=None, callback=_parse_time, help="OUTPUT was translated from INPUT from here on "
              "(as translate's --start).")  # fmt: skip
@click.option("--duration", default=None, callback=_parse_time, help="... and this long (as translate's --duration).")
@_friendly
def metrics_temporal(input_path: Path, output_path: Path, reference: Path | None, methods: str,
                     json_path: Path | None, start: float | None, duration: float | None) -> None:  # fmt: skip
    """Warping error of OUTPUT (translated from INPUT): flicker between consecutive frames after following
    the input's motion (Lai et al. 2018; lower is steadier), in [0, 1] pixel units squared. Frames are paired
    by their times; an output of part of the clip needs the --start/--duration it was made with, and frames
    that do not line up are refused, never scored."""
    import json

    from vidgan.atomic import write_text
    from vidgan.metrics.temporal import temporal_report

    chosen = ("dis", "farneback") if methods == "both" else (methods,)
    report = temporal_report(input_path, output_path, reference, chosen, start, duration)
    for method, value in report["warping_error"].items():
        click.echo(f"warping error ({method}): {value:.6f}")
    if reference is not None:
        click.echo(f"PSNR to reference: {report['psnr_to_reference']:.2f} dB")
        click.echo(f"SSIM to reference: {report['ssim_to_reference']:.4f}")
    if json_path:
        write_text(json_path, json.dumps(report, indent=2) + "\n")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@_friendly
def progress(paths: tuple[Path, ...]) -> None:
    """Where training runs or compact states stand: images seen of the schedule, images/s lately, the last
    losses (a run folder), or the runs and hours so far (a compact state)."""
    from vidgan.train.progress import describe

    for path in paths:
        click.echo(describe(path))


@main.command("plot-losses")
@click.argument("run_dir", type=_FOLDER)
@click.option("-o", "--output", type=_FILE, help="PNG to write (default RUN_DIR/losses.png).")
@_friendly
def plot_losses(run_dir: Path, output: Path | None) -> None:
    """Draw a run's losses over the iterations as a PNG."""
    from vidgan.train.plot import plot_losses as plot

    click.echo(f"wrote {plot(run_dir, output)}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; another than this "
              "machine's own needs credentials.")  # fmt: skip
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True)
@click.option("--auth-file", type=_FILE, help="USER:PASSWORD lines: HTTP Basic for the page and the API (each user "
              "sees only their own jobs and has their own limit).")  # fmt: skip
@click.option("--auth", metavar="USER:PASSWORD", help="One user, on the command line (where `ps` shows it): "
              "prefer --auth-file or VIDGAN_AUTH=USER:PASSWORD.")  # fmt: skip
@click.option("--allowed-host", "hosts", multiple=True, help="A name clients reach the server by (the Host header "
              "it answers); default: its loopback names, or any when it listens on all addresses.")  # fmt: skip
@click.option("--max-upload", default="2GB", show_default=True, help="The largest upload taken (larger: 413).")
@click.option(
    "--max-duration",
    default="10m",
    show_default=True,
    help="The most video one job may translate; a clip that does not say its length is stopped there.",
)
@click.option("--max-size", type=click.IntRange(4), default=1080, show_default=True,
              help="The largest working size (short side, px) a job may ask for.")  # fmt: skip
@click.option("--max-pixels", default="8.3M", show_default=True,
              help="The largest input frame taken, in pixels (8.3M: 3840x2160).")  # fmt: skip
@click.option("--max-uploads", type=click.IntRange(1), default=20, show_default=True,
              help="Uploads held before they become jobs, all clients together (more: 429).")  # fmt: skip
@click.option("--max-queued", type=click.IntRange(1), default=10, show_default=True,
              help="Jobs waiting to run, all clients together (more: 429).")  # fmt: skip
@click.option("--max-per-client", type=click.IntRange(1), default=4, show_default=True,
              help="Uploads and unfinished jobs one authenticated user may hold (more: 429).")  # fmt: skip
@click.option("--max-disk", default="20GB", show_default=True, help="What the jobs' files may take (more: 507).")
@click.option("--upload-timeout", default="30s", show_default=True,
              help="How long an upload may send nothing before it is dropped (408).")  # fmt: skip
@click.option("--keep", default="1h", show_default=True, help="How long a finished job and its files are kept.")
@click.option("--work-dir", type=_FOLDER, help="Where the jobs' private folders live (emptied at shutdown).  "
              "[default: a new temporary folder, removed at shutdown]")  # fmt: skip
@_device_option
@click.option("--jobs", "workers", type=click.IntRange(1), default=None,
              help="Jobs running at once.  [default: 1, or 4 with --ray]")  # fmt: skip
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Run the jobs as Ray tasks (as translate --ray).")  # fmt: skip
@_friendly
def serve(host: str, port: int, auth_file: Path | None, auth: str | None, hosts: tuple[str, ...], max_upload: str,
          max_duration: str, max_size: int, max_pixels: str, max_uploads: int, max_queued: int, max_per_client: int,
          max_disk: str, upload_timeout: str, keep: str, work_dir: Path | None, device: str, workers: int | None,
          ray_address: str | None) -> None:  # fmt: skip
    """A web page and an HTTP service for translating clips (pip install 'vidgan[web]').

    \b
      vidgan serve                       # http://127.0.0.1:7860
      VIDGAN_AUTH=me:secret vidgan serve --host 0.0.0.0
    Jobs queue (one runs at a time per device); each has its own private folder, deleted with the job,
    after --keep, and at shutdown. The API: POST /api/jobs, GET/DELETE /api/jobs/ID, GET /api/jobs/ID/result
    (README, "Serve").
    """
    from vidgan.web.app import serve as run
    from vidgan.web.queue import Settings
    from vidgan.web.security import load_credentials

    users = load_credentials(auth, auth_file)
    settings = Settings(root=work_dir, max_upload=parse_bytes(max_upload), max_duration=parse_seconds(max_duration),
                        max_size=max_size, max_pixels=int(parse_bytes(max_pixels)), max_uploads=max_uploads,
                        max_queued=max_queued, max_per_client=max_per_client, max_disk=parse_bytes(max_disk),
                        upload_timeout=parse_seconds(upload_timeout), keep=parse_seconds(keep), device=device,
                        workers=workers or (4 if ray_address else 1), ray=ray_address)  # fmt: skip
    run(settings, host, port, users, hosts, log=lambda m: click.echo(m, err=True))


@main.command("bench-train")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=8, show_default=True, help="Batch of the fast setting.")
@click.option(
    "--compile/--no-compile",
    default=None,
    help="Also time the fast setting compiled (and with CUDA graphs on CUDA).  [default: on CUDA only]",
)
@click.option("--steps", type=click.IntRange(1), default=20, show_default=True, help="Timed iterations per setting.")
@click.option("--warmup", type=click.IntRange(1), default=3, show_default=True, help="Untimed iterations first.")
@click.option("--crop", type=click.IntRange(32), default=256, show_default=True, help="Training crop size.")
@_friendly
def bench_train(device: str, batch_size: int, compile: bool | None, steps: int, warmup: int, crop: int) -> None:
    """Training images/s and TFLOP/s of the paper's setting (fp32, batch 1, eager) and the fast ones, with
    their warm-up (compilation) timed apart."""
    from vidgan.bench.train import markdown_table, run_train_benchmark
    from vidgan.runtime import describe_device, pick_device

    chosen = pick_device(device)
    compile = chosen.type == "cuda" if compile is None else compile
    rows = run_train_benchmark(
        chosen.type, batch_size, compile, steps, warmup, crop, log=lambda m: click.echo(m, err=True)
    )
    click.echo(markdown_table(rows, describe_device(chosen)))


def _parse_sizes(ctx, param, value: str) -> list[tuple[int, int]]:
    try:
        return [tuple(int(n) for n in item.lower().split("x")) for item in value.split(",")]  # type: ignore[misc]
    except ValueError:
        raise click.BadParameter("expected sizes like 256x256,640x360") from None


@main.command()
@click.option(
    "--sizes",
    default="256x256,640x360",
    show_default=True,
    callback=_parse_sizes,
    help="Input frame sizes of the synthetic clips, WxH, comma-separated.",
)
@click.option(
    "--precision",
    "precisions",
    default="auto",
    show_default=True,
    help="Precisions to time, comma-separated (fp32, bf16, fp16); auto: fp32, and bf16 where the device has it "
    "(a CPU without bf16 instructions runs bf16 hundreds of times slower).",
)
@click.option("--frames", type=click.IntRange(4), default=16, show_default=True, help="Frames per clip.")
@_batch_size_option
@_device_option
@click.option(
    "--size",
    "working",
    default="256",
    show_default=True,
    callback=_parse_size,
    help="Working resolution, as for translate.",
)
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the generator (as translate --compile).")
@click.option(
    "--clip",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A real clip, scaled to each size, timed beside the noise clip (e.g. samples/horse.mp4).",
)
@click.option("--preset", default=None, help="x264 preset of the outputs (default: translate's).")
@click.option(
    "--presets",
    default=None,
    help="Also compare these x264 presets at equal quality on --clip at the last size (e.g. medium,faster,veryfast).",
)
@click.option(
    "--against",
    type=_FOLDER,
    help="Only time the video plumbing, here and in this other vidgan source tree (e.g. `git worktree add "
    "/tmp/prev HEAD~1`), on the same clips.",
)
@click.option(
    "--models",
    default=None,
    help="Only compare these models (comma-separated, the first the baseline) on --clip: the generator alone "
    "and vidgan translate with the default options, e.g. horse2zebra,horse2zebra-fast.",
)
@click.option(
    "--backends",
    default="torch",
    show_default=True,
    help="With --models: the backends to time each model with (torch, onnxruntime).",
)
@_friendly
def bench(sizes, precisions: str, frames: int, batch_size: int | None, device: str, working: int | None,
          compile_: bool, clip: Path | None, preset: str | None, presets: str | None,
          against: Path | None, models: str | None, backends: str) -> None:  # fmt: skip
    """Time vidgan translate against a sequential fp32 batch-1 loop, the generator alone and decode+encode
    alone, all in this run, and print a Markdown table (with --models: models against each other)."""
    import tempfile

    from vidgan.bench.translate import (
        against_table,
        bench_clips,
        markdown_table,
        plumbing_against,
        preset_table,
        run_benchmark,  # fmt: skip
        run_preset_benchmark,
    )
    from vidgan.runtime import describe_device, pick_device, pick_precision

    if (presets or models) and clip is None:
        raise click.UsageError(f"{'--presets' if presets else '--models'} compares on a real clip: give --clip")
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    if models:
        from vidgan.bench.translate import model_table, run_model_benchmark

        if "," in precisions:
            raise click.UsageError("--models compares at one precision: give --precision auto, fp32 or bf16")
        rows = run_model_benchmark(models.split(","), clip, frames, backends.split(","), device,
                                   precision=precisions, log=log)  # fmt: skip
        click.echo(model_table(rows, clip, describe_device(pick_device(device))))
        return
    if precisions == "auto":
        precisions = ",".join(dict.fromkeys(["fp32", pick_precision(pick_device(device))]))
    if against is not None:
        with tempfile.TemporaryDirectory() as tmp:
            click.echo(against_table(plumbing_against(against, bench_clips(Path(tmp), sizes, frames, clip), log=log),
                                     against))  # fmt: skip
        return
    encode = EncodeSettings(preset=preset)
    rows = run_benchmark(sizes, precisions.split(","), frames, batch_size, device, working, compile_, clip, encode,
                         log=log)  # fmt: skip
    click.echo(markdown_table(rows, describe_device(pick_device(device)), encode))
    if presets:
        table = run_preset_benchmark(clip, sizes[-1], presets.split(","), frames, log=log)
        click.echo("\n" + preset_table(table, clip.name, sizes[-1]))


@main.command("bench-smooth")
@click.argument("jobs", nargs=-1, required=True, metavar="CLIP:MODEL...")
@click.option("--duration", default=None, callback=_parse_time, help="Translate only this much of each clip.")
@_smooth_strength_option
@_friendly
def bench_smooth(jobs: tuple[str, ...], duration: float | None, smooth_strength: float) -> None:
    """Warping error of per-frame, ema and flow translations of each CLIP with MODEL, their fidelity to the
    per-frame result, and the smoother's cost at 360p and 720p, in one run."""
    from vidgan.bench.smooth import markdown_table, run_smoothing_benchmark

    pairs = []
    for job in jobs:
        clip, sep, model = job.partition(":")
        if not sep or not clip:
            raise click.BadParameter(f"{job!r}: expected CLIP:MODEL", param_hint="JOBS")
        pairs.append((Path(clip), model))
    rows, costs = run_smoothing_benchmark(pairs, duration, smooth_strength, log=lambda m: click.echo(m, err=True))
    click.echo(markdown_table(rows, costs, smooth_strength))


@main.command("bench-upsample")
@click.argument("clips", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-m", "--model", default="horse2zebra", show_default=True, help="The model that translates.")
@click.option(
    "--images",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A folder of images (e.g. testA), upscaled 4x.",
)
@click.option("--judge", default="horse-vs-zebra", show_default=True, help="Judge for the images' score.")
@click.option("--frames", type=click.IntRange(1), default=6, show_default=True, help="Frames per clip.")
@click.option("--count", type=click.IntRange(1), default=40, show_default=True, help="Images from --images.")
@click.option("--duration", default="3", callback=_parse_time, help="Seconds of each clip in the pipeline.")
@_friendly
def bench_upsample(clips: tuple[Path, ...], model: str, images: Path | None, judge: str, frames: int, count: int,
                   duration: float | None) -> None:  # fmt: skip
    """Upsampling methods against plain resizing in one run: sharpness kept and fidelity on each CLIP at
    1080p (and the judge score on --images upscaled 4x), the cost per frame at 720p and 1080p, and the
    first clip through the pipeline with smoothing (flicker and frames/s)."""
    from vidgan.bench.upsample import run_upsampling_benchmark

    log = functools.partial(click.echo, err=True)
    click.echo(run_upsampling_benchmark(list(clips), model, images, judge, frames, count, duration, log))


@main.command("bench-serve")
@click.argument("clip", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-m", "--model", default="horse2zebra", show_default=True, help="The model that translates.")
@click.option("--repeats", type=click.IntRange(1), default=3, show_default=True, help="Rounds; the best counts.")
@_friendly
def bench_serve(clip: Path, model: str, repeats: int) -> None:
    """CLIP translated through `vidgan serve` (upload to download, a real server on 127.0.0.1) against the
    Python API and `vidgan translate` in the same run: what the service costs."""
    from vidgan.bench.serve import markdown, run_serve_benchmark
    from vidgan.runtime import describe_device, pick_device

    rows = run_serve_benchmark(clip, model, repeats, log=functools.partial(click.echo, err=True))
    click.echo(markdown(rows, clip, model, describe_device(pick_device("auto"))))


@main.command("bench-reliability")
@click.argument("clip", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-m", "--model", default="horse2zebra-fast", show_default=True, help="The model that translates.")
@click.option("--clients", type=click.IntRange(1), default=4, show_default=True, help="Clients at once.")
@click.option("--jobs", type=click.IntRange(1), default=5, show_default=True, help="Jobs each client submits.")
@_friendly
def bench_reliability(clip: Path, model: str, clients: int, jobs: int) -> None:
    """A bounded load on a real `vidgan serve` on 127.0.0.1 (good and bad jobs, cancels, a stalled upload),
    then Ctrl-C: jobs done, refusals and their codes, the status route's latency, memory, files left, the
    time to exit."""
    from vidgan.bench.reliability import markdown, run_reliability

    report = run_reliability(clip, model, clients, jobs, log=functools.partial(click.echo, err=True))
    click.echo(markdown(report, clip, model))
    if report["files_left"] or report["wrong_codes"]:
        raise click.ClickException(f"{report['files_left']} files left, {len(report['wrong_codes'])} wrong codes: "
                                   f"{'; '.join(report['wrong_codes'])}")  # fmt: skip


@main.command("bench-ray")
@click.argument("clips", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-m", "--model", default="horse2zebra", show_default=True, help="The model that translates.")
@click.option("--size", default="128", show_default=True, callback=_parse_size, help="Working resolution.")
@click.option("--duration", default=None, callback=_parse_time, help="Translate only this much of each clip.")
@_friendly
def bench_ray(clips: tuple[Path, ...], model: str, size: int | None, duration: float | None) -> None:
    """The CLIPS translated by one process and as Ray tasks with 1 and 2 workers on this machine (the
    scaling ratio), and Ray's overheads: start, model broadcast, task start-up, segment join."""
    from vidgan.bench.ray import markdown, run_ray_benchmark
    from vidgan.pipeline.options import TranslateOptions

    options = TranslateOptions(size=size, duration=duration)
    rows, costs = run_ray_benchmark(list(clips), model, options, log=functools.partial(click.echo, err=True))
    click.echo(markdown(rows, costs, len(clips), options))


if __name__ == "__main__":
    main()
