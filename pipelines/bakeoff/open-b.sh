# Holding zebra2horse's masks open (2026-12-04): after the H200 run (28,476 images) horse2zebra stripes most
# horses (colour-blind 0.625) but zebra2horse's masks have shut (changed share 0.15 of testB, judged horse on
# 0.136): the following term at weight 1 slowed the closing, did not stop it. From the schedule's state
# (28,756 images), 35 CPU-minutes each, all three at once: the schedule's settings (the control), the
# following term three times as heavy, and the term with a lighter area prior for zebra2horse alone.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b"
variants=(
  "control:$common --mask-follow-b 1.0"
  "follow3:$common --mask-follow-b 3.0"
  "area-b:$common --mask-follow-b 1.0 --mask-area-b 0.05"
)
init=pipelines/horse2zebra-masked.state
budget=35m
parallel=3
