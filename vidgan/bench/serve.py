"""`vidgan bench-serve`: what translating through `vidgan serve` costs against the command line, in one run.

On the same clip, model and options, alternating, best of the repeats:
- the Python API in this process (what `vidgan translate` does once it has started and loaded the model);
- `vidgan translate` as a user runs it, a process of its own (start-up and model loading included);
- the service: a real server on 127.0.0.1 (uvicorn in a thread of this process, its model loaded by a
  first job), timed from the upload to the result's last byte: upload, queue, translation, the status (one
  long poll, `?wait=`), download.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from vidgan.models.registry import load_model
from vidgan.pipeline.executors import run_job
from vidgan.pipeline.options import TranslateOptions

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)


@dataclass
class ServeRow:
    route: str
    seconds: float  # best of the repeats
    frames: int


def _server(root: Path):
    import uvicorn

    from vidgan.web.app import create_app
    from vidgan.web.settings import Settings

    config = uvicorn.Config(create_app(Settings(root=root)), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def _through_service(url: str, clip: Path, model: str, out: Path) -> int:
    import httpx

    with open(clip, "rb") as f:
        job = httpx.post(f"{url}/api/jobs", files={"file": (clip.name, f)}, data={"model": model}, timeout=600).json()
    if "id" not in job:
        raise RuntimeError(job.get("error", job))
    while (status := httpx.get(f"{url}/api/jobs/{job['id']}", params={"wait": 60}, timeout=90).json())["status"] in (
            "queued", "running"):  # fmt: skip
        pass  # a long poll: the answer comes when the job ends
    if status["status"] != "done":
        raise RuntimeError(status["error"])
    out.write_bytes(httpx.get(f"{url}/api/jobs/{job['id']}/result", timeout=600).content)
    httpx.delete(f"{url}/api/jobs/{job['id']}")
    return status["frames_done"]


def run_serve_benchmark(clip: Path, model: str, repeats: int = 3) -> list[ServeRow]:
    from vidgan.web.app import require_web

    require_web()
    best = {"api": float("inf"), "cli": float("inf"), "service": float("inf")}
    frames = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        server, thread, url = _server(tmp / "root")
        try:
            _through_service(url, clip, model, tmp / "warm.mp4")  # the server loads its model once
            loaded = load_model(model)  # in this process: what vidgan.api.translate runs, the model loaded once
            run_job(clip, tmp / "warm2.mp4", loaded, TranslateOptions(quiet=True, overwrite=True))
            for i in range(repeats):
                started = time.perf_counter()
                frames["api"] = run_job(clip, tmp / "api.mp4", loaded, TranslateOptions(quiet=True, overwrite=True)
                                          )[0].frames  # fmt: skip
                best["api"] = min(best["api"], time.perf_counter() - started)
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "vidgan", "translate", str(clip), "-m", model, "-o",
                                str(tmp / "cli.mp4"), "--overwrite", "-q"], check=True)  # fmt: skip
                best["cli"] = min(best["cli"], time.perf_counter() - started)
                frames["cli"] = frames["api"]
                started = time.perf_counter()
                frames["service"] = _through_service(url, clip, model, tmp / "service.mp4")
                best["service"] = min(best["service"], time.perf_counter() - started)
                say(f"round {i + 1}: API {best['api']:.2f} s, CLI {best['cli']:.2f} s, service {best['service']:.2f} s "
                    f"(best so far)")  # fmt: skip
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    labels = {"api": "Python API in this process (the CLI once started)", "cli": "vidgan translate, its own process",
              "service": "vidgan serve: upload, queue, translate, wait, download"}  # fmt: skip
    return [ServeRow(labels[k], best[k], frames[k]) for k in ("api", "cli", "service")]


def markdown(rows: list[ServeRow], clip: Path, model: str, device: str) -> str:
    base = rows[0].seconds
    lines = [f"Device: {device}. {clip.name} with {model}, default options; seconds, best of the repeats, "
             f"against the Python API in the same run.", "",
             "| route | seconds | frames | vs the API |", "|---|---|---|---|"]  # fmt: skip
    lines += [f"| {r.route} | {r.seconds:.2f} | {r.frames} | {100 * (r.seconds / base - 1):+.1f}% |" for r in rows]
    return "\n".join(lines)
