"""`vidgan eval`: translation quality measured offline.

1. judge score: the share of translated A images the judge calls B (for a B->A model, the share called A),
   by the colour judge and by the colour-blind one (judge.py: a recoloured scene passes the first, not the
   second), with its standard error (a test set of 120 images puts a share of 0.7 within about 0.04); and
   the colour-blind one's of the A images greyed before translation (a model that finds the animal by its
   coat's colour loses it on black-and-white footage);
2. judge-FID and judge-KID between translated A and real B in the judge's 64-d feature space, beside the
   same numbers for real A vs real B (the ceiling: no translation at all) and for two halves of real B
   (the floor: as close as two samples of B get). Not comparable with published FID values;
3. cycle reconstruction L1 (pixels in [-1, 1]) and PSNR of F(G(a)) to a, when the reverse model is given;
4. texture and layout: the high-pass energy of G(a) over that of a (a zebra model adds stripes, an
   identity-like one stays near 1), the correlation of heavily blurred grey G(a) and a (the scene kept;
   a broken or random model loses it), and the grid ratio (checkerboard artefacts of the transposed
   convolutions over flat regions: near 1 for none; with its standard error, and each image's shares);
   "target kept": images already of the target domain (testB through horse2zebra) should come out as
   they went in; the mean CIE Lab distance (delta E 1976) of the blurred output to the blurred input says
   how far they are recoloured (0: untouched; about 2.3 is the smallest difference people notice);
   "background shift": the median over the images of each image's median blurred CIE Lab distance between
   input and output: most pixels of a photo of a horse are not horse, so recolouring the scene raises it,
   translating the animal alone leaves it near 0, and close-ups (whose median pixel is the animal) cannot
   dominate it (with the bootstrap standard error of that median); "stripes": the oriented texture energy
   (`stripe_energy`) of the output where the model changed the input (its mask above 0.5, or for an
   unmasked model a blurred Lab distance over 10), beside the input's there and real target images' where
   the reverse model changes them: a zebra2horse that leaves the stripes keeps the input's; a real horse's
   coat has little; "stripes on vegetation": the stripes gained where the input is green (grass, trees:
   no animal's coat), which the background shift's medians do not see, and "sky textured": the share of the
   input's open sky (flat, joined to the top edge) no longer flat, which the grid ratio sees only at its own
   periods (spill.py); "stripes on the coats": the stripes kept where the input has a striped black-and-white
   coat, found in the input alone, so a zebra2horse that leaves a zebra untouched keeps all of its stripes
   there (coat.py);
5. standard FID with the pytorch-fid InceptionV3 when the user has that weights file (`--inception`);
6. for a distilled model (its card names a teacher), the PSNR of its translations to the teacher's;
7. a contact sheet PNG of inputs and outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from vidgan.atomic import atomic_path, write_text
from vidgan.engine.runtime import pick_device
from vidgan.engine.translator import FrameTranslator
from vidgan.eval.animals import load_boxes
from vidgan.eval.coat import coat_figures
from vidgan.eval.distances import frechet_distance, kernel_inception_distance
from vidgan.eval.inception import fid_inception
from vidgan.eval.judge import Judge, image_files, load_images, load_judge
from vidgan.eval.spill import outside_figures, sky_figures, spill_figures
from vidgan.eval.texture import (
    HIGH_PASS_CROP,
    HIGH_PASS_SIGMA,
    grid_figures,
    high_pass_ratio,
    scene_correlation,
    stripe_energy,
)
from vidgan.eval.uncertainty import bootstrap_se, share_se
from vidgan.models.registry import load_model
from vidgan.ops.colour import black_and_white, blurred_lab
from vidgan.ops.fidelity import psnr

EVAL_SIZE = 256  # the scale the models are trained and published at
KEPT_SIGMA = 4.0  # blur before the colour distance: stripes redrawn count less, whole regions recoloured count
CHANGED_LAB = 10.0  # an unmasked model changed a pixel where the blurred Lab distance exceeds this


def lab_distances(source: torch.Tensor, translated: torch.Tensor) -> list[np.ndarray]:
    """Per image, the CIE Lab distance (delta E 1976) of each pixel between the blurred images, (H, W); uint8
    (N, 3, H, W) each."""
    return [np.linalg.norm(blurred_lab(a, KEPT_SIGMA) - blurred_lab(b, KEPT_SIGMA), axis=2)
            for a, b in zip(source, translated, strict=True)]  # fmt: skip


def lab_distance(source: torch.Tensor, translated: torch.Tensor) -> float:
    """Mean CIE Lab distance between the blurred images, over all pixels of all images."""
    return float(np.mean([d.mean() for d in lab_distances(source, translated)]))


def image_shifts(source: torch.Tensor, translated: torch.Tensor) -> list[float]:
    """Per image, its median blurred Lab distance between input and output."""
    return [float(np.median(d)) for d in lab_distances(source, translated)]


def background_shift(source: torch.Tensor, translated: torch.Tensor) -> float:
    """The median over the images of each image's median blurred Lab distance between input and output."""
    return float(np.median(image_shifts(source, translated)))


def shift_figures(source: torch.Tensor, translated: torch.Tensor) -> dict:
    """The background shift, its standard error, and each image's shift (for comparing two models on the same
    images: pipelines/bakeoff_table.py)."""
    shifts = image_shifts(source, translated)
    return {"background_shift": float(np.median(shifts)), "background_shift_se": bootstrap_se(np.median, shifts),
            "image_shifts": shifts}  # fmt: skip


def changed_regions(translator: FrameTranslator, images: torch.Tensor, translated: torch.Tensor) -> list[np.ndarray]:
    """Per image, (H, W) bool: where the model changed it. A masked model says so itself (its mask above
    0.5); for an unmasked one, where the blurred Lab distance of output to input exceeds CHANGED_LAB."""
    if translator.masked:
        masks = [translator.run(images[i : i + 8].permute(0, 2, 3, 1).contiguous().numpy()).cpu().numpy()[..., 3]
                 for i in range(0, len(images), 8)]  # fmt: skip
        return list(np.concatenate(masks) > 127)
    return [d > CHANGED_LAB for d in lab_distances(images, translated)]


def translate_images(translator: FrameTranslator, images: torch.Tensor, batch: int = 8,
                     desc: str | None = None) -> torch.Tensor:  # fmt: skip
    """uint8 (N, 3, H, W) through a generator -> uint8 (N, 3, H, W); with `desc`, a progress bar."""
    out = []
    with tqdm(total=len(images), desc=desc, unit="image", disable=desc is None, dynamic_ncols=True) as bar:
        for i in range(0, len(images), batch):
            nhwc = images[i : i + batch].permute(0, 2, 3, 1).contiguous().numpy()
            out.append(torch.from_numpy(translator(nhwc)).permute(0, 3, 1, 2))
            bar.update(len(nhwc))
    return torch.cat(out)


def contact_sheet(rows: list[torch.Tensor], path: Path, columns: int = 8, thumb: int = 128) -> Path:
    """Rows of uint8 (N, 3, H, W) images, the first `columns` of each, as one PNG."""
    tiles = []
    for images in rows:
        strip = [Image.fromarray(im.permute(1, 2, 0).numpy()).resize((thumb, thumb)) for im in images[:columns]]
        tiles.append(strip)
    sheet = Image.new("RGB", (columns * thumb, len(rows) * thumb), "white")
    for r, strip in enumerate(tiles):
        for c, tile in enumerate(strip):
            sheet.paste(tile, (c * thumb, r * thumb))
    with atomic_path(path, overwrite=True) as tmp:
        sheet.save(tmp)
    return path


def judge_figures(judge: Judge, name: str, fake_b: torch.Tensor, real_a: torch.Tensor, real_b: torch.Tensor,
                  towards_b: bool) -> dict:  # fmt: skip
    """The judge's score of the translations, and its feature distances (translated vs real target, beside
    the ceiling real source vs target and the floor of two halves of the target)."""
    hits = ((judge.logits(fake_b) > 0) == towards_b).int().tolist()  # per image: called the target domain
    feats = {key: judge.features(images) for key, images in (("fake", fake_b), ("a", real_a), ("b", real_b))}
    half = len(feats["b"]) // 2
    pairs = {"translated_vs_real": (feats["fake"], feats["b"]), "ceiling_real_a_vs_real_b": (feats["a"], feats["b"]),
             "floor_real_b_halves": (feats["b"][:half], feats["b"][half:])}  # fmt: skip
    return {"judge": name, "judge_accuracy": judge.card.get("held_out", {}).get("accuracy"),
            "judge_score": float(np.mean(hits)), "judge_hits": hits,
            "judge_fid": {k: frechet_distance(*v) for k, v in pairs.items()},
            "judge_kid": {k: kernel_inception_distance(*v)[0] for k, v in pairs.items()}}  # fmt: skip


def blind_figures(judge: Judge, name: str, translator: FrameTranslator, fake_b: torch.Tensor, real_a: torch.Tensor,
                  real_b: torch.Tensor, towards_b: bool) -> dict:  # fmt: skip
    """The colour-blind judge's score of the translations, and of the translations of the inputs greyed: a
    model that finds the animal by its shape keeps its score on black-and-white footage, one that finds it
    by its coat's colour loses it (docs/quality.md, "Found by its colour")."""
    figures = judge_figures(judge, name, fake_b, real_a, real_b, towards_b)
    from_grey = translate_images(translator, black_and_white(real_a))  # (N, 3, H, W)
    greyed = ((judge.logits(from_grey) > 0) == towards_b).int().tolist()
    score, n = figures["judge_score"], len(real_a)
    return {"judge": name, "accuracy": figures["judge_accuracy"], "score": score, "score_se": share_se(score, n),
            "hits": figures["judge_hits"], "greyed_score": float(np.mean(greyed)),
            "greyed_score_se": share_se(float(np.mean(greyed)), n), "greyed_hits": greyed}  # fmt: skip


def reverse_figures(back: FrameTranslator, name: str, fake_b: torch.Tensor, real_a: torch.Tensor,
                    real_b: torch.Tensor) -> tuple[dict, float, torch.Tensor]:  # fmt: skip
    """Through the reverse model: the cycle's error, and the stripes' reference (real target images where the
    reverse model changes them: their animals); returns (the cycle figures, the reference, F(G(a)))."""
    rec_a = translate_images(back, fake_b, desc=f"back with {name}")
    target_regions = changed_regions(back, real_b, translate_images(back, real_b))
    diff = (rec_a.float() - real_a.float()) / 127.5
    cycle = {"reverse": name, "l1": float(diff.abs().mean()), "psnr_db": psnr(float((diff**2).mean()), peak=2.0)}
    return cycle, stripe_energy(real_b, target_regions), rec_a


def evaluate(model: str, a_dir: str | Path, b_dir: str | Path, judge: str, reverse: str | None = None,
             inception: str | Path | None = None, out_dir: str | Path = "eval", device: str = "auto",
             limit: int | None = None, blind_judge: str | None = None,
             animals: str | Path | None = None) -> dict:  # fmt: skip
    """Evaluate `model` translating the images of a_dir towards domain b_dir; writes eval.json,
    eval.md and contact_sheet.png in out_dir and returns the figures. `blind_judge`: a colour-blind judge
    of the same pair (its score); `animals`: a file of boxes round the animals of a_dir's images
    (vidgan/eval/animals.py), for the stripes drawn outside them."""
    out_dir = Path(out_dir)
    files_a, files_b = image_files(a_dir)[:limit], image_files(b_dir)[:limit]  # before any work or folder
    boxes = load_boxes(animals, [f.stem for f in files_a]) if animals else None
    loaded = load_model(model)
    dev = pick_device(device)
    translator = FrameTranslator(loaded.generator, dev, "fp32")
    real_a, real_b = load_images(files_a, EVAL_SIZE), load_images(files_b, EVAL_SIZE)
    fake_b = translate_images(translator, real_a, desc=f"translating with {model}")
    towards_b = loaded.card.get("direction", "A->B") != "B->A"
    report = {"model": model, "a": str(a_dir), "b": str(b_dir), "images": len(real_a),
              **judge_figures(load_judge(judge), judge, fake_b, real_a, real_b, towards_b)}  # fmt: skip
    report["judge_score_se"] = share_se(report["judge_score"], len(real_a))
    if blind_judge:
        report["blind_judge"] = blind_figures(load_judge(blind_judge), blind_judge, translator, fake_b, real_a,
                                              real_b, towards_b)  # fmt: skip
    changed = changed_regions(translator, real_a, fake_b)
    report["stripes"] = {"translated": stripe_energy(fake_b, changed), "source": stripe_energy(real_a, changed),
                         "changed_share": float(np.mean([r.mean() for r in changed]))}  # fmt: skip
    report["spill"] = spill_figures(real_a, fake_b, changed)
    report["sky"] = sky_figures(real_a, fake_b, changed)
    if boxes is not None:
        report["outside"] = outside_figures(real_a, fake_b, changed, boxes)
    report["coat"] = coat_figures(real_a, fake_b, changed)
    report |= shift_figures(real_a, fake_b)
    scene = scene_correlation(real_a, fake_b)
    report["texture"] = {"high_pass_ratio": high_pass_ratio(real_a, fake_b), **grid_figures(real_a, fake_b),
                         "scene_correlation_mean": float(np.mean(scene)),
                         "scene_correlation_min": min(scene)}  # fmt: skip
    teacher = loaded.card.get("teacher", {})
    if teacher.get("model") and towards_b:  # distilled from it (and perhaps trained on since)
        by_teacher = translate_images(FrameTranslator(load_model(teacher["model"]).generator, dev, "fp32"), real_a,
                                      desc=f"the teacher, {teacher['model']}")  # fmt: skip
        mse = float((((fake_b.float() - by_teacher.float()) / 127.5) ** 2).mean())
        report["teacher"] = {"model": teacher["model"], "psnr_db": psnr(mse, peak=2.0)}
    kept = translate_images(translator, real_b, desc="target domain through it")
    report["target_kept"] = {"lab_distance": lab_distance(real_b, kept), "images": len(real_b)}
    rows = [real_a, fake_b]
    if reverse:
        back = FrameTranslator(load_model(reverse).generator, dev, "fp32")
        report["cycle"], report["stripes"]["target_real"], rec_a = reverse_figures(
            back, reverse, fake_b, real_a, real_b
        )
        rows.append(rec_a)
    if inception:
        report["fid_inception"] = fid_inception(inception, fake_b, real_b, dev)
    out_dir.mkdir(parents=True, exist_ok=True)
    contact_sheet(rows, out_dir / "contact_sheet.png")
    write_text(out_dir / "eval.json", json.dumps(report, indent=2) + "\n")
    write_text(out_dir / "eval.md", markdown(report))
    return report


def _gained_line(what: str, where: str, found: dict, share: float) -> str:
    """A region's stripes gained (vidgan/eval/spill.py) as a markdown line: `what` names the region, `where` how
    it is found."""
    return (f"- {what} ({where}, {share:.0%} of {found['images']} images): translated over input "
            f"**{found['gained']:.2f}** "
            f"(standard error {found['gained_se']:.2f}; 1: nothing drawn there); the model changed "
            f"{found['changed']:.0%} of it")  # fmt: skip


def _stripe_lines(r: dict) -> list[str]:
    """The report's stripes where the model changed the input, on vegetation and on striped coats, and its open sky
    textured, as markdown lines."""
    stripes = r["stripes"]
    line = (f"- stripes (oriented texture energy) where the model changed the input ({stripes['changed_share']:.0%} "
            f"of it): translated {stripes['translated']:.2f}, input {stripes['source']:.2f}")  # fmt: skip
    if "target_real" in stripes:
        line += f", real target images where the reverse model changes them {stripes['target_real']:.2f}"
    lines = [line]
    spill, sky, coat, outside = (r.get(key, {}) for key in ("spill", "sky", "coat", "outside"))
    if spill.get("images"):
        lines.append(_gained_line("stripes on vegetation", "green in the input", spill, spill["vegetation_share"]))
    if sky.get("images"):
        lines.append(f"- open sky textured (flat in the input and joined to its top edge, {sky['sky_share']:.0%} of "
                     f"{sky['images']} images): **{sky['textured']:.2f}** of it no longer flat (standard error "
                     f"{sky['textured_se']:.2f}; 0: left flat); the model changed "
                     f"{sky['changed']:.0%} of it")  # fmt: skip
    if outside.get("images"):
        lines.append(_gained_line("stripes outside the animals", "what no box round an animal holds", outside,
                                  outside["outside_share"]))  # fmt: skip
    if coat.get("images"):
        lines.append(f"- stripes on the coats (striped black-and-white in the input, {coat['share']:.0%} of "
                     f"{coat['images']} images): translated over input **{coat['ratio']:.2f}** (standard error "
                     f"{coat['ratio_se']:.2f}; 1: left as they were, 0: none); the model changed "
                     f"{coat['changed']:.0%} of them")  # fmt: skip
    return lines


def markdown(r: dict) -> str:
    lines = [
        f"# Evaluation of {r['model']}",
        "",
        f"{r['images']} images from {r['a']}, compared with {r['b']}; judge {r['judge']} "
        f"(held-out accuracy {r['judge_accuracy']}).",
        "",
        f"- judge score (share judged as the target domain): **{r['judge_score']:.3f}** "
        f"(standard error {r['judge_score_se']:.3f})",
    ]  # fmt: skip
    if "blind_judge" in r:
        blind = r["blind_judge"]
        lines.append(f"- colour-blind judge score ({blind['judge']}, held-out accuracy {blind['accuracy']}): "
                     f"**{blind['score']:.3f}** (standard error {blind['score_se']:.3f}); of the inputs greyed "
                     f"(black-and-white footage): {blind['greyed_score']:.3f} "
                     f"({blind['greyed_score_se']:.3f})")  # fmt: skip
    lines += _stripe_lines(r)
    lines += [
        f"- background shift (median over images of each one's median blurred Lab distance, input to output): "
        f"**{r['background_shift']:.2f}** (standard error {r['background_shift_se']:.2f}; 0: left as it was)",
        "",
        "| judge feature distance | translated vs real target | ceiling: real source vs target "
        "| floor: two halves of target |",
        "|---|---|---|---|",
    ]  # fmt: skip
    for key, label in (("judge_fid", "judge-FID"), ("judge_kid", "judge-KID")):
        v = r[key]
        lines.append(f"| {label} | {v['translated_vs_real']:.4g} | {v['ceiling_real_a_vs_real_b']:.4g} "
                     f"| {v['floor_real_b_halves']:.4g} |")  # fmt: skip
    t = r["texture"]
    lines += [
        "",
        f"- texture: high-pass energy of G(a) / a {t['high_pass_ratio']:.2f} (centre {HIGH_PASS_CROP} px, "
        f"detail under a {HIGH_PASS_SIGMA:g}-px Gaussian); scene kept: blurred grey correlation "
        f"{t['scene_correlation_mean']:.3f} mean, {t['scene_correlation_min']:.3f} min",
        "",
        f"- grid (checkerboard) in flat regions: {t['grid_ratio']:.2f} (standard error {t['grid_ratio_se']:.2f}) "
        f"of the sources' energy at the 2 and 4 px periods of the generator's upsampling (near 1: no grid)",
    ]
    if "teacher" in r:
        lines += ["", f"- distilled from {r['teacher']['model']}: PSNR of the translations to the teacher's "
                      f"{r['teacher']['psnr_db']:.2f} dB"]  # fmt: skip
    if "target_kept" in r:
        kept = r["target_kept"]["lab_distance"]
        lines += ["", f"- target kept: images of the target domain through the model, mean CIE Lab distance of "
                      f"blurred output to blurred input {kept:.2f} (0: untouched)"]  # fmt: skip
    if "cycle" in r:
        lines += [
            "",
            f"- cycle F(G(a)) vs a: L1 {r['cycle']['l1']:.4f} ([-1, 1] pixels), PSNR {r['cycle']['psnr_db']:.2f} dB",
        ]
    if "fid_inception" in r:
        lines += ["", f"- FID (InceptionV3, pytorch-fid layout): {r['fid_inception']:.2f}"]
    return "\n".join(lines) + "\n"
