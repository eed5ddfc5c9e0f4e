"""`vidgan live`: a camera or a stream translated as it plays, through vidgan.api.live."""

from __future__ import annotations

from pathlib import Path

import click

from vidgan.cli.common import choice_option, device_option, parse_size, parse_time, show_messages, status_line


@click.command()
@click.argument("source")
@click.option("-m", "--model", default="horse2zebra-fast", show_default=True, help="The model that translates.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="A file written as the translation goes (complete and playable however it stops).")  # fmt: skip
@click.option("--to", help="A stream to send the translation to (a URL FFmpeg can write, e.g. udp://HOST:PORT).")
@click.option("--to-format", help="The stream's container (FFmpeg's muxer name, e.g. mpegts, rtsp, flv).")
@click.option("--show", is_flag=True, help="Show the translation in a window (an OpenCV with windows).")
@click.option("--realtime", is_flag=True, help="A file as SOURCE plays at its own pace, as a camera would.")
@click.option("--size", default="auto", show_default=True, callback=lambda c, p, v: None if v == "auto" else
              parse_size(c, p, v), help="Working size: auto (the largest that keeps up, measured on the first "
              "frame) or pixels.")  # fmt: skip
@click.option(
    "--fps", type=click.FloatRange(1), help="The rate --size auto must keep up with.  [default: the source's]"
)
@choice_option(
    "--smooth", ["none", "ema"], "none", "Smoothing against flicker; ema only (nothing waits for a later frame)."
)
@device_option
@choice_option("--backend", ["torch", "onnxruntime"], "torch", "What runs the generator (as translate's).")
@click.option(
    "--stop-after", callback=parse_time, help="Stop after this long (10s, 2m); else at the source's end or Ctrl-C."
)
def live(source: str, model: str, output: Path | None, to: str | None, to_format: str | None, show: bool,
         realtime: bool, size: int | None, fps: float | None, smooth: str, device: str, backend: str,
         stop_after: float | None) -> None:  # fmt: skip
    """Translate a camera or a stream as it plays: SOURCE is /dev/video0 (v4l2), rtsp://..., http://..., or a
    file (--realtime plays it at its pace). When the generator is slower than the source, frames are dropped,
    never queued: the newest is translated, so the delay stays flat. A status line says frames/s and delay.

    \b
      vidgan live /dev/video0 --show
      vidgan live rtsp://camera/stream -o zebras.mp4
      vidgan live clip.mp4 --realtime -o out.mp4 --to udp://127.0.0.1:5000 --to-format mpegts
    """
    from vidgan import api

    show_messages()
    summary = api.live(source, output, to, to_format, model, size, fps, realtime, smooth, show, device, backend,
                       stop_after, status_line)  # fmt: skip
    click.echo(f"\nlive: stopped ({summary['stopped']}): {summary['frames']} frames translated, "
               f"{summary['frames_per_s']:.1f} frames/s of {summary['source_frames_per_s']:.1f}, delay "
               f"{summary['delay_ms_median']:.0f} ms median, {summary['delay_ms_p95']:.0f} ms p95, at "
               f"{summary['size']} px" + (f"; wrote {output}" if output else ""), err=True)  # fmt: skip
