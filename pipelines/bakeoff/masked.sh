# The first bake-off (2026-12-03/04, docs/quality.md "The masked bake-off"): today's recipe, + mask,
# + DiffAugment, both, and the regularised masked variants, from the completed unmasked CPU state.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
variants=(
  "cyclegan:"
  "mask:--mask"
  "diffaugment:--diffaugment color,translation,cutout"
  "mask+diffaugment:--mask --diffaugment color,translation,cutout"
  # The first two masked runs closed their masks (the cycle and identity terms pull them shut): these hold
  # the masks out of those terms (objectives/masked.py, mask_cycle_grad).
  "mask+diffaugment+tv+held:--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad"
  "mask+diffaugment+tv+held+d-on-mask:--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --d-on-mask"
)
init=pipelines/horse2zebra-fast.state
budget=40m
parallel=2
