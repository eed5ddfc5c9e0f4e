"""The runner: stages connected by bounded queues, each group of stages in its own thread.

    source ──q──▶ [stage, stage] ──q──▶ [stage] ──q──▶ [sink]
    (thread)        (thread)            (thread)       (thread)

Every stage has the same interface: `feed(record)` returns the records it has ready (none, while it
gathers a batch or holds one back), `flush()` returns the rest at the end. The queues are bounded, so
memory stays flat for a clip of any length and the slowest stage sets the pace. Threads, not processes:
PyAV, swscale, OpenCV and PyTorch release the GIL while they work, and a frame passed between threads is
not copied (a process would copy every frame twice).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Sequence
from typing import Protocol

from vidgan.pipeline.record import FrameRecord


class Stage(Protocol):
    def feed(self, record: FrameRecord) -> list[FrameRecord]: ...

    def flush(self) -> list[FrameRecord]: ...


class _Stop(Exception):
    """Raised inside a thread when the pipeline is being torn down."""


_END = object()  # after the last record


def _through(stages: Sequence[Stage], records: list[FrameRecord]) -> list[FrameRecord]:
    for stage in stages:
        records = [out for record in records for out in stage.feed(record)]
    return records


def _flush(stages: Sequence[Stage]) -> list[FrameRecord]:
    """Each stage in turn takes what the earlier ones let go at the end, then lets go of its own."""
    records: list[FrameRecord] = []
    for stage in stages:
        records = [out for record in records for out in stage.feed(record)] + stage.flush()
    return records


class _Thread(threading.Thread):
    """A pipeline thread that hands its exception to the main thread (`errors`, in the order they happened)
    and stops the others."""

    def __init__(self, work, name: str, stop: threading.Event, errors: list[BaseException]) -> None:
        super().__init__(name=name, daemon=True)
        self.work, self.stop, self.errors = work, stop, errors

    def run(self) -> None:
        try:
            self.work()
        except _Stop:
            pass
        except BaseException as e:
            self.errors.append(e)  # list.append is atomic
            self.stop.set()


def _put(q: queue.Queue, item: object, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            pass
    raise _Stop


def _get(q: queue.Queue, stop: threading.Event) -> object:
    while not stop.is_set():
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            pass
    raise _Stop


def run_stages(source: Iterable[FrameRecord], groups: Sequence[Sequence[Stage]], queue_size: int) -> None:
    """Run `source` into the groups of stages, each group in its own thread, until the last record has
    left the last group (whose last stage, the sink, passes nothing on). Re-raises the first error of any
    thread; on Ctrl-C (or any error) every thread stops before this returns."""
    stop = threading.Event()
    errors: list[BaseException] = []
    queues = [queue.Queue(maxsize=queue_size) for _ in groups]

    def produce() -> None:
        for record in source:
            _put(queues[0], record, stop)
        _put(queues[0], _END, stop)

    def consume(i: int) -> None:
        stages, inbox, last = groups[i], queues[i], i + 1 == len(groups)
        while (record := _get(inbox, stop)) is not _END:
            for out in _through(stages, [record]):
                _put(queues[i + 1], out, stop)
        for out in _flush(stages):
            _put(queues[i + 1], out, stop)
        if not last:
            _put(queues[i + 1], _END, stop)

    threads = [_Thread(produce, "vidgan-source", stop, errors)]
    threads += [_Thread(lambda i=i: consume(i), f"vidgan-stage-{i}", stop, errors) for i in range(len(groups))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.1)
                if stop.is_set():
                    break
    except BaseException:  # Ctrl-C in the main thread
        stop.set()
        raise
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
