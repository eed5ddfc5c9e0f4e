#!/usr/bin/env bash
# Bake-offs (issue 28): variants of the CPU recipe trained for the same CPU time from the same start, then
# evaluated alike; each round's table and pictures go into docs/quality.md. A round is a file,
# pipelines/bakeoff/ROUND.sh, that sets `variants` (name:settings added to the recipe), `init` (the start),
# `budget` (CPU time per variant), `parallel` (how many train at once) and, where it starts from the schedule's
# settings, `recipe` (default pipelines/bakeoff/base.toml, the first round's ground; a round from the schedule
# names pipelines/horse2zebra-masked.toml, so its variants list only what they change). A round with
# `amend=1` goes on with `init`'s schedule instead (a compact state: its count, its learning rate, its
# settings, with each variant's amended: `vidgan train --continue --amend`), so its winner carries the
# schedule on where a new run would begin the count again.
#
#   bash pipelines/bakeoff.sh start ROUND     train the variants not trained yet, PARALLEL at a time (one
#                                             thread each, nice 19), each for BUDGET of its own CPU time
#   bash pipelines/bakeoff.sh status ROUND    which variants are done, running, waiting
#   bash pipelines/bakeoff.sh pause|resume ROUND   hold them (SIGSTOP) around a timing-sensitive check
#   bash pipelines/bakeoff.sh eval ROUND      vidgan eval of both directions of every trained variant
#
# ROUND defaults to `masked`, the first (mask, DiffAugment, their regularisation); each round's file says
# what it asks and from which start. A variant cut short (a restart) goes on from its last save at the next
# `start`. Settings, from the environment: DATA, WORK (default
# .bakeoff/ROUND), VIDGAN (as in cpu-run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-status}
round=${2:-masked}
[ -f "pipelines/bakeoff/$round.sh" ] || { echo "bakeoff: no round $round (pipelines/bakeoff/*.sh)" >&2; exit 2; }
parallel=2
recipe=pipelines/bakeoff/base.toml
# shellcheck source=/dev/null
. "pipelines/bakeoff/$round.sh"
[ -f "$recipe" ] || { echo "bakeoff: round $round names no recipe at $recipe" >&2; exit 2; }
data=${DATA:-../shared/data/horse2zebra}
work=${WORK:-.bakeoff/$round}
animals=${ANIMALS-pipelines/horse2zebra-testA-animals.json}  # boxes round testA's animals (empty: none)
if [ -n "${VIDGAN:-}" ]; then read -ra vidgan <<< "$VIDGAN"; elif [ -x .venv/bin/vidgan ]; then vidgan=(.venv/bin/vidgan); else vidgan=(vidgan); fi

mkdir -p "$work"

train_one() {  # name, settings: one variant to its budget; its compact state in $work/NAME/compact
  local name=$1 dir=$work/$1 run=$work/$1/runs/horse2zebra-fast
  read -ra settings <<< "$2"
  mkdir -p "$dir"
  if [ -f "$run/state.pt" ] && [ -f "$dir/compact/progress.json" ]; then
    # An interrupted variant (a restart, a stop) goes on from its last save for what is left of its budget:
    # --stop-after counts this process's CPU time, progress.json the CPU time trained before.
    local left
    left=$(python3 -c "import json; b = '$budget'; s = float(b[:-1]) * {'s': 1, 'm': 60, 'h': 3600}[b[-1]]; \
print(max(1, round(s - json.load(open('$dir/compact/progress.json'))['train_seconds'])))")
    command=(train --resume "$run" --save-compact "$dir/compact" --no-export --clock cpu --stop-after "${left}s" -q)
  else
    rm -rf "$dir/runs" "$dir/compact"
    if [ "${amend:-0}" = 1 ]; then
      start=(--continue "$init" --amend)
    else
      start=(--recipe "$recipe" --init-from "$init")
    fi
    command=(train "${start[@]}" --a "$data" --b "$data" "${settings[@]}"
      --runs-dir "$dir/runs" --save-compact "$dir/compact" --no-export --clock cpu --stop-after "$budget" -q)
  fi
  OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1 nice -n 19 "${vidgan[@]}" "${command[@]}" >> "$dir/log.txt" 2>&1 &
  echo $! > "$dir/pid"
  wait "$(cat "$dir/pid")" && touch "$dir/done"
  rm -f "$dir/pid"
}

# A pid file outlives its process when the machine restarts under a round: only live ones count.
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
pids() { for f in "$work"/*/pid; do alive "$f" && cat "$f"; done; true; }

case "$mode" in
start)
  if [ -n "$(pids)" ]; then echo "bakeoff: already running"; exit 0; fi
  [ -d "$data/trainA" ] || { echo "bakeoff: no training data at $data (set DATA)" >&2; exit 1; }
  todo=()
  for v in "${variants[@]}"; do [ -f "$work/${v%%:*}/done" ] || todo+=("$v"); done
  (
    for ((i = 0; i < ${#todo[@]}; i += parallel)); do
      for ((j = i; j < i + parallel && j < ${#todo[@]}; j++)); do train_one "${todo[j]%%:*}" "${todo[j]#*:}" & done
      wait
    done
  ) > "$work/driver.txt" 2>&1 &
  echo "bakeoff: started ${#todo[@]} variant(s), $parallel at a time, $budget of CPU each; logs in $work/*/log.txt"
  ;;
status)
  for v in "${variants[@]}"; do
    name=${v%%:*}
    if [ -f "$work/$name/done" ]; then what=done; elif alive "$work/$name/pid"; then what=running
    elif [ -f "$work/$name/pid" ]; then what="cut short (goes on at the next start)"; else what=waiting; fi
    echo "$name: $what"
  done
  ;;
pause | resume)
  for pid in $(pids); do kill "-$([ "$mode" = pause ] && echo STOP || echo CONT)" "$pid"; done
  echo "bakeoff: ${mode}d"
  ;;
eval)
  for v in "${variants[@]}"; do
    name=${v%%:*} state=$work/${v%%:*}/compact
    [ -f "$work/$name/done" ] || { echo "bakeoff: $name not trained yet"; continue; }
    "${vidgan[@]}" eval -m "$state/horse2zebra-fast.safetensors" --reverse "$state/zebra2horse-fast.safetensors" \
      --a "$data/testA" --b "$data/testB" -o "$work/$name/eval-a" ${animals:+--animals "$animals"}
    "${vidgan[@]}" eval -m "$state/zebra2horse-fast.safetensors" --reverse "$state/horse2zebra-fast.safetensors" \
      --a "$data/testB" --b "$data/testA" -o "$work/$name/eval-b"
  done
  ;;
*)
  echo "usage: bash pipelines/bakeoff.sh start|status|pause|resume|eval [ROUND]" >&2
  exit 2
  ;;
esac
