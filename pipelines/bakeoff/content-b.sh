# zebra2horse's content judged whole (2026-12-05, docs/quality.md): beneath zebra2horse's shut masks its content
# paints real zebras cyan, and neither a mask prior (cover-b) nor a greyed cycle (grey-b) taught it horses there.
# `--content-adv-b W` adds a whole-image discriminator (D_C) of F's content on the real zebras against whole real
# horses, at weight W: the paper's adversarial term, asked of the content alone. From the schedule's state,
# 30 CPU-minutes each, three at once: the schedule's settings (the control), W = 0.5 and W = 1.0.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b --mask-follow-b 3.0"
variants=(
  "control:$common"
  "content-0.5:$common --content-adv-b 0.5"
  "content-1:$common --content-adv-b 1.0"
)
init=pipelines/horse2zebra-masked.state
budget=30m
parallel=3
