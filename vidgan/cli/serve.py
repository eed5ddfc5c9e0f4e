"""`vidgan serve`: the page and the HTTP service (vidgan/web/), its limits and credentials from the command
line, the environment or a file."""

from __future__ import annotations

from pathlib import Path

import click

from vidgan.cli.common import FILE, FOLDER, device_option, parse_bytes, parse_time, show_messages


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; another than this "
              "machine's own needs credentials.")  # fmt: skip
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True)
@click.option("--auth-file", type=FILE, help="USER:PASSWORD lines: HTTP Basic for the page and the API (each user "
              "sees only their own jobs and has their own limit).")  # fmt: skip
@click.option("--auth", metavar="USER:PASSWORD", help="One user, on the command line (where `ps` shows it): "
              "prefer --auth-file or VIDGAN_AUTH=USER:PASSWORD.")  # fmt: skip
@click.option("--allowed-host", "hosts", multiple=True, help="A name clients reach the server by (the Host header "
              "it answers); default: its loopback names, or any when it listens on all addresses.")  # fmt: skip
@click.option(
    "--max-upload",
    default="2GB",
    show_default=True,
    callback=parse_bytes,
    help="The largest upload taken (larger: 413).",
)
@click.option(
    "--max-duration",
    default="10m",
    show_default=True,
    callback=parse_time,
    help="The most video one job may translate; a clip that does not say its length is stopped there.",
)
@click.option("--max-size", type=click.IntRange(4), default=1080, show_default=True,
              help="The largest working size (short side, px) a job may ask for.")  # fmt: skip
@click.option("--max-pixels", default="8.3M", show_default=True, callback=parse_bytes,
              help="The largest input frame taken, in pixels (8.3M: 3840x2160).")  # fmt: skip
@click.option("--max-uploads", type=click.IntRange(1), default=20, show_default=True,
              help="Uploads held before they become jobs, all clients together (more: 429).")  # fmt: skip
@click.option("--max-queued", type=click.IntRange(1), default=10, show_default=True,
              help="Jobs waiting to run, all clients together (more: 429).")  # fmt: skip
@click.option("--max-per-client", type=click.IntRange(1), default=4, show_default=True,
              help="Uploads and unfinished jobs one authenticated user may hold (more: 429).")  # fmt: skip
@click.option(
    "--max-disk",
    default="20GB",
    show_default=True,
    callback=parse_bytes,
    help="What the jobs' files may take (more: 507).",
)
@click.option("--upload-timeout", default="30s", show_default=True, callback=parse_time,
              help="How long an upload may send nothing before it is dropped (408).")  # fmt: skip
@click.option(
    "--keep",
    default="1h",
    show_default=True,
    callback=parse_time,
    help="How long a finished job and its files are kept.",
)
@click.option("--work-dir", type=FOLDER, help="Where the jobs' private folders live (emptied at shutdown).  "
              "[default: a new temporary folder, removed at shutdown]")  # fmt: skip
@device_option
@click.option("--jobs", "workers", type=click.IntRange(1), default=None,
              help="Jobs running at once.  [default: 1, or 4 with --ray]")  # fmt: skip
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Run the jobs as Ray tasks (as translate --ray).")  # fmt: skip
def serve(host: str, port: int, auth_file: Path | None, auth: str | None, hosts: tuple[str, ...], max_upload: int,
          max_duration: float, max_size: int, max_pixels: int, max_uploads: int, max_queued: int, max_per_client: int,
          max_disk: int, upload_timeout: float, keep: float, work_dir: Path | None, device: str, workers: int | None,
          ray_address: str | None) -> None:  # fmt: skip
    """A web page and an HTTP service for translating clips (pip install 'vidgan[web]').

    \b
      vidgan serve                       # http://127.0.0.1:7860
      VIDGAN_AUTH=me:secret vidgan serve --host 0.0.0.0
    Jobs queue (one runs at a time per device); each has its own private folder, deleted with the job,
    after --keep, and at shutdown. The API: POST /api/jobs, GET/DELETE /api/jobs/ID, GET /api/jobs/ID/result
    (README, "Serve").
    """
    from vidgan import api
    from vidgan.web.app import require_web
    from vidgan.web.queue import Settings
    from vidgan.web.security import load_credentials

    require_web()
    show_messages()
    settings = Settings(root=work_dir, max_upload=max_upload, max_duration=max_duration, max_size=max_size,
                        max_pixels=max_pixels, max_uploads=max_uploads, max_queued=max_queued,
                        max_per_client=max_per_client, max_disk=max_disk, upload_timeout=upload_timeout, keep=keep,
                        device=device, workers=workers or (4 if ray_address else 1), ray=ray_address)  # fmt: skip
    api.serve(settings, host, port, load_credentials(auth, auth_file), hosts)
