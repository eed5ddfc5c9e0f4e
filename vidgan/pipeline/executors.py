"""Who runs a plan's units, behind one interface (`run(plan, model, options, listener) -> results`): this
process, unit after unit (`Local`), or Ray tasks on a cluster (`OnRay`, pipeline/ray.py). The Python API and
the server choose one here, and only here."""

from __future__ import annotations

import os
from collections.abc import Callable

from torch import nn

from vidgan.engine.translator import FrameTranslator, make_translator
from vidgan.errors import VidganError
from vidgan.models.checkpoints import LoadedModel
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.plan import Plan, plan_job, run_plan
from vidgan.pipeline.progress import Listener
from vidgan.pipeline.ray import LONG_CLIPS, RayOptions, translate_on_ray
from vidgan.pipeline.record import Result

TranslatorFor = Callable[[LoadedModel, TranslateOptions], FrameTranslator]


def new_translator(model: LoadedModel, options: TranslateOptions) -> FrameTranslator:
    return make_translator(model.generator, options)


class Local:
    """In this process; `translator_for` makes (or reuses: the server keeps one per model and worker) the
    translator; `advice`, a faster way, goes into a long run's estimate on a CPU."""

    long_clips = None  # one process translates a long clip in one piece unless --segment says otherwise

    def __init__(self, translator_for: TranslatorFor = new_translator, advice: str | None = None) -> None:
        self.translator_for, self.advice = translator_for, advice

    def run(self, plan: Plan, model: LoadedModel, options: TranslateOptions,
            listener: Listener | None = None) -> list[Result]:  # fmt: skip
        translator = self.translator_for(model, options)
        if translator.device.type == "cpu":
            translator.advice = self.advice
        return run_plan(plan, translator, options, listener)


class OnRay:
    """As Ray tasks, one per file or segment (pipeline/ray.py)."""

    long_clips = LONG_CLIPS  # clips this long go in segments on a cluster

    def __init__(self, ray: RayOptions) -> None:
        self.ray = ray

    def run(self, plan: Plan, model: LoadedModel, options: TranslateOptions,
            listener: Listener | None = None) -> list[Result]:  # fmt: skip
        return translate_on_ray(plan, model, options, self.ray, listener)


def executor_for(ray: RayOptions | None, translator_for: TranslatorFor = new_translator,
                 advice: str | None = None) -> Local | OnRay:  # fmt: skip
    return OnRay(ray) if ray is not None else Local(translator_for, advice)


def run_job(src: str | os.PathLike, dst: str | os.PathLike | None, model: LoadedModel | nn.Module,
            options: TranslateOptions, recursive: bool = False, ray: RayOptions | None = None,
            listener: Listener | None = None, advice: str | None = None) -> list[Result]:  # fmt: skip
    """A translation job from start to end: planned and checked once (plan.py), run by the executor `ray`
    asks for; a single file's failure raises. What vidgan.api.translate runs once it has the model."""
    if isinstance(model, nn.Module):
        model = LoadedModel(type(model).__name__.lower(), model)
    executor = executor_for(ray, advice=advice)
    plan = plan_job(src, dst, model.name, options, recursive, executor.long_clips)
    results = executor.run(plan, model, options, listener)
    if not plan.folder and results[0].error:
        raise VidganError(results[0].error)
    for result in results:
        result.notices[:0] = model.notices
    return results
