# A floor under horse2zebra's mask gradient, in the schedule's decay (2026-12-07, docs/quality.md "The floor
# in the decay"): along the schedule horse2zebra's masks closed (open share of testA 0.22 at 34,028, 0.17 at
# 58,764, 0.001 at 77,696, 0.06 at 80,052) while its training samples swung open and shut; a pixel under the
# mask's clamp gets no gradient (m = clamp(1.1 sigmoid(z) - 0.05, 0, 1)), so only the few above it can reopen
# a horse. Going on with the schedule's state at 80,548 images (its count and learning rate, amended), 25
# CPU-minutes each, three at once: the schedule as it is; a floor of 0.05 on horse2zebra's mask alone
# (zebra2horse's masks keep none: they spoil with one, "The gradient floor"); and that floor with horse2zebra's
# area prior back at 0.15 (the prior now reaches shut pixels too).
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
amend=1
variants=(
  "control:"
  "floor-a:--mask-grad-floor 0.05 --mask-grad-floor-b 0"
  "floor-a-area-0.15:--mask-grad-floor 0.05 --mask-grad-floor-b 0 --mask-area 0.15"
)
init=pipelines/horse2zebra-masked.state
budget=25m
parallel=3
