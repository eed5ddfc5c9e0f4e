"""The networks of CycleGAN (Zhu et al., ICCV 2017).

Two generator families, each serving as G: X->Y and F: Y->X; the trainer, the distiller, the exporter and
the translator all build them from here, through `build_generator(config)`:

- `ResnetGenerator`, the paper's (appendix 7.2, after Johnson et al.): c7s1-64, d128, d256, R256 x n_blocks,
  u128, u64, c7s1-3. Module indices follow the official PyTorch code (junyanz/pytorch-CycleGAN-and-pix2pix)
  so that its `latest_net_G*.pth` state dicts load unchanged.
- `MobileResnetGenerator`, the fast one (after GAN Compression, Li et al. 2020): the same stem and
  downsampling, residual blocks of depthwise 3x3 + pointwise 1x1 convolutions (about 9x fewer
  multiply-adds per block), and an upsampling path that resizes, then convolves (Odena et al. 2016): a
  transposed convolution of stride 2 overlaps its kernel unevenly and lays a checkerboard over flat regions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


def to_signed(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels -> float in [-1, 1], the range the networks (and the judge) work in."""
    return images.float().div(127.5).sub_(1.0)  # div makes a new tensor: the caller's is never modified


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float in [-1, 1] (clamped) -> uint8 pixels, rounded."""
    return images.float().clamp(-1.0, 1.0).add_(1.0).mul_(127.5).round_().to(torch.uint8)


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything needed to rebuild a generator; stored inside every checkpoint we write."""

    input_nc: int = 3  # image channels in (RGB)
    output_nc: int = 3  # image channels out (RGB)
    ngf: int = 64  # filters in the first conv; the paper uses 64
    n_blocks: int = 9  # residual blocks: 9 for 256 px training, 6 for 128 px
    use_dropout: bool = False  # official option; shifts the second conv of each block to index 6
    family: str = "resnet"  # resnet: the paper's generator; mobile: MobileResnetGenerator (about 15x cheaper)
    mask: bool = False  # a mask head beside the RGB head: the output is (content, mask), composited with the input

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def card_type(self) -> str:
        """The architecture's name in a model card."""
        return FAMILIES[self.family][1]


class MaskHead(nn.Module):
    """Attention-guided translation (Mejjati et al., NeurIPS 2018; Tang et al., AttentionGAN): besides the
    content, the generator says where to use it, a mask m in [0, 1]; the translation is m * content +
    (1 - m) * input, so whatever the mask leaves out is the input's own pixels. One 3x3 conv on the last
    features, beside the RGB head: ngf * 9 multiply-adds per pixel (0.3% of the mobile generator).
    Its bias starts at 0 (m = 0.5 everywhere): neither the input nor the content is favoured at first.

    m = clamp((1 + 2 MARGIN) sigmoid(z) - MARGIN, 0, 1): a sigmoid never reaches 0, so a plain one would
    leave every background pixel a trace of the content (a faint recolouring, a flicker in a video); this one
    reaches 0 and 1 exactly, and a pixel there is the input's own, bit for bit. The clamp passes gradients
    straight through (as if it were not there): a clamped pixel can still be reopened, and a mask that
    closed everywhere early is not stuck there (the content would get no gradient through it).

    `grad_floor` (a training setting; the trainer sets it): the sigmoid's own gradient vanishes in its tails,
    so a logit pushed far past the clamp (zebra2horse's masks reached logits of 50, dm/dz ~ 1e-22) no longer
    answers any loss, the mask prior included, and the mask stays where it is at any prior weight. With a
    floor, dm/dz is the sigmoid's plus the floor everywhere (the output is unchanged, bit for bit): a
    saturated pixel weighs the prior against the adversarial term as an open one does. (Measured: that
    balance held zebra2horse's masks open, and further out; docs/quality.md, "The gradient floor".)"""

    MARGIN = 0.05
    grad_floor = 0.0  # added to dm/dz in the backward pass only; 0: the sigmoid's own gradient

    def __init__(self, ngf: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(ngf, 1, kernel_size=3))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        z = self.conv(features)  # (N, 1, H, W) logits
        m = torch.sigmoid(z) * (1 + 2 * self.MARGIN) - self.MARGIN
        through = m + self.grad_floor * (z - z.detach()) if self.grad_floor else m  # the gradient's path
        return through + (m.clamp(0, 1) - through).detach()


class _Generator(nn.Module):
    """What both families share: `model`, a Sequential whose last three layers are the RGB head (pad, conv,
    tanh), keyed as the official code keys it; with `config.mask`, a `mask_head` on the features before it.

    Unmasked: (N, 3, H, W) in [-1, 1] -> (N, 3, H, W) in [-1, 1].
    Masked:   (N, 3, H, W) -> (N, 4, H, W): the content in [-1, 1] (channels 0-2) and the mask in [0, 1]
    (channel 3), as one tensor so that every runtime (batching, bf16, ONNX, the download from a GPU) carries
    it as it carries an image; `vidgan.ops.composite` makes the picture, at whatever size the output has."""

    config: GeneratorConfig
    model: nn.Sequential

    def _add_mask_head(self, ngf: int) -> None:
        if self.config.mask:
            self.mask_head = MaskHead(ngf)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.config.mask:
            return self.model(x)
        features = self.model[:-3](x)  # (N, ngf, H, W)
        return torch.cat([self.model[-3:](features), self.mask_head(features)], dim=1)


class ResnetBlock(nn.Module):
    """x + conv_block(x): two 3x3 convs with reflection padding and InstanceNorm (keys conv_block.N)."""

    def __init__(self, dim: int, use_dropout: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, kernel_size=3, bias=True),
            nn.InstanceNorm2d(dim),
            nn.ReLU(True),
        ]
        if use_dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, kernel_size=3, bias=True), nn.InstanceNorm2d(dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(_Generator):
    """G (or F): (N, 3, H, W) in [-1, 1] -> (N, 3, H, W) in [-1, 1]; H and W must be multiples of 4.

    InstanceNorm has no affine parameters and conv layers carry biases, as in the official code
    (`norm='instance'`), so the parameter set is exactly that of the released checkpoints.
    """

    def __init__(self, config: GeneratorConfig = GeneratorConfig()) -> None:
        super().__init__()
        self.config = config
        ngf = config.ngf
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(config.input_nc, ngf, kernel_size=7, bias=True),
            nn.InstanceNorm2d(ngf),
            nn.ReLU(True),
        ]
        for i in range(2):  # two stride-2 downsamplings: H/4, 4*ngf channels
            mult = 2**i
            layers += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1, bias=True),
                nn.InstanceNorm2d(ngf * mult * 2),
                nn.ReLU(True),
            ]
        layers += [ResnetBlock(ngf * 4, config.use_dropout) for _ in range(config.n_blocks)]
        for i in range(2):  # and back up to full resolution
            mult = 2 ** (2 - i)
            layers += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1, bias=True),
                nn.InstanceNorm2d(ngf * mult // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, config.output_nc, kernel_size=7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        self._add_mask_head(ngf)


class SeparableResnetBlock(nn.Module):
    """x + conv_block(x), each 3x3 conv of the paper's block split into a depthwise 3x3 (one filter per
    channel: spatial mixing) and a pointwise 1x1 (channel mixing): 9 + dim instead of 9 * dim multiply-adds
    per output value. No norm between the two halves (they are one linear map; a norm there costs 30% of the
    block's time on a CPU and measured no gain); the depthwise conv has no bias (the pointwise one's covers it).
    """

    def __init__(self, dim: int, use_dropout: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = [*_separable(dim, dim), nn.InstanceNorm2d(dim), nn.ReLU(True)]
        if use_dropout:
            layers.append(nn.Dropout(0.5))
        layers += [*_separable(dim, dim), nn.InstanceNorm2d(dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


def _separable(cin: int, cout: int) -> list[nn.Module]:
    """A 3x3 convolution as depthwise 3x3 (reflection padded) then pointwise 1x1."""
    return [nn.ReflectionPad2d(1), nn.Conv2d(cin, cin, 3, groups=cin, bias=False), nn.Conv2d(cin, cout, 1)]


class MobileResnetGenerator(_Generator):
    """The fast G (or F): (N, 3, H, W) in [-1, 1] -> (N, 3, H, W) in [-1, 1]; H and W multiples of 4.

    c7s1-ngf, d(2 ngf), d(4 ngf) as in the paper; n_blocks separable residual blocks at 4 ngf channels (H/4);
    then twice: a 1x1 conv to half the channels (at the low resolution, where it is cheap), nearest-neighbour
    x2, a 3x3 conv (Odena et al.'s resize-convolution); a 3x3 conv to RGB, tanh. The paper's last layer is
    7x7, but with 3 output channels it vectorises poorly: it took 18% of this network's time on a CPU, the
    3x3 takes 4%. At ngf 32, 9 blocks: 3.5 GMACs at 256x256 against the paper's 49.6, 0.48 M parameters.
    """

    def __init__(self, config: GeneratorConfig = GeneratorConfig(ngf=32, family="mobile")) -> None:
        super().__init__()
        self.config = config
        ngf = config.ngf
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(config.input_nc, ngf, kernel_size=7),
            nn.InstanceNorm2d(ngf),
            nn.ReLU(True),
        ]
        for mult in (1, 2):  # two stride-2 downsamplings: H/4, 4*ngf channels
            layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1),
                       nn.InstanceNorm2d(ngf * mult * 2), nn.ReLU(True)]  # fmt: skip
        layers += [SeparableResnetBlock(ngf * 4, config.use_dropout) for _ in range(config.n_blocks)]
        for mult in (4, 2):  # and back up: resize, then convolve (no uneven kernel overlap, so no checkerboard)
            layers += [
                nn.Conv2d(ngf * mult, ngf * mult // 2, 1, bias=False),  # (the 3x3 conv's bias covers it)
                nn.Upsample(scale_factor=2, mode="nearest"),  # bilinear measured 6% slower, in bf16 more
                nn.ReflectionPad2d(1),
                nn.Conv2d(ngf * mult // 2, ngf * mult // 2, 3),
                nn.InstanceNorm2d(ngf * mult // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(ngf, config.output_nc, kernel_size=3), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        self._add_mask_head(ngf)


# family -> (class, the architecture's name in model cards)
FAMILIES: dict[str, tuple[type[nn.Module], str]] = {
    "resnet": (ResnetGenerator, "resnet_generator"),
    "mobile": (MobileResnetGenerator, "mobile_resnet_generator"),
}


def build_generator(config: GeneratorConfig) -> ResnetGenerator | MobileResnetGenerator:
    """The generator `config` describes (its family decides the class)."""
    if config.family not in FAMILIES:
        raise ValueError(f"unknown generator family {config.family!r}: {', '.join(FAMILIES)}")
    return FAMILIES[config.family][0](config)


def count_macs(generator: nn.Module, height: int = 256, width: int = 256) -> int:
    """Multiply-adds of one forward pass at (height, width), counted from the convolutions' shapes."""
    total = 0

    def hook(module: nn.Module, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        nonlocal total
        k = module.kernel_size[0] * module.kernel_size[1]
        if isinstance(module, nn.ConvTranspose2d):  # each input value meets every output channel's kernel
            total += inputs[0][0].numel() * module.out_channels * k // module.groups
        else:
            total += output[0].numel() * module.in_channels * k // module.groups

    convs = [m for m in generator.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    hooks = [m.register_forward_hook(hook) for m in convs]
    try:
        with torch.no_grad():
            generator(torch.zeros(1, generator.config.input_nc, height, width))
    finally:
        for h in hooks:
            h.remove()
    return total


class PatchDiscriminator(nn.Module):
    """D_X or D_Y: the 70x70 PatchGAN (appendix 7.2: C64-C128-C256-C512, then a 1-channel conv).

    (N, 3, H, W) -> (N, 1, H/8 - 2, W/8 - 2) real/fake scores, each seeing a 70x70 patch at n_layers=3.
    No norm on the first layer, InstanceNorm after the others, LeakyReLU(0.2); official key names.
    """

    def __init__(self, input_nc: int = 3, ndf: int = 64, n_layers: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(input_nc, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, 4, stride=2 if n < n_layers else 1, padding=1, bias=True),
                nn.InstanceNorm2d(ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def init_weights(net: nn.Module, gain: float = 0.02) -> nn.Module:
    """The paper's initialisation: conv weights from N(0, 0.02), biases zero."""
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0.0, gain)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return net
