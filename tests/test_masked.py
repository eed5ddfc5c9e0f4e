"""Masked generators (issue 28): the mask head, the composite at the output size, the masked objective,
DiffAugment, and the measures that a recoloured scene cannot win."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from clips import inverter_config, square_scene, write_square_pair
from PIL import Image

from vidgan.errors import UsageError
from vidgan.models.checkpoints import save_generator
from vidgan.models.nets import GeneratorConfig, build_generator, init_weights
from vidgan.ops.composite import composite, composite_frame
from vidgan.train.augment import diff_augment
from vidgan.video.formats import EncodeSettings


def masked_model(path, mask_bias: float, family: str = "mobile"):
    """A small masked generator with random content whose mask is pinned by its head's bias (very negative:
    0 everywhere, very positive: 1 everywhere)."""
    torch.manual_seed(0)
    net = init_weights(build_generator(GeneratorConfig(ngf=8, n_blocks=1, family=family, mask=True)), 0.2)
    with torch.no_grad():
        net.mask_head.conv[1].weight.zero_()
        net.mask_head.conv[1].bias.fill_(mask_bias)
    save_generator(net, path, {"description": "a masked test model"}, dtype=torch.float32)
    return net


@pytest.mark.parametrize("family", ["mobile", "resnet"])
def test_a_masked_generator_gives_content_and_a_mask_that_reaches_0_and_1(family):
    net = init_weights(build_generator(GeneratorConfig(ngf=8, n_blocks=1, family=family, mask=True)))
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    y = net(x)
    assert y.shape == (2, 4, 32, 32)
    assert y[:, :3].abs().max() <= 1 and 0 <= y[:, 3:].min() and y[:, 3:].max() <= 1
    with torch.no_grad():
        net.mask_head.conv[1].weight.zero_()
        for bias, want in ((-10.0, x), (10.0, net(x)[:, :3])):
            net.mask_head.conv[1].bias.fill_(bias)
            out, mask = composite(x, net(x))
            assert torch.equal(out, want) and mask.unique().tolist() == [0.0 if bias < 0 else 1.0]


def test_the_clamped_mask_still_passes_gradients():
    """A mask clamped at 0 everywhere can open again: its head still gets gradients (straight-through)."""
    net = build_generator(GeneratorConfig(ngf=8, n_blocks=1, family="mobile", mask=True))
    with torch.no_grad():
        net.mask_head.conv[1].bias.fill_(-10.0)
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    out, _ = composite(x, net(x))
    out.sum().backward()
    assert net.mask_head.conv[1].bias.grad.abs().item() > 0


def test_a_gradient_floor_moves_a_saturated_mask_and_leaves_the_output_alone():
    """A logit far past the clamp: the sigmoid's gradient is gone (the mask prior cannot close it); with a
    floor, d mean(m) / d bias is at least the floor, and the output is the same tensor either way."""
    net = build_generator(GeneratorConfig(ngf=8, n_blocks=1, family="mobile", mask=True))
    with torch.no_grad():
        net.mask_head.conv[1].weight.zero_()
        net.mask_head.conv[1].bias.fill_(50.0)
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    grads, outputs = [], []
    for floor in (0.0, 0.05):
        net.mask_head.grad_floor = floor
        net.zero_grad()
        y = net(x)
        y[:, 3].mean().backward()  # the area prior's term
        grads.append(net.mask_head.conv[1].bias.grad.item())
        outputs.append(y.detach())
    assert grads[0] < 1e-12 and grads[1] == pytest.approx(0.05)
    assert torch.equal(outputs[0], outputs[1]) and outputs[0][:, 3].unique().tolist() == [1.0]


@pytest.mark.parametrize(("floor", "floor_b", "expected"), [(0.05, None, (0.05, 0.05)), (0.0, 0.05, (0.0, 0.05))])
def test_the_trainer_sets_each_mask_heads_floor(floor, floor_b, expected):
    from vidgan.train.config import TrainConfig
    from vidgan.train.parts import build_networks

    config = TrainConfig(generator="mobile", ngf=8, n_blocks=1, mask=True, mask_grad_floor=floor,
                         mask_grad_floor_b=floor_b)  # fmt: skip
    nets = build_networks(config)
    assert (nets["G_A"].mask_head.grad_floor, nets["G_B"].mask_head.grad_floor) == expected
    for bad, message in (({"mask": True, "mask_grad_floor": -1.0}, "cannot be negative"),
                         ({"mask": True, "mask_grad_floor_b": -1.0}, "cannot be negative"),
                         ({"mask_grad_floor": 0.05}, "set mask = true"),
                         ({"mask_grad_floor_b": 0.0}, "set mask = true"),
                         ({"mask": True, "mask_follow_b": -1.0}, "cannot be negative"),
                         ({"mask_follow_b": 1.0}, "set mask = true"),
                         ({"mask": True, "mask_follow_a": -1.0}, "cannot be negative"),
                         ({"mask_follow_a": 1.0}, "set mask = true"),
                         ({"mask": True, "mask_cover_b": -1.0}, "cannot be negative"),
                         ({"mask": True, "mask_cover_b": 1.0, "mask_cover_b_share": 0.0}, "in \\(0, 1\\]"),
                         ({"mask_cover_b": 1.0}, "set mask = true"),
                         ({"grey_cycle_b": True}, "set mask = true"),
                         ({"content_adv_b": 0.5}, "set mask = true"),
                         ({"d_background_b": 0.5}, "set mask = true"),
                         ({"mask": True, "d_background_b": 0.5}, "set d_on_mask_b"),
                         ({"mask": True, "d_on_mask_b": True, "d_background_b": 1.5}, "in \\[0, 1\\]"),
                         ({"d_background": 0.5}, "set mask = true"),
                         ({"mask": True, "d_background": 0.5}, "set d_on_mask$"),
                         ({"mask": True, "d_on_mask_b": True, "d_background": 0.5, "d_background_b": 0.2},
                          "set d_on_mask$"),
                         ({"mask": True, "d_on_mask": True, "d_background": -0.5}, "in \\[0, 1\\]")):  # fmt: skip
        with pytest.raises(UsageError, match=message):
            TrainConfig(a="a", b="b", images=8, **bad).validate()


def test_an_unmasked_generators_weights_warm_start_a_masked_one():
    from vidgan.train.runs import load_generator_weights

    plain = init_weights(build_generator(GeneratorConfig(ngf=8, n_blocks=1, family="mobile")))
    masked = build_generator(GeneratorConfig(ngf=8, n_blocks=1, family="mobile", mask=True))
    load_generator_weights(masked, plain.state_dict())
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    assert torch.equal(masked(x)[:, :3], plain(x))  # the content is the unmasked generator's translation
    with pytest.raises(RuntimeError, match="size mismatch"):
        load_generator_weights(build_generator(GeneratorConfig(ngf=16, n_blocks=1, family="mobile", mask=True)),
                               plain.state_dict())  # fmt: skip


def test_composite_frame_is_exact_at_0_and_255():
    rng = np.random.default_rng(0)
    background, content = rng.integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    mask = np.zeros((8, 8), np.uint8)
    mask[:, 4:] = 255
    out = composite_frame(background, content, mask)
    assert np.array_equal(out[:, :4], background[:, :4]) and np.array_equal(out[:, 4:], content[:, 4:])
    torch_out = composite_frame(torch.from_numpy(background), torch.from_numpy(content), torch.from_numpy(mask))
    assert np.array_equal(torch_out.numpy(), out)


def test_the_background_of_a_translated_image_is_the_full_resolution_input(tmp_path):
    """A masked model composites at the output size: where its mask is 0 the output is the input itself, at
    the input's resolution, bit for bit, though the generator ran at 64 px; where it is 1, the content."""
    from vidgan import api

    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (150, 200, 3), dtype=np.uint8)
    Image.fromarray(photo).save(tmp_path / "in.png")
    masked_model(tmp_path / "none.safetensors", -30.0)
    api.translate_video(tmp_path / "in.png", tmp_path / "none.png", model=str(tmp_path / "none.safetensors"), size=64,
                        quiet=True)  # fmt: skip
    assert np.array_equal(np.asarray(Image.open(tmp_path / "none.png")), photo)
    masked_model(tmp_path / "all.safetensors", 30.0)
    api.translate_video(tmp_path / "in.png", tmp_path / "all.png", model=str(tmp_path / "all.safetensors"), size=64,
                        upsample="resize", quiet=True)  # fmt: skip
    out = np.asarray(Image.open(tmp_path / "all.png")).astype(int)
    assert out.shape == photo.shape and np.abs(out - photo).mean() > 20  # the content, not the input


def test_a_masked_models_video_keeps_the_input_outside_the_mask_with_smoothing(tmp_path):
    """Through the whole video pipeline, smoothing included: a mask of 0 gives the input's frames (up to the
    codec: lossless x264 still converts RGB to YUV and back)."""
    from clips import make_clip, read_video

    from vidgan import api

    clip = make_clip(tmp_path / "clip.mp4", frames=6, width=96, height=64)
    masked_model(tmp_path / "none.safetensors", -30.0)
    api.translate_video(clip, tmp_path / "out.mp4", model=str(tmp_path / "none.safetensors"), size=32,
                        encode=EncodeSettings(crf=0), smooth="flow", quiet=True)  # fmt: skip
    frames, _ = read_video(tmp_path / "out.mp4")
    inputs, _ = read_video(clip)
    assert len(frames) == len(inputs) == 6
    assert max(np.abs(f.astype(int) - i.astype(int)).max() for f, i in zip(frames, inputs)) <= 3


def test_the_masked_objective_learns_to_change_the_square_and_keep_the_background(tmp_path):
    """A coloured square to change (red to blue) on a textured background to keep: the masked CycleGAN's
    mask must cover the square and be exactly 0 on the background away from it, where the translation is
    then the input, bit for bit. 300 iterations at 32 px, priors growing over the first 600 images."""
    from vidgan.train.runs import open_run

    a, b = write_square_pair(tmp_path)
    config = inverter_config(a, b, tmp_path / "runs", generator="mobile", preprocess="resize", crop_size=32,
                             mask=True, mask_area=3.0, mask_tv=1.0, mask_warmup=600, batch_size=4, lr=5e-4,
                             iterations=300, seed=3)  # fmt: skip
    trainer = open_run(config, None, None, quiet=True)
    trainer.run()
    rng = np.random.default_rng(7)
    images, squares = map(np.stack, zip(*[square_scene(rng, (220, 30, 30)) for _ in range(16)]))
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
    with torch.no_grad():
        y, mask = composite(x, trainer.nets["G_A"].eval()(x))
    mask, out = mask[:, 0].numpy(), ((y + 1) * 127.5).round().permute(0, 2, 3, 1).numpy()
    import cv2

    far = np.stack([cv2.dilate(s.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0 for s in squares])
    assert mask[squares].mean() > 0.6  # the square is translated ...
    red, _, blue = out[squares].mean(axis=0)
    assert blue > 150 and red < 120  # ... to blue
    assert mask[far].mean() < 0.05 and (mask[far] == 0).mean() > 0.6  # the background is left ...
    kept = far & (mask == 0)
    assert np.array_equal(out[kept], images[kept])  # ... as it was, exactly


def test_each_direction_pays_its_own_area_weight(tmp_path):
    """mask_area weighs G_A's masks, mask_area_b G_B's (unset: the same). With every mask open the prior is
    each weight times its share of the passes: G_A runs twice a step (G(a) with G(b), G(F(b))), G_B once."""
    from vidgan.train.objectives import Augment
    from vidgan.train.objectives.masked import MaskedCycleGAN

    net = masked_model(tmp_path / "open.safetensors", 30.0)
    judge = torch.nn.Conv2d(3, 1, 4, stride=2)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    for area, area_b, expected in ((0.6, None, 0.6), (1.0, 0.0, 2 / 3), (0.0, 1.0, 1 / 3)):
        config = inverter_config(tmp_path, tmp_path, tmp_path / "runs", generator="mobile", mask=True,
                                 mask_area=area, mask_area_b=area_b, identity=0.5)  # fmt: skip
        objective = MaskedCycleGAN(config, {"G_A": net, "G_B": net}, {"D_A": judge, "D_B": judge},
                                   Augment("", 0, torch.device("cpu")))  # fmt: skip
        losses, _ = objective.generator_losses(x, x)
        assert losses["mask"].item() == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("identity", [0.5, 0.0])
@pytest.mark.parametrize("term", ["mask_follow_b", "mask_follow_a"])
def test_one_directions_mask_follows_the_others_on_the_way_back(tmp_path, identity, term):
    """mask_follow_b adds its weight times mean |m_F(G(a)) - m_G(a)| and moves F's mask alone: G's mask is
    the target, held fixed; mask_follow_a, the other way round, |m_G(F(b)) - m_F(b)|, moves G's alone. The mask
    heads' biases pin G's mask at 0.75 and F's at 0.5 (clamp(1.1 sigmoid(z) - 0.05), off the clamp either way,
    so both would pass a gradient)."""
    from vidgan.train.objectives import Augment
    from vidgan.train.objectives.masked import MaskedCycleGAN

    judge = torch.nn.Conv2d(3, 1, 4, stride=2)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    m_g = 1.1 * torch.sigmoid(torch.tensor(1.0)).item() - 0.05
    grads = {}
    for follow in (0.0, 2.0):
        g, f = masked_model(tmp_path / "g.safetensors", 1.0), masked_model(tmp_path / "f.safetensors", 0.0)
        config = inverter_config(tmp_path, tmp_path, tmp_path / "runs", generator="mobile", mask=True, mask_area=0.0,
                                 identity=identity, **{term: follow})  # fmt: skip
        objective = MaskedCycleGAN(config, {"G_A": g, "G_B": f}, {"D_A": judge, "D_B": judge},
                                   Augment("", 0, torch.device("cpu")))  # fmt: skip
        losses, _ = objective.generator_losses(x, x)
        assert losses["mask"].item() == pytest.approx(follow * (m_g - 0.5), abs=1e-5)
        losses["mask"].backward()
        grads[follow] = [net.mask_head.conv[1].bias.grad.item() for net in (g, f)]
    assert grads[0.0] == [0.0, 0.0]  # no term, no gradient
    g_grad, f_grad = grads[2.0]
    if term == "mask_follow_b":
        assert g_grad == 0.0 and f_grad < 0  # G's mask is the target; F's opens towards it
    else:
        assert f_grad == 0.0 and g_grad > 0  # F's mask on b is the target; G's on F(b) closes towards it


@pytest.mark.parametrize("identity", [0.5, 0.0])
def test_horse2zebras_mask_follows_on_what_zebra2horse_made_of_the_zebras(tmp_path, identity):
    """mask_follow_a's term is G's mask on F(b) (its cycle pass), not on a or b: with masks that vary with the
    image, the term equals follow x mean |m_G(F(b)) - m_F(b)| computed by hand."""
    from vidgan.train.objectives import Augment
    from vidgan.train.objectives.masked import MaskedCycleGAN

    g, f = masked_model(tmp_path / "g.safetensors", 0.5), masked_model(tmp_path / "f.safetensors", -0.5)
    with torch.no_grad():
        for net in (g, f):
            net.mask_head.conv[1].weight.normal_(0, 0.5)  # masks that depend on the image
    a, b = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
    config = inverter_config(tmp_path, tmp_path, tmp_path / "runs", generator="mobile", mask=True, mask_area=0.0,
                             identity=identity, mask_follow_a=3.0)  # fmt: skip
    judge = torch.nn.Conv2d(3, 1, 4, stride=2)
    objective = MaskedCycleGAN(config, {"G_A": g, "G_B": f}, {"D_A": judge, "D_B": judge},
                               Augment("", 0, torch.device("cpu")))  # fmt: skip
    losses, _ = objective.generator_losses(a, b)
    with torch.no_grad():
        fake_a, m_f = composite(b, f(b))
        m_g = composite(fake_a, g(fake_a))[1]
        wrong = composite(a, g(a))[1]  # G's mask on the horses
    assert losses["mask"].item() == pytest.approx(3.0 * (m_g - m_f).abs().mean().item(), rel=1e-4)
    assert abs(3.0 * (wrong - m_f).abs().mean().item() - losses["mask"].item()) > 1e-3


def test_zebra2horses_mask_must_cover_a_share_of_each_real_zebra(tmp_path):
    """mask_cover_b adds its weight times the mean over the real zebras of max(0, share - mean m_F(b)): F's
    mask pinned at 0.5 falls short of a share of 0.8 by 0.3 and is pushed open; over the share the term is 0.
    It reads F's masks on the real zebras alone: G's mask, and F's on G(a) and a, get none of its gradient."""
    from vidgan.train.objectives import Augment
    from vidgan.train.objectives.masked import MaskedCycleGAN

    judge = torch.nn.Conv2d(3, 1, 4, stride=2)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    for share, expected in ((0.8, 0.3), (0.4, 0.0)):
        g, f = masked_model(tmp_path / "g.safetensors", 1.0), masked_model(tmp_path / "f.safetensors", 0.0)
        config = inverter_config(tmp_path, tmp_path, tmp_path / "runs", generator="mobile", mask=True, mask_area=0.0,
                                 mask_cover_b=2.0, mask_cover_b_share=share)  # fmt: skip
        objective = MaskedCycleGAN(config, {"G_A": g, "G_B": f}, {"D_A": judge, "D_B": judge},
                                   Augment("", 0, torch.device("cpu")))  # fmt: skip
        losses, _ = objective.generator_losses(x, x)
        assert losses["mask"].item() == pytest.approx(2.0 * expected, abs=1e-5)
        losses["mask"].backward()
        g_grad, f_grad = (net.mask_head.conv[1].bias.grad.item() for net in (g, f))
        assert g_grad == 0.0
        assert f_grad < 0 if expected else f_grad == 0.0  # pushed open while short of the share


@pytest.mark.parametrize("identity", [0.5, 0.0])
def test_the_way_back_can_be_greyed_inside_horse2zebras_mask(tmp_path, identity):
    """grey_cycle_b: F reads G(a) as Rec. 601 grey where G's mask is open (no colour for F to read the horse's
    coat from) and as it is where the mask is shut; unset, F reads G(a) in colour."""
    from vidgan.train.objectives import Augment
    from vidgan.train.objectives.masked import MaskedCycleGAN

    judge = torch.nn.Conv2d(3, 1, 4, stride=2)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    for bias, grey in ((30.0, True), (30.0, False), (-30.0, True)):
        g, f = masked_model(tmp_path / "g.safetensors", bias), masked_model(tmp_path / "f.safetensors", 0.0)
        read: list[torch.Tensor] = []
        f.register_forward_hook(lambda _m, inputs, _out, read=read: read.append(inputs[0].detach()))
        config = inverter_config(tmp_path, tmp_path, tmp_path / "runs", generator="mobile", mask=True,
                                 grey_cycle_b=grey, identity=identity)  # fmt: skip
        objective = MaskedCycleGAN(config, {"G_A": g, "G_B": f}, {"D_A": judge, "D_B": judge},
                                   Augment("", 0, torch.device("cpu")))  # fmt: skip
        objective.generator_losses(x, x)
        back = read[0][-2:]  # F's first pass ends with G(a)
        if bias < 0:  # G's mask shut: G(a) is a, in colour
            assert torch.allclose(back, x)
        else:
            spread = (back.amax(1) - back.amin(1)).max().item()  # 0 where R = G = B
            assert spread < 1e-5 if grey else spread > 0.1


def test_zebra2horses_content_is_judged_whole_where_its_mask_is_shut(tmp_path):
    """content_adv_b: D_C judges F's content on the real zebras whole (LSGAN, towards "real"), at that weight,
    and the content learns from it where F's mask is shut (0 everywhere here), where no other term reaches it;
    D_C next sees the real horses whole against that content."""
    from vidgan.train.objectives import Augment, discriminator_losses
    from vidgan.train.objectives.masked import MaskedCycleGAN
    from vidgan.train.pool import ImagePool

    judge = torch.nn.Conv2d(3, 1, 4, stride=2)
    x, y = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
    content_grads = {}
    for weight in (0.0, 0.5):
        g, f = masked_model(tmp_path / "g.safetensors", 1.0), masked_model(tmp_path / "f.safetensors", -30.0)
        config = inverter_config(tmp_path, tmp_path, tmp_path / "runs", generator="mobile", mask=True,
                                 content_adv_b=weight, identity=0.5)  # fmt: skip
        judges = {"D_A": judge, "D_B": judge, "D_C": judge}
        objective = MaskedCycleGAN(config, {"G_A": g, "G_B": f}, judges, Augment("", 0, torch.device("cpu")))
        losses, seen = objective.generator_losses(x, y)
        sum(losses.values()).backward()
        content_grads[weight] = sum(p.grad.abs().sum().item() for n, p in f.named_parameters()
                                    if p.grad is not None and not n.startswith("mask_head"))  # fmt: skip
        if not weight:
            assert "content" not in losses and seen.content is None
            continue
        content = f(y)[:, :3].detach()
        expected = weight * ((judge(content) - 1) ** 2).mean()
        assert losses["content"].item() == pytest.approx(expected.item(), rel=1e-5)
        assert torch.equal(seen.content[0], x) and torch.allclose(seen.content[1], content)
        pools = {side: ImagePool(0, 0) for side in "ABC"}
        assert set(discriminator_losses(judges, pools, seen, objective.augment, "lsgan")) == {"D_A", "D_B", "D_C"}
    assert content_grads[0.0] == 0.0  # the shut mask passes the content nothing ...
    assert content_grads[0.5] > 0  # ... D_C does


def test_d_c_starts_afresh_from_a_state_without_it_and_travels_in_compact_states(tmp_path):
    """A run warm-started from a state that has no D_C (content_adv_b newly set) builds one, trains it beside
    D_A and D_B, and writes it into its compact state, from which it reads back."""
    from vidgan.train.runs import open_run
    from vidgan.train.state import read_compact

    a, b = write_square_pair(tmp_path)
    common = dict(generator="mobile", preprocess="resize", mask=True, batch_size=2, iterations=2,
                  restart_d_steps=2)  # fmt: skip
    first = open_run(inverter_config(a, b, tmp_path / "runs0", **common), quiet=True, save_compact=tmp_path / "s0")
    first.run()
    assert set(read_compact(tmp_path / "s0")["nets"]) == {"G_A", "G_B", "D_A", "D_B"}
    config = inverter_config(a, b, tmp_path / "runs1", content_adv_b=0.5, **common)
    trainer = open_run(config, init_from=tmp_path / "s0", quiet=True, save_compact=tmp_path / "s1")
    fresh = {k: v.clone() for k, v in trainer.nets["D_C"].state_dict().items()}
    trainer.run()
    moved = trainer.nets["D_C"].state_dict()
    assert any(not torch.equal(fresh[k], moved[k]) for k in fresh)  # trained
    state = read_compact(tmp_path / "s1")
    assert set(state["nets"]) == {"G_A", "G_B", "D_A", "D_B", "D_C"}
    for key, value in moved.items():
        scale = value.abs().max().item() or 1.0
        assert (state["nets"]["D_C"][key] - value).abs().max().item() <= scale / 127, key


@pytest.mark.parametrize(("on", "on_b", "masked"), [(False, None, ""), (True, None, "AB"), (False, True, "B")])
def test_each_discriminator_sees_the_masks_alone_where_it_is_set(tmp_path, on, on_b, masked):
    """d_on_mask for both discriminators, d_on_mask_b for D_B alone: with G_A's masks shut and G_B's open,
    what a discriminator set to the masks sees of domain A (D_B) or B (D_A) is 0, else the images."""
    from vidgan.train.objectives import Augment
    from vidgan.train.objectives.masked import MaskedCycleGAN

    shut, open_ = masked_model(tmp_path / "shut.safetensors", -30.0), masked_model(tmp_path / "open.safetensors", 30.0)
    judge = torch.nn.Conv2d(3, 1, 4, stride=2)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    config = inverter_config(tmp_path, tmp_path, tmp_path / "runs", generator="mobile", mask=True,
                             d_on_mask=on, d_on_mask_b=on_b)  # fmt: skip
    objective = MaskedCycleGAN(config, {"G_A": shut, "G_B": open_}, {"D_A": judge, "D_B": judge},
                               Augment("", 0, torch.device("cpu")))  # fmt: skip
    _, seen = objective.generator_losses(x, x)
    # D_B (on when "B" in masked) sees real a through G_A's (shut) mask: 0; D_A sees G(a) (= a, its mask
    # shut) through that same mask: 0.
    assert torch.equal(seen.real_a, torch.zeros_like(x) if "B" in masked else x)
    assert torch.equal(seen.fake_b, torch.zeros_like(x) if "A" in masked else x)


@pytest.mark.parametrize(("settings", "k_a", "k_b"), [
    ({"d_on_mask_b": True, "d_background_b": 0.25}, None, 0.25),  # D_A not on the masks: its images whole
    ({"d_on_mask": True, "d_background": 0.5}, 0.5, 0.5),  # both on the masks, one share
    ({"d_on_mask": True, "d_background": 0.5, "d_background_b": 0.0}, 0.5, 0.0),  # D_B on the masks alone
    ({"d_on_mask_b": True, "d_background": 0.5}, None, 0.5),  # the shared share, for D_B alone on the masks
    ({"d_on_mask": True, "d_on_mask_b": False, "d_background": 0.5}, 0.5, None),  # D_B sees whole images
])  # fmt: skip
def test_d_background_shows_the_judges_the_background_faded_on_both_sides(tmp_path, settings, k_a, k_b):
    """d_background(_b) = k: D_A (D_B) sees x * (k + (1 - k) * m). With G_A's masks shut and G_B's open, D_B's
    real side (real a through G_A's mask) is k_b x and its fake side G_B's translation whole; D_A's real side
    (real b through G_B's mask) is b whole and its fake side (G(a) = a, through G_A's mask) k_a a."""
    from vidgan.train.objectives import Augment
    from vidgan.train.objectives.masked import MaskedCycleGAN

    shut, open_ = masked_model(tmp_path / "shut.safetensors", -30.0), masked_model(tmp_path / "open.safetensors", 30.0)
    judge = torch.nn.Conv2d(3, 1, 4, stride=2)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    config = inverter_config(tmp_path, tmp_path, tmp_path / "runs", generator="mobile", mask=True, **settings)
    objective = MaskedCycleGAN(config, {"G_A": shut, "G_B": open_}, {"D_A": judge, "D_B": judge},
                               Augment("", 0, torch.device("cpu")))  # fmt: skip
    _, seen = objective.generator_losses(x, x)
    assert torch.allclose(seen.real_a, x if k_b is None else k_b * x)
    assert torch.allclose(seen.fake_a, open_(x)[:, :3])
    assert torch.allclose(seen.real_b, x)
    assert torch.allclose(seen.fake_b, x if k_a is None else k_a * x)


def test_diffaugment_is_differentiable_seeded_and_keeps_shapes():
    x = (torch.rand(4, 3, 32, 32) * 2 - 1).requires_grad_()
    policy = ("color", "translation", "cutout")
    y1 = diff_augment(x, policy, torch.Generator().manual_seed(1))
    y2 = diff_augment(x, policy, torch.Generator().manual_seed(1))
    assert y1.shape == x.shape and torch.equal(y1, y2)
    assert not torch.equal(y1, diff_augment(x, policy, torch.Generator().manual_seed(2)))
    y1.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    cut = (diff_augment(torch.ones(64, 3, 32, 32), ("cutout",), torch.Generator().manual_seed(0)) == 0).float()
    share = cut.mean(dim=(1, 2, 3))  # a square of half the side: a quarter of the image, less at the borders
    assert (share >= 1 / 16).all() and (share <= 0.25).all() and 0.15 < share.mean() < 0.25


def test_the_colour_blind_judge_cannot_tell_images_of_equal_luma_apart(tmp_path):
    """Images with the same luma and different colours are one image to it, while the colour judge's
    input differs."""
    from vidgan.eval.judge import JudgeNet, to_input
    from vidgan.ops.colour import LUMA

    rng = np.random.default_rng(0)
    image = torch.from_numpy(rng.integers(60, 200, (1, 3, 64, 64))).to(torch.uint8)
    # Move colour along a direction of zero luma: luma . (r, g, b) = 0 for (+a, -b, c) chosen so.
    direction = torch.tensor([LUMA[1], -LUMA[0], 0.0]).view(1, 3, 1, 1) * 60
    recoloured = (image.float() + direction).round().clamp(0, 255).to(torch.uint8)
    grey_a, grey_b = to_input(image, grey=True), to_input(recoloured, grey=True)
    assert (grey_a - grey_b).abs().max() < 0.01  # rounding to uint8 only
    assert (to_input(image) - to_input(recoloured)).abs().max() > 0.2
    net = JudgeNet(8).eval()
    assert (net(grey_a) - net(grey_b)).abs().max() < 0.05


def test_background_shift_sees_a_recoloured_scene_and_not_a_changed_animal():
    from vidgan.eval.quality import background_shift

    rng = np.random.default_rng(0)
    scenes = torch.from_numpy(rng.integers(40, 200, (4, 3, 64, 64))).to(torch.uint8)
    animal = scenes.clone()
    animal[:, :, 20:40, 20:40] = 255 - animal[:, :, 20:40, 20:40]  # a tenth of each image changed
    recoloured = (scenes.float() * torch.tensor([1.3, 0.9, 0.6]).view(1, 3, 1, 1)).clamp(0, 255).to(torch.uint8)
    assert background_shift(scenes, scenes) == 0
    assert background_shift(scenes, animal) < 1.0
    assert background_shift(scenes, recoloured) > 10


def test_a_masked_model_exports_to_onnx_as_content_and_mask(tmp_path):
    pytest.importorskip("onnxruntime")
    from vidgan.models.checkpoints import LoadedModel
    from vidgan.models.onnx import MASKED_OUTPUTS, OnnxGenerator, export_onnx, session

    net = masked_model(tmp_path / "m.safetensors", 0.0)
    assert export_onnx(LoadedModel("m", net, {}), tmp_path / "m.onnx") > 40
    assert [o.name for o in session(tmp_path / "m.onnx").get_outputs()] == list(MASKED_OUTPUTS)
    x = torch.rand(1, 3, 32, 48) * 2 - 1
    with torch.no_grad():
        assert (OnnxGenerator(net)(x) - net(x)).abs().max() < 1e-4


def test_compare_shows_a_masked_models_mask_beside_input_and_output(tmp_path):
    """`--compare` with a masked model: input, output and the mask (white where the model's content is used)."""
    from clips import make_clip, read_video

    from vidgan import api

    clip = make_clip(tmp_path / "clip.mp4", frames=3, width=96, height=64)
    inputs, _ = read_video(clip)
    for bias, white in ((-30.0, False), (30.0, True)):
        masked_model(tmp_path / "m.safetensors", bias)
        out = tmp_path / f"{bias}.mp4"
        api.translate_video(clip, out, model=str(tmp_path / "m.safetensors"), size=32, compare=True,
                            encode=EncodeSettings(crf=0), quiet=True, overwrite=True)  # fmt: skip
        frames, _ = read_video(out)
        assert frames[0].shape == (64, 3 * 96, 3)
        left, _, mask = np.split(frames[0].astype(int), 3, axis=1)
        assert np.abs(left - inputs[0]).max() <= 3
        assert np.abs(mask - (255 if white else 0)).max() <= 3
