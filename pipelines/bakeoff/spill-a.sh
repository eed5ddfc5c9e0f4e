# horse2zebra's spill in the open phase (2026-12-07, docs/quality.md "The spill in the decay"): along the decay
# horse2zebra's masks swing open and shut with the schedule itself (the floor-a round), and where they open
# they spill: stripes over the sky behind the close-up, on the grass, a zebra drawn in a car mirror (sky
# textured 0.46 at 82,768, 0.22 at 86,600; the guards that keep 86,600 from shipping are its sky and grid).
# Two levers on that, going on with the schedule (amend=1) from its state at 92,844 images, 25 CPU-minutes
# each, three at once: D_A sees the composites through the masks with half the background beyond them, faded
# (as D_B does with a quarter: on the masks alone its stripes were fainter, the first bake-off), so a
# background that differs between pasture and savanna weighs half of what it did and stripes where the mask
# marks no animal are plain to it; and the masks' total variation at half (0.05): at 0.1 a region is cheaper
# than its outline, so a mask that opens on a horse opens on the sky beside it.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
amend=1
variants=(
  "control:"
  "fade-a-0.5:--d-on-mask --d-background 0.5"
  "tv-0.05:--mask-tv 0.05"
)
init=pipelines/horse2zebra-masked.state
budget=25m
parallel=3
