# The area prior (2026-12-04, docs/quality.md "The area A/B"): the masked schedule's masks stayed open over
# ~96% of every image with the area prior at 0.05, so its background is kept by the content's training,
# not by the mask. The schedule's recipe with the prior at 0.05 (as it is), 0.3 and 1.0, each from the
# schedule's state at commit f440cc9 (6,856 images) for the same CPU time, all three at once.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
winner="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad"
variants=(
  "area-0.05:$winner --mask-area 0.05"
  "area-0.3:$winner --mask-area 0.3"
  "area-1:$winner --mask-area 1.0"
)
init=pipelines/horse2zebra-masked.state
budget=20m
parallel=3
