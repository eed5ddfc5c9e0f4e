#!/usr/bin/env bash
# One GPU run, started with one call from the repository root (docs/gpu-runs.md says how to prepare it and
# read what comes back):
#
#   bash pipelines/gpu-run.sh train        continue horse2zebra's schedule for the run's wall time; return the
#                                          compact state (both generators as int8 models with cards, the
#                                          discriminators, progress.json), eval.json (both directions), log.txt;
#                                          words after `train` go to vidgan train (what --continue takes anew,
#                                          e.g. --save-every 120)
#   bash pipelines/gpu-run.sh bench-train  `vidgan bench-train`: the paper's setting against the fast ones
#   bash pipelines/gpu-run.sh bench        `vidgan bench`: translation speed at 720p and 1080p (carries PyAV's
#                                          wheel in .whl/, so it cannot carry the training data too)
#
# It writes at most 8 files into $OUT. Settings, from the environment:
#   WALL     the whole script's wall time in seconds (default 540: a device command may run 600)
#   RECIPE   the recipe of a schedule's first run (default pipelines/horse2zebra.toml)
#   STATE    the compact state to continue; where it has no progress.json a new schedule starts from RECIPE
#            (default pipelines/horse2zebra.state)
#   DATA     the training data packed by `vidgan pack` (default .data/horse2zebra.zip; carried, ignored by git)
#   RESERVE  seconds kept for the last save, the eval and the copy (default 75)
#   ANIMALS  boxes round testA's animals, for the eval's stripes outside them (default
#            pipelines/horse2zebra-testA-animals.json; empty: none)
#   DEVICE   passed to vidgan's --device (tests run the script on a CPU with `DEVICE=cpu`)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-train}
shift || true
: "${OUT:?set OUT to the folder that comes back}"
started=$(date +%s)
wall=${WALL:-540}
recipe=${RECIPE:-pipelines/horse2zebra.toml}
state=${STATE:-pipelines/horse2zebra.state}
pack=${DATA:-.data/horse2zebra.zip}
animals=${ANIMALS-pipelines/horse2zebra-testA-animals.json}
device=(${DEVICE:+--device "$DEVICE"})
work=$(mktemp -d)
export PYTHONUNBUFFERED=1
exec > >(tee -a "$OUT/log.txt") 2>&1
echo "gpu-run $mode: $(date -u +%FT%TZ), $(git rev-parse --short HEAD 2>/dev/null || echo 'no git')"
seconds_left() { echo $(( wall - ($(date +%s) - started) )); }

# The GPU machine has torch, NumPy, Pillow, OpenCV, click, tqdm and safetensors but not vidgan: install it
# offline without its dependencies (PyAV, for the translation benchmark, travels as a wheel in .whl/).
# python3 -P: the repository's own vidgan/ (the working directory) would otherwise shadow the installed copy,
# which alone holds vidgan.shipped (checkpoints/, where the judges are).
export PYTHONPATH="$work/site${PYTHONPATH:+:$PYTHONPATH}"
if ! python3 -P -c "import vidgan.shipped" 2>/dev/null; then
  python3 -m pip install -q --no-deps --no-build-isolation --no-index --target "$work/site" .
fi
vidgan() { python3 -P -m vidgan "$@"; }
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU')"

case "$mode" in
train)
  python3 -c "from PIL import features; assert features.check('webp'), 'this Pillow cannot read the WebP pack'"
  python3 -m zipfile -e "$pack" "$work/data"
  budget=$(( $(seconds_left) - ${RESERVE:-75} ))
  budget=$(( budget > 1 ? budget : 1 ))  # at least a step, however long the unpacking took
  common=(--a "$work/data" --b "$work/data" --runs-dir "$work/runs" --stop-after "${budget}s" --save-compact "$OUT"
          --no-export "${device[@]}")
  if [ -f "$state/progress.json" ]; then
    vidgan train --continue "$state" "${common[@]}" "$@"
  else
    vidgan train --recipe "$recipe" "${common[@]}" "$@"
  fi
  read -r g_a g_b < <(python3 -c "import json; g = json.load(open('$OUT/progress.json'))['generators']; print(g['G_A'], g['G_B'])")
  vidgan eval -m "$OUT/$g_a" --reverse "$OUT/$g_b" --a "$work/data/testA" --b "$work/data/testB" -o "$work/eval-a" \
    ${animals:+--animals "$animals"} "${device[@]}"
  vidgan eval -m "$OUT/$g_b" --reverse "$OUT/$g_a" --a "$work/data/testB" --b "$work/data/testA" -o "$work/eval-b" \
    "${device[@]}"
  python3 -c "import json, sys; json.dump({sys.argv[1]: json.load(open('$work/eval-a/eval.json')),
    sys.argv[2]: json.load(open('$work/eval-b/eval.json'))}, open('$OUT/eval.json', 'w'), indent=2)" "${g_a%.safetensors}" "${g_b%.safetensors}"
  ;;
bench-train)
  timeout $(( $(seconds_left) - 15 )) python3 -P -m vidgan bench-train "${device[@]}" --steps 20 | tee "$OUT/bench-train.md"
  ;;
bench)
  if ! python3 -c "import av" 2>/dev/null; then
    python3 -m pip install -q --no-deps --no-index --target "$work/site" .whl/*.whl
  fi
  timeout $(( $(seconds_left) / 2 )) python3 -P -m vidgan bench "${device[@]}" --sizes 1280x720,1920x1080 \
    --precision bf16 --frames 240 --compile --clip samples/horse.mp4 --presets medium,faster,veryfast \
    | tee "$OUT/bench-translate.md"
  timeout $(( $(seconds_left) - 15 )) python3 -P -m vidgan bench "${device[@]}" --sizes 1280x720 --size native \
    --precision bf16 --frames 240 --compile --clip samples/horse.mp4 | tee "$OUT/bench-native.md"
  ;;
*)
  echo "unknown mode $mode: train, bench-train or bench" >&2
  exit 2
  ;;
esac
echo "gpu-run $mode: done in $(( $(date +%s) - started )) s; in \$OUT: $(ls "$OUT" | tr '\n' ' ')"
