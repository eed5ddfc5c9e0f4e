# zebra2horse's own area prior (2026-12-04, docs/quality.md "The area A/B"): at 0.3 horse2zebra's masks
# closed onto the horses while zebra2horse's stayed open over whole images (and at 1.0 horse2zebra's closed
# altogether while zebra2horse's were still 94% open). The schedule's recipe (area 0.3) with G_B's weight at
# 0.3 (as it is), 1.0 and 3.0, from the schedule's state at commit cec51d5 (the area round's 0.3 run,
# 2,116 images) for the same CPU time, all three at once.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
recipe="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.3"
variants=(
  "b-0.3:$recipe"
  "b-1:$recipe --mask-area-b 1.0"
  "b-3:$recipe --mask-area-b 3.0"
)
init=pipelines/horse2zebra-masked.state
budget=15m
parallel=3
