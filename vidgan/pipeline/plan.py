"""What one call translates, planned and checked once, then run by one executor.

`plan_job` turns a job (a clip, an image, or a folder of both) into a `Plan`: for each file its output and
either a result known before any work (the output exists: skipped; the input or output is refused: its
error) or the units to run, a whole file or the missing segments of a clip in segments. Every check happens
there, before any work, and nothing is written. An executor then runs the units:

- `run_plan`, here in this process, one unit after another (the CLI, the Python API, the web server's queue);
- `vidgan.pipeline.ray.translate_on_ray`, as Ray tasks.

Both make the plan's folders first (`Plan.prepared`), hand each unit to `run_unit`, and end with
`Plan.result_of` for each file (a clip in segments joined), in order. Progress reaches whoever watches
through one listener (pipeline/progress.py): the frames done, as the bars count them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from vidgan.atomic import check_output_path
from vidgan.engine.translator import FrameTranslator
from vidgan.errors import VidganError
from vidgan.pipeline.clip import Target, expected_frames, plan_clip_target, probe_input, run_clip
from vidgan.pipeline.files import default_output, folder_jobs, is_image, translate_image
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.progress import Listener, Progress
from vidgan.pipeline.record import Result
from vidgan.pipeline.segments import SegmentedClip, join_clip, plan_clip, translate_segment
from vidgan.video.decode import VideoInfo
from vidgan.video.segments import Segment


@dataclass(frozen=True, eq=False)  # each unit is itself: results are kept by unit
class Unit:
    """One piece of work: a whole clip (probed, with its target), an image, or one segment of a clip."""

    src: Path
    dst: Path
    info: VideoInfo | None = None  # a clip's, probed at planning (None: an image)
    target: Target | None = None  # a whole clip's run
    clip: SegmentedClip | None = None  # a segment's clip ...
    segment: Segment | None = None  # ... and the segment

    @property
    def writes(self) -> Path:
        """The file this unit writes (a segment's part, else the output)."""
        return self.clip.part(self.segment) if self.clip else self.dst

    def expected_frames(self) -> int:
        """About how many frames it translates (an image counts one), for the bars and the server."""
        if self.info is None:
            return 1
        span = self.segment.span(self.info) if self.segment else self.target.span
        return expected_frames(self.info, span) or 0


@dataclass
class FilePlan:
    src: Path
    dst: Path
    result: Result | None = None  # known before any work: skipped, or refused
    units: list[Unit] = field(default_factory=list)
    clip: SegmentedClip | None = None  # where the file is translated in segments


@dataclass
class Plan:
    files: list[FilePlan]
    model: str  # the model's name (a rerun reuses a segmented clip's parts only when made by the same)
    out_dir: Path | None = None  # a folder job's output folder

    @property
    def folder(self) -> bool:
        return self.out_dir is not None

    @property
    def units(self) -> list[Unit]:
        return [u for f in self.files for u in f.units]

    def expected_frames(self) -> int:
        return sum(u.expected_frames() for u in self.units)

    @contextlib.contextmanager
    def prepared(self) -> Iterator[None]:
        """The folders the outputs go to, and the parts folders of clips in segments, made before the first
        unit runs; at the end (Ctrl-C included) the folders made here that are still empty are removed."""
        folders = {self.out_dir / sub for f in self.files for sub in f.dst.relative_to(self.out_dir).parents} \
            if self.out_dir else set()  # fmt: skip
        made = sorted(folder for folder in folders if not folder.exists())  # a parent before its subfolders
        try:
            for folder in made:
                folder.mkdir(exist_ok=True)
            for f in self.files:
                if f.clip is not None and f.units:
                    f.clip.prepare()
            yield
        finally:
            for folder in reversed(made):  # deepest first
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()

    def result_of(self, f: FilePlan, done: dict[Unit, Result], options: TranslateOptions) -> Result:
        """A file's result once its units are done: known, its unit's, or for a clip in segments the join of
        its parts (done here, once)."""
        if f.result is not None:
            return f.result
        if f.clip is None:
            return done[f.units[0]]
        parts = [done[u] for u in f.units if u in done]
        failed = [r.error for r in parts if r.error]
        if failed:
            return Result(f.src, f.dst, error=f"{failed[0]} (the finished segments are kept: a rerun resumes)")
        try:
            result = join_clip(f.clip, options, seconds=sum(r.seconds for r in parts))
        except VidganError as e:
            return Result(f.src, f.dst, error=str(e))
        result.notices += [n for r in parts for n in r.notices if n not in result.notices]
        return result


def checked_folder_jobs(src_dir: Path, out_dir: Path, recursive: bool, model: str = "") -> list[tuple[Path, Path]]:
    """`folder_jobs`, refused where there is nothing to do or nowhere to write."""
    if out_dir.resolve() == src_dir.resolve():
        raise VidganError("the output folder is the input folder: choose another")
    jobs = folder_jobs(src_dir, out_dir, recursive, model)
    if not jobs:
        raise VidganError(f"no videos or images in {src_dir}" + ("" if recursive else " (use -r for subfolders)"))
    if not out_dir.parent.is_dir():
        raise VidganError(f"output folder's parent does not exist: {out_dir.parent}")
    return jobs


def _plan_file(src: Path, dst: Path, options: TranslateOptions, model: str, folder_made: bool,
               long_clips: tuple[float, float] | None) -> FilePlan:  # fmt: skip
    """A file's plan; raises VidganError where it is refused."""
    if is_image(src):
        check_output_path(dst, options.overwrite, src, folder_made)
        return FilePlan(src, dst, units=[Unit(src, dst)])
    check_output_path(dst, options.overwrite, src, folder_made)
    info = probe_input(src, options)
    length = options.segment
    if length is None and long_clips is not None and (info.duration or 0.0) > long_clips[0]:
        length = long_clips[1]
    if length is None:
        _, target = plan_clip_target(src, dst, options, folder_made, info)
        return FilePlan(src, dst, units=[Unit(src, dst, info, target)])
    clip = plan_clip(src, dst, replace(options, segment=length), model, folder_made, info)
    return FilePlan(src, dst, units=[Unit(src, dst, info, clip=clip, segment=s) for s in clip.missing()], clip=clip)


def plan_job(src: str | Path, dst: str | Path | None, model: str, options: TranslateOptions, recursive: bool = False,
             long_clips: tuple[float, float] | None = None) -> Plan:  # fmt: skip
    """Plan a file or a folder (see the module's docstring); `dst` None: the default output (`clip_MODEL.mp4`
    in the current folder, `FOLDER_MODEL` beside a folder). A refused single file raises VidganError; in a
    folder, a refused file is recorded and the others go on. `long_clips` (seconds, segment length): clips
    longer than that go in segments of that length even without --segment (a cluster's choice)."""
    src = Path(src)
    if not src.exists():
        raise VidganError(f"input not found: {src}")
    if not src.is_dir():
        # The default output is named as a user would name it; a cluster's workers may run in another folder.
        dst = Path(dst) if dst else default_output(src, model).absolute() if long_clips else default_output(src, model)
        return Plan([_plan_file(src, dst, options, model, False, long_clips)], model)
    out_dir = Path(dst) if dst else src.with_name(f"{src.name}_{model}")
    return plan_files(checked_folder_jobs(src, out_dir, recursive, model), out_dir, model, options, long_clips)


def plan_files(pairs: list[tuple[Path, Path]], out_dir: Path, model: str, options: TranslateOptions,
               long_clips: tuple[float, float] | None = None) -> Plan:  # fmt: skip
    """(input, output) pairs, the outputs under `out_dir`, planned as a folder's files are: an output that
    exists is skipped, a refused file recorded."""
    files = []
    for src, dst in pairs:
        if dst.exists() and not options.overwrite:
            files.append(FilePlan(src, dst, Result(src, dst, skipped=True)))
            continue
        try:
            files.append(_plan_file(src, dst, options, model, True, long_clips))
        except VidganError as e:
            files.append(FilePlan(src, dst, Result(src, dst, error=str(e))))
    return Plan(files, model, out_dir)


def run_unit(unit: Unit, translator: FrameTranslator, options: TranslateOptions, bar_position: int = 0,
             listener: Listener | None = None) -> Result:  # fmt: skip
    """Run one unit of a prepared plan; raises VidganError on bad input found only now (a break in a clip)."""
    if unit.info is None:
        result = translate_image(unit.src, unit.dst, translator, options)
        if listener is not None:
            listener(1)
        return result
    if unit.segment is not None:
        return translate_segment(unit.clip, unit.segment, translator, options, bar_position, unit.info, listener)
    return run_clip(unit.src, unit.dst, unit.info, unit.target, translator, options, bar_position, listener=listener)


def run_plan(plan: Plan, translator: FrameTranslator, options: TranslateOptions,
             listener: Listener | None = None) -> list[Result]:  # fmt: skip
    """Run a plan in this process, unit after unit; a folder's bar counts files (notices are written as each
    finishes), a failed file is recorded and the others go on. A single file's failure raises."""
    done: dict[Unit, Result] = {}
    results = []
    overall = Progress(len(plan.files), "all files", options.quiet, unit="file") if plan.folder else None
    try:
        with plan.prepared():
            for f in plan.files:
                for unit in f.units:
                    try:
                        done[unit] = run_unit(unit, translator, options, 1 if plan.folder else 0, listener)
                    except VidganError as e:
                        if not plan.folder:
                            raise
                        done[unit] = Result(unit.src, unit.dst, error=str(e))
                        break  # a clip in segments stops at its first failed part
                results.append(plan.result_of(f, done, options))
                if overall is not None:
                    for notice in results[-1].notices:
                        overall.note(f"{f.src.name}: {notice}")
                    overall.update()
    finally:
        if overall is not None:
            overall.close()
    return results
