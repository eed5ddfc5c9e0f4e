"""What the commands share: the group that turns every error into one line (once, for all commands),
messages through `logging` shown beside the progress bars, the text forms' parsers, the options several
commands take, and the printing of results that more than one command shows. Commands themselves are
in the area modules beside this one; none of them holds logic the API (vidgan/api.py) does not offer."""

from __future__ import annotations

import functools
import logging
import shutil
import sys
import tokenize
from dataclasses import MISSING, fields
from io import StringIO
from pathlib import Path

import click

from vidgan.engine.runtime import DEVICES
from vidgan.errors import UsageError, VidganError

FOLDER = click.Path(file_okay=False, path_type=Path)
FILE = click.Path(dir_okay=False, path_type=Path)


class Group(click.Group):
    """The `vidgan` group: a user's mistake prints one line and exits 1 (settings that do not go together:
    2), Ctrl-C exits 130 saying what was kept, any other failure prints one line too unless --debug (an
    option every command gets) asks for the traceback."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        for command in [cmd, *getattr(cmd, "commands", {}).values()]:
            if not isinstance(command, click.Group):
                command.params.append(click.Option(["--debug"], is_flag=True, expose_value=False,
                                                   help="Show the full traceback on errors.",
                                                   callback=_remember_debug))  # fmt: skip
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `vidgan models | head`: the reader left, nothing to report
            sys.stderr.close()
            sys.exit(0)
        except KeyboardInterrupt as e:
            click.echo(f"\n{getattr(e, 'message', 'interrupted: no partial output was left behind')}", err=True)
            sys.exit(130)
        except Exception as e:
            if ctx.meta.get("vidgan.debug"):
                raise
            if isinstance(e, UsageError):
                raise click.UsageError(str(e)) from None
            if isinstance(e, VidganError):
                raise click.ClickException(str(e)) from None
            raise click.ClickException(f"{type(e).__name__}: {e} (run with --debug for the traceback)") from None


def _remember_debug(ctx: click.Context, param, value: bool) -> None:
    ctx.meta["vidgan.debug"] = ctx.meta.get("vidgan.debug") or value


class BarSafeHandler(logging.Handler):
    """Log lines written above the progress bars (tqdm.write), to stderr: warnings say so."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        prefix = "warning: " if record.levelno == logging.WARNING else ""
        tqdm.write(prefix + record.getMessage(), file=sys.stderr)


def show_messages(quiet: bool = False) -> None:
    """vidgan's log lines on the terminal: notes and progress, or with `quiet` errors only."""
    logger = logging.getLogger("vidgan")
    if not any(isinstance(h, BarSafeHandler) for h in logger.handlers):
        logger.addHandler(BarSafeHandler())
    logger.setLevel(logging.ERROR if quiet else logging.INFO)


# ---------------------------------------------------------------------------------------------- parsing


def _parser(parse):
    """A click callback from one of vidgan's text parsers: its VidganError as click's BadParameter."""

    def callback(ctx, param, value):
        if value is None:
            return None
        try:
            return parse(value)
        except VidganError as e:
            raise click.BadParameter(str(e)) from None

    return callback


def _working_size(text: str) -> int | None:
    from vidgan.pipeline.options import parse_working_size

    return parse_working_size(text)


def _seconds(text: str) -> float:
    from vidgan.units import parse_seconds

    return parse_seconds(text)


def _bytes(text: str) -> int:
    from vidgan.units import parse_bytes

    return parse_bytes(text)


def _frame_sizes(text: str) -> list[tuple[int, int]]:
    try:
        return [tuple(int(n) for n in item.lower().split("x")) for item in text.split(",")]  # type: ignore[misc]
    except ValueError:
        raise VidganError("expected sizes like 256x256,640x360") from None


parse_size = _parser(_working_size)  # --size: pixels or native
parse_time = _parser(_seconds)  # 12.5, 1:02.5, 9m, 1h30m
parse_bytes = _parser(_bytes)  # 10MB
parse_frame_sizes = _parser(_frame_sizes)  # 256x256,640x360

device_option = click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True,
                             help="Where the generator runs; auto picks CUDA, then MPS, then the CPU.")  # fmt: skip
batch_size_option = click.option("--batch-size", type=click.IntRange(1), default=None,
                                 help="Frames per generator call. Default: 8 on CUDA, 1 on the CPU.")  # fmt: skip


def choice_option(flag: str, choices, default: str | None, help: str):
    """An option taking one of `choices`, its default shown."""
    return click.option(flag, type=click.Choice(list(choices)), default=default, show_default=default is not None,
                        help=help)  # fmt: skip


def output_option(help: str, path_type: click.Path = click.Path(path_type=Path), required: bool = False):
    return click.option("-o", "--output", type=path_type, required=required, help=help)


def model_option(default: str | None = None, help: str = "The model that translates."):
    from vidgan.models.registry import DEFAULT_MODEL

    return click.option("-m", "--model", default=default or DEFAULT_MODEL, show_default=True, help=help)


def smooth_strength_option(fn):
    from vidgan.ops.smoothing import DEFAULT_STRENGTH

    return click.option("--smooth-strength", type=click.FloatRange(0, 1), default=DEFAULT_STRENGTH,
                        show_default=True, help="How much of the neighbouring frames to take in where the flow is "
                        "reliable: 0 none, 1 the most (flow: the previous output weighs 2S and the next frame S "
                        "against the frame's own 1; ema: the previous output's share).")(fn)  # fmt: skip


# ---------------------------------------------------------------------------------------------- options from a config


def field_reasons(cls: type) -> dict[str, str]:
    """A dataclass's fields' comments (`name: type = default  # reason`), read from its source: the reason
    beside each field is also its option's help."""
    import inspect

    reasons, line_of = {}, {}
    source = inspect.getsource(cls)
    for token in tokenize.generate_tokens(StringIO(source).readline):
        if token.type == tokenize.NAME and token.start[1] == 4 and token.start[0] not in line_of:
            line_of[token.start[0]] = token.string
        elif token.type == tokenize.COMMENT and token.start[0] in line_of:
            reasons[line_of[token.start[0]]] = token.string.lstrip("# ").strip()
    return reasons


def config_options(cls: type, only: set[str] | None = None, skip: set[str] = frozenset(),
                   defaults: dict | None = None, parsers: dict | None = None):  # fmt: skip
    """click options for a config dataclass's fields (those of `only`, less `skip`): --field-name, the
    field's type (or a text parser from `parsers`), its reason as the help with its default (or `defaults`'
    for another command); each is None unless given, so a recipe's value stands where the command line is
    silent."""
    reasons = field_reasons(cls)

    def decorate(fn):
        for f in reversed(fields(cls)):
            if (only is not None and f.name not in only) or f.name in skip:
                continue
            flag = "--" + f.name.replace("_", "-")
            default = (defaults or {}).get(f.name, f.default if f.default is not MISSING else None)
            shown = "none" if default in (None, "") else str(default).lower() if isinstance(default, bool) else default
            text = f"{reasons.get(f.name, '')}  [default: {shown}]"
            if "bool" in str(f.type):
                fn = click.option(f"{flag}/--no-{flag[2:]}", f.name, default=None, help=text)(fn)
            elif f.name in (parsers or {}):
                fn = click.option(flag, f.name, default=None, callback=parsers[f.name], help=text)(fn)
            else:
                kind = {"int": int, "float": float}.get(str(f.type).split(" ")[0], str)
                fn = click.option(flag, f.name, type=kind, default=None, help=text)(fn)
        return fn

    return decorate


def given(settings: dict) -> dict:
    """The options given on the command line (those not given are None)."""
    return {k: v for k, v in settings.items() if v is not None}


# ---------------------------------------------------------------------------------------------- printing


def _status(r) -> str:
    return "skipped (exists)" if r.skipped else "failed" if r.error else "partial" if r.partial else "ok"


def print_table(results, folder: Path, err: bool = False) -> None:
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
    counts = {s: sum(_status(r) == s for r in results) for s in ("ok", "skipped (exists)", "failed", "partial")}
    echo(f"{counts['ok']} translated, {counts['skipped (exists)']} skipped, {counts['failed']} failed"
         + (f", {counts['partial']} partial" if counts["partial"] else ""))  # fmt: skip


def print_outcome(outcome) -> None:
    """A training session's end: where the schedule stands, and what was exported."""
    where = "complete" if outcome.complete else f"continue with `vidgan train --resume {outcome.run_dir}`"
    click.echo(f"trained to {outcome.images_seen:,} of {outcome.schedule_images:,} images ({outcome.iterations} "
               f"iterations, {outcome.seconds:.0f} s in all): {outcome.run_dir}, {where}")  # fmt: skip
    for path in outcome.exported:
        click.echo(f"exported {path}")


def status_line(summary: dict) -> None:
    """A live run's state, rewritten in place on stderr."""
    click.echo(f"\rlive: {summary['frames_per_s']:.1f} frames/s of {summary['source_frames_per_s']:.1f} "
               f"({summary['dropped']} dropped), delay {summary['delay_ms_median']:.0f} ms median, "
               f"{summary['delay_ms_p95']:.0f} ms p95, {summary['size']} px   ", nl=False, err=True)  # fmt: skip


def stoppable() -> None:
    """SIGINT and SIGTERM stop a training run as Ctrl-C does (it saves), also one started in the background,
    where a shell leaves SIGINT ignored: pipelines/cpu-run.sh stops its run so."""
    import signal

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
