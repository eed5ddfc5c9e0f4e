"""The `vidgan` command. Each command's docstring is its --help; the work happens in the library."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from vidgan.errors import VidganError
from vidgan.inference import DEVICES, PRECISIONS
from vidgan.video.encode import ENCODERS, EncodeSettings


def _friendly(fn):
    """Run a command so that a user's mistake prints one line and exits 1, Ctrl-C exits 130, and any
    other failure prints one line too unless --debug asks for the traceback."""

    @functools.wraps(fn)
    def wrapper(*args, debug: bool = False, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
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
    if value == "native":
        return None
    try:
        size = int(value)
    except ValueError:
        raise click.BadParameter("expected a number of pixels or 'native'") from None
    if size < 4:
        raise click.BadParameter("must be at least 4")
    return size


def _parse_time(ctx, param, value: str | None) -> float | None:
    """Seconds as `12.5`, `1:02.5` or `0:01:02.5`."""
    if value is None:
        return None
    try:
        seconds = 0.0
        for part in value.split(":"):
            seconds = seconds * 60 + float(part)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time: use seconds (12.5) or [h:]m:s (1:02.5)") from None
    if seconds < 0:
        raise click.BadParameter("must not be negative")
    return seconds


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vidgan")
def main() -> None:
    """Translate videos from one visual domain to another with CycleGAN (horse to zebra, summer to
    winter, photo to painting), keeping the original timestamps and sound."""


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output file (or folder, for a folder INPUT). Default: INPUT_MODEL.EXT in the current folder "
                   "(INPUT_MODEL beside a folder INPUT).")
@click.option("-m", "--model", default="horse2zebra", show_default=True,
              help="A model name (see `vidgan models`), official:NAME, or a .safetensors/.pth file.")
@click.option("-r", "--recursive", is_flag=True, help="With a folder INPUT, include its subfolders.")
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True,
              help="Where the generator runs; auto picks CUDA, then MPS, then the CPU.")
@click.option("--precision", type=click.Choice(PRECISIONS), default="auto", show_default=True,
              help="Arithmetic of the generator; auto is bf16 on CUDA and on CPUs with bf16 hardware, else fp32.")
@click.option("--batch-size", type=click.IntRange(1), default=4, show_default=True, help="Frames per generator call.")
@click.option("--size", default="256", show_default=True, callback=_parse_size,
              help="Working resolution: the short side in pixels (the models were trained at 256), or 'native'.")
@click.option("--output-size", type=click.Choice(["input", "working"]), default="input", show_default=True,
              help="input: scale the result back to the input's size; working: keep the working resolution.")
@click.option("--codec", type=click.Choice(list(ENCODERS)), default=None,
              help="Video codec. Default: h264 (vp9 for .webm).")
@click.option("--crf", type=click.IntRange(0, 63), default=None,
              help="Constant quality, lower is better (defaults: h264 23, hevc 28, vp9 32, av1 35).")
@click.option("--preset", default=None,
              help="Encoder speed: x264/x265 names (ultrafast..veryslow, default medium); vp9 cpu-used 0-8 "
                   "(default 4); av1 0-13 (default 8).")
@click.option("--compare", is_flag=True, help="Write input and output side by side.")
@click.option("--start", default=None, callback=_parse_time, help="Start this far into the clip: seconds (12.5) or [h:]m:s.")
@click.option("--duration", default=None, callback=_parse_time, help="Translate only this long: seconds or [h:]m:s.")
@click.option("--overwrite", is_flag=True, help="Replace outputs that exist.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or notices; errors still print.")
@_friendly
def translate(input_path: Path, output: Path | None, model: str, recursive: bool, device: str, precision: str,
              batch_size: int, size: int | None, output_size: str, codec: str | None, crf: int | None,
              preset: str | None, compare: bool, start: float | None, duration: float | None, overwrite: bool,
              quiet: bool) -> None:  # fmt: skip
    """Translate a video, an image, or every video and image in a folder.

    \b
      vidgan translate horse.mp4 --model horse2zebra
      vidgan translate clips/ -o zebras/ -r
    In a folder, outputs that exist are skipped (a rerun resumes) and a broken clip does not stop the
    others; the exit status is non-zero if any clip failed.
    """
    from vidgan.api import translate as run
    from vidgan.translate import TranslateOptions

    options = TranslateOptions(
        size=size, output_size=output_size, batch_size=batch_size, device=device,
        precision=precision, encode=EncodeSettings(codec, crf, preset), compare=compare,
        start=start, duration=duration, overwrite=overwrite, quiet=quiet,
    )  # fmt: skip
    if options.duration == 0:
        raise click.BadParameter("must be more than 0", param_hint="--duration")
    results = run(input_path, output, model, options, recursive)
    for result in results:
        for notice in result.notices if not quiet else ():
            click.echo(f"note: {result.src.name}: {notice}", err=True)
    if input_path.is_dir():
        _print_table(results)
        failed = [r for r in results if r.error]
        if failed:
            raise click.ClickException(f"{len(failed)} of {len(results)} files failed")
    else:
        r = results[0]
        click.echo(f"wrote {r.dst} ({r.frames} frame{'s' * (r.frames != 1)} in {r.seconds:.1f} s, {r.fps:.1f} frames/s)")


def _print_table(results) -> None:
    rows = [("file", "status", "frames", "frames/s")]
    for r in results:
        status = "skipped (exists)" if r.skipped else f"failed: {r.error}" if r.error else "ok"
        rows.append((str(r.src.name), status, str(r.frames) if r.frames else "", f"{r.fps:.1f}" if r.frames else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])
    done = sum(1 for r in results if not r.error and not r.skipped)
    skipped = sum(r.skipped for r in results)
    failed = sum(1 for r in results if r.error)
    click.echo(f"{done} translated, {skipped} skipped, {failed} failed")


@main.command()
@_friendly
def models() -> None:
    """List the models --model accepts: shipped ones, those in the user folder, and the official names."""
    from vidgan.checkpoints import list_models, user_dir

    rows = list_models()
    width = max(len(name) for name, _, _ in rows)
    for name, where, description in rows:
        click.echo(f"{name.ljust(width)}  {where:8}  {description}")
    click.echo(f"\nuser folder: {user_dir()} (put NAME.safetensors there to use --model NAME)")


if __name__ == "__main__":
    main()
