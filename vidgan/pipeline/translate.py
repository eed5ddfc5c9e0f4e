"""Translate, the stage that runs the generator (engine/translator.py's FrameTranslator): batches of records'
inputs through it on the chosen device, and Download, which brings the results to host memory."""

from __future__ import annotations

import time

import torch

from vidgan.engine.translator import FrameTranslator
from vidgan.pipeline.progress import Progress
from vidgan.pipeline.record import FrameRecord, OnTheWay


class Translate:
    """Stage: gathers records into batches and sends their inputs through the generator; each record leaves
    with its output where the generator left it (on a GPU: there, still being computed)."""

    def __init__(self, translator: FrameTranslator, batch_size: int, crop: tuple[int, int],
                 progress: Progress | None = None) -> None:  # fmt: skip
        self.translator, self.batch_size, self.crop, self.progress = translator, batch_size, crop, progress
        self._batch: list[FrameRecord] = []
        self._timed = progress is None

    def feed(self, record: FrameRecord) -> list[FrameRecord]:
        self._batch.append(record)
        return self._run() if len(self._batch) == self.batch_size else []

    def flush(self) -> list[FrameRecord]:
        return self._run() if self._batch else []

    def _run(self) -> list[FrameRecord]:
        batch, self._batch = self._batch, []
        if self.progress is not None:
            self.progress.check()
        started = time.perf_counter()
        outputs = self.translator.run([r.source for r in batch], self.crop)
        if not self._timed:  # the first batch, timed alone (warm-up included) for the estimate up front
            self._timed = True
            if self.translator.cuda:
                torch.cuda.synchronize(self.translator.device)
            self.progress.estimate((time.perf_counter() - started) / len(batch), self.translator.device.type,
                                   self.translator.advice)  # fmt: skip
        for record, output in zip(batch, outputs):
            record.output = output
        return batch


class Download:
    """Stage: outputs to host memory. From a GPU, an asynchronous copy into pinned memory that the encoder
    waits for when it needs the frame, so several batches are in flight; on the CPU, a view."""

    def feed(self, record: FrameRecord) -> list[FrameRecord]:
        output = record.output
        if output.device.type == "cuda":
            host = torch.empty(output.shape, dtype=torch.uint8, pin_memory=True)
            host.copy_(output, non_blocking=True)
            done = torch.cuda.Event(blocking=True)
            done.record()
            record.output = OnTheWay(host, done)
        else:
            record.output = output.cpu().numpy()
        return [record]

    def flush(self) -> list[FrameRecord]:
        return []
