# A floor under the mask's gradient (2026-12-04, docs/quality.md "The gradient floor"): zebra2horse's masks
# stayed open over every testB pixel at area weights 0.3, 1 and 3 (the area-b round); its mask logits in the
# schedule's state sit at 4 to 54 (median 8.6), where the sigmoid's gradient is 1e-4 to 1e-23: no prior
# weight can reach them. From the schedule's state at 4,316 images (area 0.15), the same CPU time each:
# the schedule as it is (the control), with a floor of 0.05 (the sigmoid's gradient where the mask clamps),
# and with the floor and zebra2horse's own area weight at 0.5 (once the prior reaches the masks, that
# direction may need more of it to close over a pasture).
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15"
variants=(
  "control:$common"
  "floor:$common --mask-grad-floor 0.05"
  "floor-b0.5:$common --mask-grad-floor 0.05 --mask-area-b 0.5"
)
init=pipelines/horse2zebra-masked.state
budget=20m
parallel=3
