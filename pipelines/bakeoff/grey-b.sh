# A colour hidden in the stripes (2026-12-04, docs/quality.md): zebra2horse's content rebuilds horses from
# horse2zebra's zebras (the cycle) but paints real zebras cyan; drawn from horse2zebra's zebras greyed inside
# its mask, it paints them cyan too: it reads the coat's colour from a tint G leaves in its stripes, which real
# zebras lack. From the schedule's state, 25 CPU-minutes each, both at once: the schedule's settings (the
# control) and the way back greyed (`--grey-cycle-b`), so F must make a coat from neutral stripes.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b --mask-follow-b 3.0"
variants=(
  "control:$common"
  "grey-b:$common --grey-cycle-b"
)
init=pipelines/horse2zebra-masked.state
budget=25m
parallel=2
