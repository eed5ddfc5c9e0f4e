# The dmask-b round's run, longer (2026-12-04, docs/quality.md "The gradient floor"): in 20 CPU-minutes
# the masked D_B moved zebra2horse's masks off the clamp (open 1.00 -> 0.65) while its pictures got worse.
# Does it go on closing them, and do the pictures come back? The same settings for 25 more CPU-minutes,
# from that run's state (made by `bash pipelines/bakeoff.sh start dmask-b`), beside the CPU run.
# shellcheck disable=SC2034  # read by pipelines/bakeoff.sh
variants=(
  "dmask-b:--mask --diffaugment color,translation,cutout --mask-tv 0.1 --no-mask-cycle-grad --mask-area 0.15 --d-on-mask-b"
)
init=.bakeoff/dmask-b/dmask-b/compact
budget=25m
parallel=1
