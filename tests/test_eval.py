"""vidgan eval: the distances by hand, the judge on the real test splits, the Inception layout, the command."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from vidgan.cli import main
from vidgan.eval.distances import frechet_distance, kernel_inception_distance
from vidgan.eval.inception import FIDInceptionV3
from vidgan.eval.judge import JudgeConfig, load_images, load_judge, train_judge
from vidgan.models.checkpoints import save_generator
from vidgan.models.nets import GeneratorConfig, ResnetGenerator
from vidgan.models.registry import shipped_dir

SHIPPED_JUDGE = "horse-vs-zebra"


def test_frechet_distance_by_hand():
    # 1-D: means 1 and 2, sample variances 2 and 2: (1 - 2)^2 + 2 + 2 - 2 sqrt(2 * 2) = 1
    assert frechet_distance(np.array([[0.0], [2.0]]), np.array([[1.0], [3.0]])) == pytest.approx(1.0)
    # 2-D, diagonal covariances diag(2, 8) and diag(8, 2); means (0, 0) and (1, 0):
    # 1 + (2 + 8) + (8 + 2) - 2 (sqrt(16) + sqrt(16)) = 5
    f1 = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]]) * np.sqrt([1.5, 6.0])
    f2 = np.array([[2.0, 0.5], [-2.0, -0.5], [2.0, -0.5], [-2.0, 0.5]]) * np.sqrt([1.5, 6.0]) + [1.0, 0.0]
    assert frechet_distance(f1, f2) == pytest.approx(5.0)
    x = np.random.default_rng(0).normal(size=(50, 3))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)


def test_kid_by_hand():
    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 2.0]])

    def k(a, b):
        return (a @ b / 2 + 1) ** 3

    m = 3
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    mean, std = kernel_inception_distance(x, y, subset_size=3, subsets=5)
    assert mean == pytest.approx(xx + yy - 2 * xy) and std == pytest.approx(0.0, abs=1e-12)


def test_inception_layout_with_random_weights(tmp_path):
    """The pytorch-fid layout, random weights (never downloaded): a file in that layout loads and gives
    FID 0 for identical sets and more for different ones."""
    from vidgan.eval.inception import fid_inception, inception_features, load_inception

    torch.manual_seed(0)
    path = tmp_path / "pt_inception.pth"
    torch.save(FIDInceptionV3().state_dict(), path)
    rng = np.random.default_rng(0)
    a = torch.from_numpy(rng.integers(0, 255, (2, 3, 32, 32), dtype=np.uint8))
    b = torch.from_numpy(rng.integers(0, 100, (2, 3, 32, 32), dtype=np.uint8))
    net = load_inception(path)
    fa = inception_features(net, a, torch.device("cpu"))
    assert fa.shape == (2, 2048)
    assert frechet_distance(fa, fa) == pytest.approx(0.0, abs=1e-6)
    assert fid_inception(path, a, b, torch.device("cpu")) > 0
    keys = FIDInceptionV3().state_dict().keys()
    assert "Mixed_7c.branch3x3dbl_3b.bn.running_var" in keys and "fc.weight" in keys


def dark_and_bright(tmp_path) -> dict:
    """Two easy synthetic domains, A dark and B bright: {split: folder} of trainA/trainB (24 images) and
    testA/testB (8), 64 px."""
    rng = np.random.default_rng(0)
    folders = {}
    for split in ("trainA", "trainB", "testA", "testB"):
        folder = tmp_path / split
        folder.mkdir()
        for i in range(24 if split.startswith("train") else 8):
            base = rng.integers(0, 120, (8, 8, 3)).astype(np.uint8)
            if split.endswith("B"):
                base = base + 120  # B is bright
            Image.fromarray(base).resize((64, 64)).save(folder / f"{i}.png")
        folders[split] = folder
    return folders


def bright_judge(tmp_path, folders: dict, grey: bool = False) -> str:
    path = train_judge(folders["trainA"], folders["trainB"], folders["testA"], folders["testB"], "bright",
                       tmp_path / "judges", JudgeConfig(epochs=4, batch_size=8, grey=grey))  # fmt: skip
    return str(path)


def test_judge_training_and_eval_command(tmp_path):
    """A judge learns two easy synthetic domains; eval runs end to end with it."""
    folders = dark_and_bright(tmp_path)
    path = bright_judge(tmp_path, folders)
    judge = load_judge(path)
    assert judge.card["held_out"]["accuracy"] >= 0.9
    model = save_generator(ResnetGenerator(GeneratorConfig(ngf=4, n_blocks=1)), tmp_path / "g.safetensors")
    animals = tmp_path / "animals.json"  # an "animal" in the top left quarter of each picture
    animals.write_text(json.dumps({"format": "vidgan animal boxes", "version": 1,
                                   "images": {str(i): [[0, 0, 0.5, 0.5]] for i in range(8)}}))  # fmt: skip
    result = CliRunner().invoke(main, ["eval", "-m", str(model), "--a", str(folders["testA"]), "--b",
                                       str(folders["testB"]), "--judge", path, "--blind-judge", path, "--reverse",
                                       str(model), "--animals", str(animals), "-o", str(tmp_path / "eval"),
                                       "--device", "cpu"])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "eval" / "eval.json").read_text())
    assert 0 <= report["judge_score"] <= 1 and "cycle" in report
    p = report["judge_score"]
    assert report["judge_score_se"] == pytest.approx((p * (1 - p) / 8) ** 0.5) and report["background_shift_se"] >= 0
    assert len(report["judge_hits"]) == len(report["image_shifts"]) == 8 and np.mean(report["judge_hits"]) == p
    assert len(report["blind_judge"]["greyed_hits"]) == 8 and "of the inputs greyed" in result.output
    assert report["judge_fid"]["ceiling_real_a_vs_real_b"] > report["judge_fid"]["floor_real_b_halves"]
    assert (tmp_path / "eval" / "contact_sheet.png").is_file() and "judge-FID" in result.output
    assert all("images" in report[region] for region in ("spill", "sky", "coat"))
    assert report["outside"]["images"] == 8 and "stripes outside the animals" in result.output


@pytest.fixture
def h2z(shared_data):
    return shared_data / "horse2zebra"


class Brighten(torch.nn.Module):
    """Turns pixels nearly white: every pixel, or (keyed) only those redder than they are blue."""

    def __init__(self, keyed: bool) -> None:
        super().__init__()
        self.keyed = keyed

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 3, H, W) in [-1, 1]
        where = (x[:, :1] - x[:, 2:3] > 0.1).to(x.dtype) if self.keyed else torch.ones_like(x[:, :1])
        return torch.lerp(x, torch.ones_like(x), 0.9 * where)


def test_the_score_of_greyed_inputs_finds_a_model_that_keys_on_colour(tmp_path):
    """blind_figures: translations of the inputs greyed are judged too. A model that changes only reddish pixels
    passes on reddish inputs and fails on the same inputs in black and white; one that changes every pixel
    passes on both."""
    from vidgan.engine.translator import FrameTranslator
    from vidgan.eval.quality import blind_figures, translate_images
    from vidgan.eval.uncertainty import share_se

    folders = dark_and_bright(tmp_path)
    judge = load_judge(bright_judge(tmp_path, folders, grey=True))
    reddish = torch.tensor([90, 40, 30], dtype=torch.uint8).view(1, 3, 1, 1).expand(6, 3, 64, 64).contiguous()
    real_b = load_images(sorted(folders["testB"].iterdir()), 64)
    scores = {}
    for keyed in (True, False):
        translator = FrameTranslator(Brighten(keyed), torch.device("cpu"))
        fake = translate_images(translator, reddish)
        scores[keyed] = blind_figures(judge, "bright", translator, fake, reddish, real_b, towards_b=True)
    assert scores[True]["score"] == scores[False]["score"] == scores[False]["greyed_score"] == 1.0
    assert scores[True]["greyed_score"] == 0.0 and scores[True]["greyed_hits"] == [0] * 6
    assert scores[True]["greyed_score_se"] == share_se(0.0, 6) and len(scores[False]["hits"]) == 6


def test_shipped_judge_separates_the_real_test_splits(h2z):
    judge = load_judge(SHIPPED_JUDGE)
    assert judge.card["held_out"]["accuracy"] >= 0.95
    horses = load_images(sorted((h2z / "testA").iterdir()), 256)
    zebras = load_images(sorted((h2z / "testB").iterdir()), 256)
    assert judge.share_b(horses) <= 0.10  # an identity "translation" of testA is not zebra
    assert judge.share_b(zebras) >= 0.90
    accuracy = ((judge.logits(horses) <= 0).sum() + (judge.logits(zebras) > 0).sum()) / (len(horses) + len(zebras))
    assert accuracy >= 0.95


def test_shipped_judge_is_listed_apart_from_generators():
    assert (shipped_dir() / f"{SHIPPED_JUDGE}.safetensors").is_file()
    result = CliRunner().invoke(main, ["models"])
    assert SHIPPED_JUDGE not in result.output.split("official:")[0].split("\n")[0]


def test_eval_of_an_empty_folder_leaves_no_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["eval", "-m", "horse2zebra", "--a", str(tmp_path / "empty"), "--b",
                                       str(tmp_path / "empty"), "-o", str(tmp_path / "eval")])  # fmt: skip
    assert result.exit_code == 1 and "no images" in result.output
    assert not (tmp_path / "eval").exists()


def test_standard_errors_of_the_scores():
    """A share's binomial error; the bootstrap error of a median grows with the spread, does not move between
    calls (a fixed seed), and for two models on the same images is far smaller paired than apart."""
    from vidgan.eval.uncertainty import bootstrap_se, share_se

    assert share_se(0.7, 120) == pytest.approx(0.0418, abs=1e-4) and share_se(1.0, 120) == 0
    rng = np.random.default_rng(1)
    narrow, wide = rng.normal(2, 0.5, 120), rng.normal(2, 2.0, 120)
    assert bootstrap_se(np.median, [3.0] * 50) == 0
    assert 0 < bootstrap_se(np.median, narrow) < bootstrap_se(np.median, wide) == bootstrap_se(np.median, wide)
    assert bootstrap_se(np.median, wide) == pytest.approx(2.0 * 1.2533 / 120**0.5, rel=0.3)  # sqrt(pi/2) sigma/sqrt(n)
    other = wide + 0.3 + rng.normal(0, 0.1, 120)  # a second model: the same images' figures, moved a little
    paired = bootstrap_se(lambda x, y: np.median(x) - np.median(y), other, wide)
    assert paired < bootstrap_se(np.median, wide) / 3


def smooth_scenes(n: int) -> torch.Tensor:
    """n smooth synthetic scenes, uint8 (n, 3, 128, 128): flat regions everywhere."""
    import cv2

    rng = np.random.default_rng(0)
    scenes = np.stack([cv2.resize(rng.integers(40, 220, (6, 6, 3), dtype=np.uint8), (128, 128),
                                  interpolation=cv2.INTER_CUBIC) for _ in range(n)])  # fmt: skip
    return torch.from_numpy(scenes).permute(0, 3, 1, 2).contiguous()


def checkered(scenes: torch.Tensor) -> torch.Tensor:
    """The scenes with a checkerboard of one grey level over them (the mark of transposed convolutions)."""
    y, x = np.mgrid[0:128, 0:128]
    checker = torch.from_numpy(((x + y) % 2 * 2 - 1).astype(np.int16))
    return (scenes.short() + checker).clamp(0, 255).to(torch.uint8)


def test_grid_ratio_sees_a_checkerboard_over_flat_regions():
    """1 for an identity, far above for a checkerboard of one grey level (the mark of transposed
    convolutions early in training), below for a blur, on smooth synthetic scenes."""
    import cv2

    from vidgan.eval.texture import grid_ratio

    scenes = smooth_scenes(4)
    blurred = torch.from_numpy(np.stack([cv2.GaussianBlur(s.permute(1, 2, 0).numpy(), (5, 5), 1.5) for s in scenes]))
    assert grid_ratio(scenes, scenes) == pytest.approx(1.0)
    assert grid_ratio(scenes, checkered(scenes)) > 10
    assert grid_ratio(scenes, blurred.permute(0, 3, 1, 2)) < 1


def test_grid_figures_say_how_sure_the_ratio_is_and_keep_each_image():
    """The ratio with its bootstrap error: none where every image is alike (an identity), some where half the
    images carry a checkerboard; each image's shares kept, the sources' the same whatever the model (they pair)."""
    from vidgan.eval.texture import grid_figures, grid_ratio

    scenes = smooth_scenes(6)
    half = torch.cat([checkered(scenes[:3]), scenes[3:]])
    same, mixed = grid_figures(scenes, scenes), grid_figures(scenes, half)
    assert same["grid_ratio"] == pytest.approx(1.0) and same["grid_ratio_se"] == pytest.approx(0.0, abs=1e-9)
    assert mixed["grid_ratio"] == pytest.approx(grid_ratio(scenes, half)) and mixed["grid_ratio"] > 5
    assert mixed["grid_ratio_se"] > 1  # three images in six carry it all: another draw of six moves it far
    assert len(mixed["image_grid_shares"]) == 6
    assert [ref for _, ref in mixed["image_grid_shares"]] == [ref for _, ref in same["image_grid_shares"]]
    assert all(out > 10 * ref for out, ref in mixed["image_grid_shares"][:3])


def test_target_kept_is_zero_for_untouched_images_and_grows_with_a_recolouring():
    from vidgan.eval.quality import lab_distance

    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.integers(0, 255, (3, 3, 64, 64), dtype=np.uint8))
    assert lab_distance(images, images) == pytest.approx(0.0, abs=1e-6)
    bluer = images.clone()
    bluer[:, 2] = (bluer[:, 2].int() + 40).clamp(max=255).to(torch.uint8)
    greyer = images.clone()
    greyer[:, 2] = (greyer[:, 2].int() + 10).clamp(max=255).to(torch.uint8)
    assert lab_distance(images, bluer) > lab_distance(images, greyer) > 1.0
    shuffled = images[:, :, torch.randperm(64)]  # the same colours moved about: blurred, little changes
    assert lab_distance(images, shuffled) < lab_distance(images, bluer)


def pasture(n: int) -> tuple[torch.Tensor, np.ndarray]:
    """n synthetic photos, uint8 (n, 3, 128, 128): green grass above, a brown animal below left, sand below
    right; and where the animal is, (128, 128) bool."""
    rng = np.random.default_rng(0)
    scenes = np.empty((n, 128, 128, 3), np.float64)
    scenes[:, :64] = (70, 140, 50)  # grass
    scenes[:, 64:] = (200, 180, 140)  # sand
    animal = np.zeros((128, 128), bool)
    animal[64:, :64] = True
    scenes[:, animal] = (140, 90, 50)
    scenes += rng.normal(0, 6, scenes.shape)
    return torch.from_numpy(scenes.clip(0, 255).astype(np.uint8)).permute(0, 3, 1, 2).contiguous(), animal


def striped(images: torch.Tensor, where: np.ndarray) -> torch.Tensor:
    """The images with dark stripes 4 px wide every 8 px drawn where `where` is."""
    stripes = torch.from_numpy(where & (np.arange(128)[None, :] % 8 < 4))
    return torch.where(stripes, images // 4, images)


def test_stripes_on_vegetation_see_stripes_on_the_grass_and_not_on_the_animal():
    """The region is the input's green (grass), never the brown animal beside it; stripes drawn on the animal
    leave the figure at 1, stripes drawn on the grass raise it; an image with no grass is left out (None),
    and two models on the same images pair (the one striping the grass higher beyond its error)."""
    from vidgan.eval.paired import differences
    from vidgan.eval.spill import spill_figures, vegetation_regions

    scenes, animal = pasture(6)
    scenes[5] = scenes[5, :, 127:, :1]  # one image of sand and animal only: no grass
    grass = np.zeros((128, 128), bool)
    grass[:64] = True
    regions = vegetation_regions(scenes)
    assert not any(r[animal].any() for r in regions)
    assert all(r.mean() > 0.3 for r in regions[:5]) and not regions[5].any()

    on_animal, on_grass = striped(scenes, animal), striped(scenes, grass)
    kept = spill_figures(scenes, on_animal, [animal] * 6)
    spilled = spill_figures(scenes, on_grass, [grass] * 6)
    assert kept["images"] == spilled["images"] == 5 and kept["image_stripes"][5] is None
    assert kept["gained"] == pytest.approx(1.0) and kept["changed"] == 0.0
    assert spilled["gained"] > 3 and spilled["changed"] > 0.9

    def report(translated: torch.Tensor, spill: dict) -> dict:  # the other figures alike for both models
        return {"blind_judge": {"hits": [1] * 6}, "image_shifts": [0.0] * 6, "spill": spill,
                "texture": {"image_grid_shares": [[0.1, 0.1]] * 6}}  # fmt: skip

    d = differences(report(on_grass, spilled), report(on_animal, kept))
    assert d["spill"].higher() and d["spill"].value == pytest.approx(spilled["gained"] - kept["gained"])


def test_stripes_outside_the_animals_see_what_no_box_holds_and_not_the_animal(tmp_path):
    """Boxes drawn round the animal (the file as a person writes it): stripes drawn on the sand, which is neither
    green nor flat, raise the figure where the grass figure sees nothing; stripes on the animal leave it at 1;
    a picture whose box holds it all is left out (None)."""
    from vidgan.eval.animals import load_boxes
    from vidgan.eval.spill import outside_figures, spill_figures

    scenes, animal = pasture(4)
    sand = np.zeros((128, 128), bool)
    sand[64:, 64:] = True
    path = tmp_path / "animals.json"
    images = {str(i): [[0.0, 0.5, 0.5, 1.0]] for i in range(3)} | {"3": [[0, 0, 1, 1]]}
    path.write_text(json.dumps({"format": "vidgan animal boxes", "version": 1, "images": images}))
    boxes = load_boxes(path, ["0", "1", "2", "3"])
    on_animal, on_sand = striped(scenes, animal), striped(scenes, sand)
    kept = outside_figures(scenes, on_animal, [animal] * 4, boxes)
    spilled = outside_figures(scenes, on_sand, [sand] * 4, boxes)
    assert kept["images"] == spilled["images"] == 3 and kept["image_stripes"][3] is None
    assert kept["gained"] == pytest.approx(1.0) and kept["changed"] == 0.0
    assert spilled["gained"] > 3 and spilled["changed"] > 0.3
    assert spill_figures(scenes, on_sand, [sand] * 4)["gained"] == pytest.approx(1.0)  # not green: unseen there


@pytest.mark.parametrize(("text", "says"), [
    (None, "cannot read the animal boxes"),
    ("{not json", "not JSON"),
    ('{"format": "boxes"}', "is not a file of animal boxes"),
    ('{"format": "vidgan animal boxes", "version": 1, "images": {"0": [[0, 0, 1, 1]]}}', "no boxes for 1"),
    ('{"format": "vidgan animal boxes", "version": 1, "images": {"0": [[0.5, 0, 0.2, 1]], "1": []}}', "0 <= x0 < x1"),
])  # fmt: skip
def test_a_bad_boxes_file_is_one_line_before_any_work(tmp_path, text, says):
    """What `vidgan eval --animals` refuses, as one line and before a model is loaded or a folder written."""
    folder = tmp_path / "testA"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(folder / f"{i}.png")
    path = tmp_path / "animals.json"
    if text is not None:
        path.write_text(text)
    out = tmp_path / "eval"
    result = CliRunner().invoke(main, ["eval", "-m", "no-such-model", "--a", str(folder), "--b", str(folder),
                                       "--animals", str(path), "-o", str(out)])  # fmt: skip
    assert result.exit_code != 0 and says in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def skyline(n: int) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """n synthetic photos, uint8 (n, 3, 128, 128): a flat blue sky over textured ground, and a flat brown animal
    standing on the ground with its back in the sky; the last photo all ground, no sky. Returns them, where the
    sky is away from the animal (the region should hold it) and where the animal is, each (128, 128) bool."""
    rng = np.random.default_rng(0)
    scenes = np.empty((n, 128, 128, 3), np.float64)
    scenes[:, :48] = (150, 190, 230) + rng.normal(0, 1, (n, 48, 128, 3))  # sky: detail far under GRID_FLAT
    scenes[:, 48:] = (120, 110, 70) + rng.normal(0, 25, (n, 80, 128, 3))  # grass and stones
    animal = np.zeros((128, 128), bool)
    animal[24:100, 40:90] = True
    scenes[:, animal] = (140, 90, 50) + rng.normal(0, 1, (n, int(animal.sum()), 3))  # as flat as the sky
    scenes[-1] = (120, 110, 70) + rng.normal(0, 25, (128, 128, 3))
    open_sky = np.zeros((128, 128), bool)
    open_sky[:30, :20] = open_sky[:30, 110:] = True
    images = torch.from_numpy(scenes.clip(0, 255).astype(np.uint8)).permute(0, 3, 1, 2).contiguous()
    return images, open_sky, animal


def test_sky_textured_sees_stripes_on_open_sky_and_not_on_a_flat_animal_against_it():
    """The region is the input's flat sky joined to the top edge: never the animal, flat as it is, since the
    edge between it and the sky is not flat, nor the textured ground. Stripes drawn on the animal, or noise of a
    grey level or two (rounding, a codec), leave the figure at 0; stripes at a zebra's wavelength over half the
    sky read about half, at half their contrast as much (where the grid ratio, at its 2 and 4 px periods, does
    not rise); the photo with no sky is left out, and two models pair."""
    from vidgan.eval.paired import differences
    from vidgan.eval.spill import sky_figures, sky_regions
    from vidgan.eval.texture import grid_ratio

    scenes, open_sky, animal = skyline(5)
    regions = sky_regions(scenes)
    assert not any(r[animal].any() or r[48:].any() for r in regions)
    assert all(r[open_sky].all() for r in regions[:4]) and not regions[4].any()

    left = np.zeros((128, 128), bool)
    left[:48, :64] = True  # half the sky, the animal's left side
    noise = torch.from_numpy(np.random.default_rng(1).integers(-2, 3, scenes.shape))
    painted = {"on the animal": striped(scenes, animal), "noise": (scenes.int() + noise).clamp(0, 255).byte(),
               "left sky": striped(scenes, left & ~animal),
               "left sky, faint": torch.where(torch.from_numpy(left & ~animal), (scenes.int() + striped(scenes, left)
                                              .int()) // 2, scenes.int()).byte()}  # fmt: skip
    found = {name: sky_figures(scenes, images, [left] * 5) for name, images in painted.items()}
    assert all(f["images"] == 4 and f["image_textured"][4] is None for f in found.values())
    assert found["on the animal"]["textured"] == found["noise"]["textured"] == 0.0
    half = sum(r[:, :64].sum() for r in regions[:4]) / sum(r.sum() for r in regions[:4])
    assert abs(found["left sky"]["textured"] - half) < 0.1 and 0.3 < half < 0.7
    assert abs(found["left sky, faint"]["textured"] - found["left sky"]["textured"]) < 0.1
    assert found["left sky"]["changed"] == pytest.approx(half, abs=0.01) and 0.1 < found["noise"]["sky_share"] < 0.3
    assert grid_ratio(scenes, painted["left sky"]) < 1  # the stripes' energy lies off its periods

    def report(sky: dict) -> dict:  # the other figures alike for both models
        return {"blind_judge": {"hits": [1] * 5}, "image_shifts": [0.0] * 5, "sky": sky,
                "texture": {"image_grid_shares": [[0.1, 0.1]] * 5}}  # fmt: skip

    d = differences(report(found["left sky"]), report(found["on the animal"]))
    assert d["sky"].higher() and d["sky"].value == pytest.approx(found["left sky"]["textured"])


def test_stripes_on_the_coats_find_the_zebra_in_the_input_and_count_a_zebra_left_alone():
    """The region is the input's striped black-and-white coat, not the one sharp edge of a horizon; a model that
    leaves the zebra keeps its stripes there (1), one that paints it a smooth brown keeps next to none, one that
    paints half of it about half, whatever its own mask says; two models on the same images pair."""
    from vidgan.eval.coat import coat_figures, striped_regions
    from vidgan.eval.paired import differences

    rng = np.random.default_rng(0)
    scenes = np.empty((4, 128, 128, 3), np.float64)
    scenes[:, :40] = 230  # a white sky over dark ground: one strong, colourless edge
    scenes[:, 40:] = 60
    zebra = np.zeros((128, 128), bool)
    zebra[76:124, 8:72] = True
    scenes[:, zebra] = 235
    scenes[:, zebra & (np.arange(128)[None, :] % 8 < 4)] = 25  # stripes 4 px wide every 8 px
    scenes = torch.from_numpy((scenes + rng.normal(0, 4, scenes.shape)).clip(0, 255).astype(np.uint8))
    scenes = scenes.permute(0, 3, 1, 2).contiguous()
    regions = striped_regions(scenes)
    inner = np.zeros_like(zebra)
    inner[84:116, 16:64] = True
    assert all(r[inner].mean() > 0.9 and r.mean() > 0.1 for r in regions)
    assert not any(r[30:50, 80:].any() for r in regions)  # the horizon, away from the zebra

    brown = torch.tensor([140, 90, 50], dtype=torch.uint8)[:, None, None]
    half = zebra & (np.arange(128)[None, :] < 40)
    painted = {"left alone": scenes, "brown": torch.where(torch.from_numpy(zebra), brown, scenes),
               "half brown": torch.where(torch.from_numpy(half), brown, scenes)}  # fmt: skip
    everywhere = [np.ones((128, 128), bool)] * 4  # what each model's mask says: it changed it all
    found = {name: coat_figures(scenes, images, everywhere) for name, images in painted.items()}
    assert all(f["images"] == 4 and f["changed"] == 1.0 for f in found.values())
    assert found["left alone"]["ratio"] == pytest.approx(1.0)
    assert found["brown"]["ratio"] < 0.1 and 0.3 < found["half brown"]["ratio"] < 0.7

    def report(coat: dict) -> dict:  # the other figures alike for both models
        return {"blind_judge": {"hits": [1] * 4}, "image_shifts": [0.0] * 4, "coat": coat,
                "texture": {"image_grid_shares": [[0.1, 0.1]] * 4}}  # fmt: skip

    d = differences(report(found["half brown"]), report(found["brown"]))
    assert d["coat"].higher() and "spill" not in d
