# D_B's background, faded (2026-12-05, docs/quality.md): on the masks alone D_B scores a shut mask (a blank)
# about as real as a horse, since blanks fill two fifths of its real side's patches (pipelines/judge_probe.py),
# so zebra2horse's masks stay shut over zebras. `--d-background-b K` shows D_B the background too, faded to a
# share K, on both sides: a zebra left alone is then a faint zebra, not a blank. From the schedule's state,
# 30 CPU-minutes each, three at once: the schedule's settings (the control), K = 0.25 and K = 0.5.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b --mask-follow-b 3.0 --content-adv-b 1.0"
variants=(
  "control:$common"
  "fade-0.25:$common --d-background-b 0.25"
  "fade-0.5:$common --d-background-b 0.5"
)
init=pipelines/horse2zebra-masked.state
budget=30m
parallel=3
