# The cycle-a round left the spill onto grass where it was: neither a dearer mask nor a weaker cycle from A takes
# it down at a price horse2zebra's score can pay. One cause the rounds have not touched is what D_A and G see:
# 128-px crops of photos resized to 286, a fifth of each picture, where many crops of zebra photos are all
# stripes and no edge of an animal, so a striped patch with no horse under it passes for a zebra photo. Crops from
# smaller resizes (224, 192, 160: a third to two thirds of each picture) show more of the scene around each
# animal, and its animals smaller, as the real zebra clip's are at the 256-px working size (its small zebras are
# left as they were). The same networks and crop size, so the same CPU cost per image. From the schedule's
# state, 30 CPU-minutes each, four at once.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
recipe=pipelines/horse2zebra-masked.toml
variants=(
  "control:"
  "load-224:--load-size 224"
  "load-192:--load-size 192"
  "load-160:--load-size 160"
)
init=pipelines/horse2zebra-masked.state
budget=30m
parallel=4
