"""`vidgan serve`: the page and the HTTP service (vidgan/web/), its limits and credentials from the command
line, the environment or a file."""

from __future__ import annotations

from pathlib import Path

import click

from vidgan.cli.common import FILE, FOLDER, config_options, device_option, given, parse_bytes, parse_time, show_messages
from vidgan.web.settings import Settings

LIMITS = {"max_upload", "max_duration", "max_size", "max_pixels", "max_uploads", "max_queued", "max_per_client",
          "max_disk", "upload_timeout", "keep", "max_live"}  # fmt: skip
TEXT_FORMS = {"max_upload": parse_bytes, "max_pixels": parse_bytes, "max_disk": parse_bytes,
              "max_duration": parse_time, "upload_timeout": parse_time, "keep": parse_time}  # fmt: skip
SHOWN = {
    "max_upload": "2GB",
    "max_pixels": "8.3M (3840x2160)",
    "max_disk": "20GB",
    "max_duration": "10m",
    "upload_timeout": "30s",
    "keep": "1h",
}  # the defaults as one types them


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
@config_options(Settings, only=LIMITS, defaults=SHOWN, parsers=TEXT_FORMS)
@click.option("--work-dir", type=FOLDER, help="Where the jobs' private folders live (emptied at shutdown).  "
              "[default: a new temporary folder, removed at shutdown]")  # fmt: skip
@device_option
@click.option("--jobs", "workers", type=click.IntRange(1), default=None,
              help="Jobs running at once.  [default: 1, or 4 with --ray]")  # fmt: skip
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Run the jobs as Ray tasks (as translate --ray).")  # fmt: skip
def serve(
    host: str,
    port: int,
    auth_file: Path | None,
    auth: str | None,
    hosts: tuple[str, ...],
    work_dir: Path | None,
    device: str,
    workers: int | None,
    ray_address: str | None,
    **limits,
) -> None:
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
    from vidgan.web.security import load_credentials

    require_web()
    show_messages()
    settings = Settings(root=work_dir, device=device, workers=workers or (4 if ray_address else 1), ray=ray_address,
                        **given(limits))  # fmt: skip
    api.serve(settings, host, port, load_credentials(auth, auth_file), hosts)
