# The cycle from B, weighed on its own (2026-12-05, docs/quality.md): zebra2horse's masks now cover the zebras,
# but beneath them the content is a zebra tinted brown with its stripes faint and plain (stripes left 1.4-1.6
# times a horse's): |G(F(b)) - b| at lambda 10 asks F(b) to keep all G needs to redraw b's stripes, against
# D_B's weight of 1. `--lambda-cycle-b L` weighs that cycle alone (the official code's lambda_B). From the
# schedule's state, 30 CPU-minutes each, three at once: the schedule's settings (the control), L = 5, L = 2.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b --d-background-b 0.5 --mask-follow-b 3.0 --content-adv-b 1.0"
variants=(
  "control:$common"
  "cycle-b-5:$common --lambda-cycle-b 5"
  "cycle-b-2:$common --lambda-cycle-b 2"
)
init=pipelines/horse2zebra-masked.state
budget=30m
parallel=3
