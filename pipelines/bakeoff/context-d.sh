# The context-c round: zebras resized to 224 (then 192) lifted horse2zebra's colour-blind score +0.050 ±0.023
# (+0.092 ±0.030) against the control, and zebra2horse paid (stripes on the coats +0.04 ±0.01, a quarter of
# testB's backgrounds mottled). The schedule then ran on at 224 to 7,924 images: score 0.800, but the
# background shift rose to 4.03 and dry-grass fields, rocks and sky came out painted with herds of zebras
# (docs/quality.md, the learning curve). Which half does it: D_A judging smaller real zebras (whole herds on
# savanna in a crop), or F learning on them (and G, through the cycle from B, restriping small animals)?
# `--load-size-real-b` resizes D_A's real zebras apart from F's: the control (zebras at 224 for both); zebras
# back at 286 for both (the recipe before the round); F's at 286 with D_A's at 224 and at 192. From the
# schedule's state, 30 CPU-minutes each, four at once.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
recipe=pipelines/horse2zebra-masked.toml
variants=(
  "control:"
  "zebras-286:--load-size-b 286"
  "judged-224:--load-size-b 286 --load-size-real-b 224"
  "judged-192:--load-size-b 286 --load-size-real-b 192"
)
init=pipelines/horse2zebra-masked.state
budget=30m
parallel=4
