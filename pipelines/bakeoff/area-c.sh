# A weaker area prior for both directions (2026-12-04, docs/quality.md "The area A/B"): over the area-b
# round's 1,436 images at 0.3, horse2zebra's masks went on closing (0.26 -> 0.09 of testA open, the
# colour-blind score 0.39 -> 0.30). 0.15, from the same start as area-b (the schedule's state at commit
# cec51d5) for the same CPU time: its control is area-b's b-0.3. One variant, beside the CPU run.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
variants=(
  "c-0.15:--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15"
)
init=pipelines/horse2zebra-masked.state
budget=15m
parallel=1
