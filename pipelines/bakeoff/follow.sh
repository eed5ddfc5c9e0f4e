# zebra2horse's masks follow horse2zebra's on the way back (2026-12-04, docs/quality.md "The following
# term"): the masked D_B (dmask-b) took zebra2horse's masks from open everywhere to mostly shut in 45
# CPU-minutes, over the zebras as well. `--mask-follow-b` pulls G_B's mask on G(a) towards G_A's mask on a
# (held fixed): on the cycle's way back F must change what G changed, and horse2zebra's masks are where the
# animal is (its background shift 0.97). From the schedule's state, 35 CPU-minutes each, all three at once:
# the masked D_B as before (the reference from this start), with the following term, and with the term and
# the gradient floor (the schedule's zebra2horse masks sit past the clamp, where no term reaches them).
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b"
variants=(
  "dmask-b:$common"
  "follow:$common --mask-follow-b 1.0"
  "follow-floor:$common --mask-follow-b 1.0 --mask-grad-floor 0.05"
)
init=pipelines/horse2zebra-masked.state
budget=35m
parallel=3
