# Opening zebra2horse's masks on real zebras (2026-12-04, docs/quality.md "The cover-b round"): at 7,028
# images zebra2horse's content, drawn with its mask forced open, keeps every background as it was and paints
# the zebras cyan-green: it learnt to undo horse2zebra's stripes (the cycle) and never a coat on a real zebra,
# because its mask is shut there and a shut mask passes the adversarial term no gradient. From the schedule's
# state (7,312 images), 35 CPU-minutes each, three at once: the schedule's settings (the control); a gradient
# floor on zebra2horse's mask head alone (the follow round's follow-floor reached 0.707 on zebra2horse while the
# floor on both spoilt horse2zebra); and that floor with the cover term (each zebra photo's mask at least 20%).
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b --mask-follow-b 3.0"
variants=(
  "control:$common"
  "floor-b:$common --mask-grad-floor-b 0.05"
  "cover-b:$common --mask-grad-floor-b 0.05 --mask-cover-b 1.0 --mask-cover-b-share 0.2"
)
init=pipelines/horse2zebra-masked.state
budget=35m
parallel=3
