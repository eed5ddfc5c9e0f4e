# horse2zebra's masks taught where an animal ends (queued 2026-12-05 for the next session; docs/quality.md,
# "The fade-a round"): its stripes spill over scenery (8 of its 37 misses, and its background shift), and
# fading D_A's view of the scenery took the spill away with the stripes. `--mask-follow-a W` asks G's mask on
# F(b), on the cycle from B, to follow F's mask on b: where zebra2horse changed a real zebra, horse2zebra
# must change it back, and nowhere else (nothing else moves G's masks there: the cycle does not, with
# mask_cycle_grad off). The mirror of mask_follow_b, which put zebra2horse's masks on the animals (the follow
# round). From the schedule's state, 30 CPU-minutes each, three at once: the schedule's settings (the
# control), W = 1 and W = 3.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b --d-background-b 0.5 --mask-follow-b 3.0 --content-adv-b 1.0 --lambda-cycle-b 5"
variants=(
  "control:$common"
  "follow-a-1:$common --mask-follow-a 1.0"
  "follow-a-3:$common --mask-follow-a 3.0"
)
init=pipelines/horse2zebra-masked.state
budget=30m
parallel=3
