"""`vidgan bench-reliability`: a bounded load on a real `vidgan serve` (its own process, on 127.0.0.1), then
Ctrl-C; what it did and what it left.

N clients each submit small jobs (the sample clip, a short part, a small size) with bad requests mixed in:
an unknown option, a start past the clip's end, a text file, a working size over the server's limit; each
client cancels one of its jobs while it runs; one slow client opens an upload and stalls. Meanwhile the
status route is timed. At the end, SIGINT, as Ctrl-C sends it. Printed: jobs done, refusals and whether
each had the expected code, the status route's mean and worst latency under the load, the server's memory
(RSS) before and after, the files left in its work folder after it exited (must be 0) and how long the exit
took.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BAD_REQUESTS = (  # fields, expected status
    ({"colour": "blue"}, 400),
    ({"start": "99"}, 400),
    ({"size": "4000"}, 400),
    (None, 415),  # a text file
)

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)


@dataclass
class Tally:
    done: int = 0
    failed: int = 0
    cancelled: int = 0
    refused: dict[int, int] = field(default_factory=dict)  # status -> count
    wrong: list[str] = field(default_factory=list)  # refusals with another code than expected
    latencies: list[float] = field(default_factory=list)  # seconds of GET /api/jobs/ID
    lock: threading.Lock = field(default_factory=threading.Lock)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _client(url: str, clip: Path, junk: Path, model: str, jobs: int, tally: Tally) -> None:
    import httpx

    def status(job_id: str) -> dict:
        started = time.perf_counter()
        answer = httpx.get(f"{url}/api/jobs/{job_id}", timeout=60).json()
        with tally.lock:
            tally.latencies.append(time.perf_counter() - started)
        return answer

    ids = []
    for i in range(jobs):
        fields = {"model": model, "size": "64", "duration": "2"}
        with open(clip, "rb") as f:
            answer = httpx.post(f"{url}/api/jobs", files={"file": ("clip.mp4", f)}, data=fields, timeout=60)
        if answer.status_code == 202:
            ids.append(answer.json()["id"])
        else:
            with tally.lock:
                tally.refused[answer.status_code] = tally.refused.get(answer.status_code, 0) + 1
        bad, expected = BAD_REQUESTS[i % len(BAD_REQUESTS)]
        with open(junk if bad is None else clip, "rb") as f:
            answer = httpx.post(f"{url}/api/jobs", files={"file": ("x.mp4", f)}, data={"model": model, **(bad or {})},
                                timeout=60)  # fmt: skip
        with tally.lock:
            tally.refused[answer.status_code] = tally.refused.get(answer.status_code, 0) + 1
            if answer.status_code != expected:
                tally.wrong.append(f"{bad}: {answer.status_code} (expected {expected})")
    if ids:  # cancel one while it runs (or waits)
        httpx.delete(f"{url}/api/jobs/{ids.pop(0)}", timeout=60)
        with tally.lock:
            tally.cancelled += 1
    for job_id in ids:
        while (answer := status(job_id))["status"] in ("queued", "running"):
            time.sleep(0.2)
        with tally.lock:
            tally.done += answer["status"] == "done"
            tally.failed += answer["status"] == "failed"


def _slow_client(port: int, stop: threading.Event) -> None:
    """Opens an upload, sends a little, stalls (the server's upload timeout drops it)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"POST /api/uploads HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: multipart/form-data; boundary=x"
                  b"\r\ncontent-length: 5000000\r\n\r\n--x\r\n")  # fmt: skip
        stop.wait()


def run_reliability(clip: Path, model: str, clients: int = 4, jobs: int = 5) -> dict:
    from vidgan.web.app import require_web

    require_web()
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        work, port = Path(tmp) / "work", _free_port()
        junk = Path(tmp) / "notes.txt"
        junk.write_text("not a video\n" * 100)
        url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "vidgan", "serve", "--port", str(port), "--work-dir", str(work),
                   "--max-queued", str(clients * jobs), "--upload-timeout", "5s"]  # fmt: skip
        server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        try:
            while True:
                try:
                    httpx.get(f"{url}/api/models", timeout=5)
                    break
                except httpx.TransportError:
                    if server.poll() is not None:
                        raise RuntimeError(f"the server did not start: {server.stderr.read()}") from None
                    time.sleep(0.1)
            before = _rss_mb(server.pid)
            tally, stop = Tally(), threading.Event()
            slow = threading.Thread(target=_slow_client, args=(port, stop), daemon=True)
            slow.start()
            threads = [threading.Thread(target=_client, args=(url, clip, junk, model, jobs, tally))
                       for _ in range(clients)]  # fmt: skip
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            load_seconds = time.perf_counter() - started
            after = _rss_mb(server.pid)
            say(f"load over in {load_seconds:.1f} s; Ctrl-C")
            stopping = time.perf_counter()
            server.send_signal(signal.SIGINT)
            server.wait()
            exit_seconds = time.perf_counter() - stopping
            stop.set()
        finally:
            if server.poll() is None:
                server.kill()
        left = sum(len(files) for _, _, files in os.walk(work)) if work.exists() else 0
    latencies = sorted(tally.latencies)
    return {"clients": clients, "jobs_per_client": jobs, "done": tally.done, "failed": tally.failed,
            "cancelled": tally.cancelled, "refused": tally.refused, "wrong_codes": tally.wrong,
            "status_mean_ms": 1000 * sum(latencies) / max(1, len(latencies)),
            "status_worst_ms": 1000 * (latencies[-1] if latencies else float("nan")),
            "status_requests": len(latencies), "rss_before_mb": before, "rss_after_mb": after,
            "files_left": left, "exit_seconds": exit_seconds, "exit_code": server.returncode,
            "load_seconds": load_seconds}  # fmt: skip


def markdown(r: dict, clip: Path, model: str) -> str:
    refused = ", ".join(f"{n} x {code}" for code, n in sorted(r["refused"].items())) or "none"
    lines = [f"{r['clients']} clients x {r['jobs_per_client']} jobs ({clip.name}, {model}, size 64, 2 s), a bad "
             f"request beside each, a cancel each, one stalled upload; then Ctrl-C.", "",
             "| figure | value |", "|---|---|",
             f"| jobs done / failed / cancelled | {r['done']} / {r['failed']} / {r['cancelled']} |",
             f"| refused (status x count) | {refused} |",
             f"| refusals with another code than expected | {len(r['wrong_codes'])} |",
             f"| GET /api/jobs/ID under the load: mean, worst ({r['status_requests']} requests) | "
             f"{r['status_mean_ms']:.0f} ms, {r['status_worst_ms']:.0f} ms |",
             f"| server memory before, after the load | {r['rss_before_mb']:.0f} MB, {r['rss_after_mb']:.0f} MB |",
             f"| files left after shutdown | {r['files_left']} |",
             f"| time to exit after Ctrl-C (exit status {r['exit_code']}) | {r['exit_seconds']:.2f} s |"]  # fmt: skip
    return "\n".join(lines)
