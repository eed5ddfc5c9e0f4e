# zebra2horse's discriminator on the masks alone (2026-12-04, docs/quality.md "The gradient floor"): its
# masks stayed open over all of testB at every area weight (area-b) and with a floor under the mask's
# gradient (floor): recolouring the savanna keeps paying while D_B sees it. With `--d-on-mask-b`, D_B sees
# G_B's translations through G_B's own mask and real horses through horse2zebra's (the horse, on black), so
# a mask open over the scene shows D_B a scene where every real horse has none. horse2zebra's D as it is
# (on its mask its stripes came out faint: the first bake-off). From the floor round's start for the same
# CPU time; its `control` is this round's control. With and without the floor: the logits of a mask open
# this long sit where the sigmoid passes almost no gradient, the masked D's included.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15"
variants=(
  "dmask-b:$common --d-on-mask-b"
  "dmask-b-floor:$common --d-on-mask-b --mask-grad-floor 0.05"
)
init=pipelines/horse2zebra-masked.state
budget=20m
parallel=2
