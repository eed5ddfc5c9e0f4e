"""The networks of CycleGAN (Zhu et al., ICCV 2017).

`ResnetGenerator` is the paper's generator (appendix 7.2, after Johnson et al.): c7s1-64, d128, d256,
R256 x n_blocks, u128, u64, c7s1-3. The same class serves as G: X->Y and F: Y->X; the trainer, the exporter
and the translator all build it from here. Module indices follow the official PyTorch code
(junyanz/pytorch-CycleGAN-and-pix2pix) so that its `latest_net_G*.pth` state dicts load unchanged.
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

    def to_dict(self) -> dict:
        return asdict(self)


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


class ResnetGenerator(nn.Module):
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


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
