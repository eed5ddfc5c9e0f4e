"""`vidgan models`, `export`, `pack`, `progress`, `plot-losses`: the models and the runs' files, through
vidgan.api."""

from __future__ import annotations

from pathlib import Path

import click

from vidgan.cli.common import FILE, FOLDER, output_option, parse_bytes


@click.command()
def models() -> None:
    """List the models --model accepts: shipped ones, those in the user folder, and the official names."""
    from vidgan import api
    from vidgan.engine.runtime import user_dir

    rows = api.models()
    width = max(len(name) for name, _, _ in rows)
    for name, where, description in rows:
        click.echo(f"{name.ljust(width)}  {where:8}  {description}")
    click.echo(f"\nuser folder: {user_dir()} (put NAME.safetensors there to use --model NAME)")


@click.command()
@click.argument("source")
@output_option(
    "A run's generators: the folder to write to (default: the user folder, where --model NAME looks). "
    "A model: the file to write (required)."
)
@click.option("--format", "fmt", type=click.Choice(["safetensors", "onnx"]), default="safetensors", show_default=True,
              help="safetensors (vidgan's checkpoint with its card) or onnx (for onnxruntime and other runtimes: "
              "dynamic height and width, input and output in [-1, 1], the card in its metadata).")  # fmt: skip
@click.option("--precision", type=click.Choice(["fp16", "fp32", "int8"]), default="fp16", show_default=True,
              help="safetensors weights' format; int8 is per-channel quantised and refused if it strays over 38 dB "
              "PSNR from fp16.")  # fmt: skip
@click.option("--max-shard-size", callback=parse_bytes, help="Split safetensors files larger than this (e.g. 10MB).")
@click.option("--compact", is_flag=True, help="Write a run's compact training state instead (int8 generators with "
              "cards, discriminators, progress), which `vidgan train --continue` goes on from; -o is then "
              "required.")  # fmt: skip
def export(source: str, output: Path | None, fmt: str, precision: str, max_shard_size: int | None,
           compact: bool) -> None:  # fmt: skip
    """Write a generator in another form: SOURCE is a training run's folder (both its generators, A to B
    and B to A) or anything --model accepts (a name, official:NAME, a file).

    \b
      vidgan export runs/photo2painting --precision int8
      vidgan export horse2zebra-fast --format onnx -o h2z.onnx
      vidgan export official:horse2zebra -o h2z.safetensors --precision int8
    """
    from vidgan import api

    for path in api.export(source, output, fmt, precision, max_shard_size, compact):
        click.echo(f"exported {path}")


@click.command()
@click.argument("folder", type=FOLDER)
@click.option("-o", "--output", type=FILE, required=True, help="The zip to write (e.g. horse2zebra.zip).")
@click.option("--format", "fmt", type=click.Choice(["webp", "jpeg"]), default="webp", show_default=True)
@click.option("--quality", type=click.IntRange(1, 100), default=60, show_default=True, help="Encoder quality.")
def pack(folder: Path, output: Path, fmt: str, quality: int) -> None:
    """Pack every image under FOLDER into one small zip, to carry training data to another machine
    (horse2zebra: 107 MB of JPEGs in 28.5 MiB at 31.4 dB). Unpack it with `python -m zipfile -e FILE DIR`."""
    from vidgan import api
    from vidgan.cli.common import show_messages

    show_messages()
    click.echo(f"wrote {api.pack(folder, output, fmt, quality)}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
def progress(paths: tuple[Path, ...]) -> None:
    """Where training runs or compact states stand: images seen of the schedule, images/s lately, the last
    losses (a run folder), or the runs and hours so far (a compact state)."""
    from vidgan import api

    for line in api.progress(list(paths)):
        click.echo(line)


@click.command("plot-losses")
@click.argument("run_dir", type=FOLDER)
@click.option("-o", "--output", type=FILE, help="PNG to write (default RUN_DIR/losses.png).")
def plot_losses(run_dir: Path, output: Path | None) -> None:
    """Draw a run's losses over the iterations as a PNG."""
    from vidgan import api

    click.echo(f"wrote {api.plot_losses(run_dir, output)}")
