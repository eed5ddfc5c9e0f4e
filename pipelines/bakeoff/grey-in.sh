# horse2zebra's masks find a horse by its colour (docs/quality.md, "Found by its colour"): testA greyed before
# translation, the state's colour-blind score falls from 0.725 to 0.117 and its masks from 22% of the pictures
# to 7%; Muybridge's black-and-white horse is the clip target still missed. `--grey-share S` greys that share
# of each side's training images (horses and zebras alike, so D_A sees grey zebras as real as coloured ones):
# G must find the horse by its shape. From the schedule's state, 30 CPU-minutes each, three at once: the
# schedule's settings (the control), S = 0.25 and S = 0.5.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
common="--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b --d-background-b 0.5 --mask-follow-b 3.0 --mask-follow-a 3.0 --content-adv-b 1.0 --lambda-cycle-b 5"
variants=(
  "control:$common"
  "grey-0.25:$common --grey-share 0.25"
  "grey-0.5:$common --grey-share 0.5"
)
init=pipelines/horse2zebra-masked.state
budget=30m
parallel=3
