# D_A's background, faded (run 2026-12-05; docs/quality.md, "The fade-a round": the spill went and the stripes
# with it, not adopted). From "What the judge's misses are": 8 of horse2zebra's 37 misses on testA are zebras
# whose stripes spill over mountains, snow and sky, and the spill is what raises its background shift. D_A sees
# whole composites, and a photo of zebras is stripes across the frame, so striped scenery passes it. On the
# masks with the background faded (as D_B sees since the fade-b round), the unfaded part of its real side is a
# zebra where zebra2horse's masks open, and a mask opened over scenery shows it scenery at full strength. From
# the schedule's state, 30 CPU-minutes each, three at once: the schedule's settings (the control), D_A at K =
# 0.5 and K = 0.25.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b --d-background-b 0.5 --mask-follow-b 3.0 --content-adv-b 1.0 --lambda-cycle-b 5"
variants=(
  "control:$common"
  "fade-a-0.5:$common --d-on-mask --d-background 0.5"
  "fade-a-0.25:$common --d-on-mask --d-background 0.25"
)
init=pipelines/horse2zebra-masked.state
budget=30m
parallel=3
