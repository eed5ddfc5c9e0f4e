#!/usr/bin/env bash
# The CPU training run of the fast pair: one schedule (since 2026-12-04 the masked one,
# pipelines/horse2zebra-masked.toml, the bake-off's winner: docs/cpu-runs.md) that goes on in the background, at the lowest priority, whenever someone works on this machine (docs/cpu-runs.md):
#
#   bash pipelines/cpu-run.sh start    continue the schedule from the state committed in the repository;
#                                      words after `start` go to vidgan train (what --continue takes anew,
#                                      e.g. --ema 0.999; the state keeps it from then on)
#   bash pipelines/cpu-run.sh status   images seen, images/s, where the schedule stands, the last figures
#   bash pipelines/cpu-run.sh pause    hold it (SIGSTOP) around a benchmark or a timing-sensitive check
#   bash pipelines/cpu-run.sh resume   let it go on (SIGCONT)
#   bash pipelines/cpu-run.sh stop     save (SIGTERM: as Ctrl-C does) and write the compact state into the repository
#   bash pipelines/cpu-run.sh eval     vidgan eval of both directions of the committed state, on testA/testB
#
# Settings, from the environment:
#   STATE   the compact state the schedule continues from, and where `stop` writes it back
#           (default pipelines/horse2zebra-masked.state; committed: int8 generators, discriminators, progress)
#   RECIPE  the schedule's recipe, for its first run only (default pipelines/horse2zebra-masked.toml)
#   INIT    the first run's warm start: a `vidgan distill` run folder or a compact state (its two generators)
#   DATA    horse2zebra with trainA/trainB/testA/testB (default ../shared/data/horse2zebra)
#   ANIMALS boxes round testA's animals, for `eval`'s stripes outside them (default
#           pipelines/horse2zebra-testA-animals.json; empty: none)
#   WORK    run folders, log, pid (default .cpu-run, ignored by git)
#   VIDGAN  the vidgan command, words split at spaces (default .venv/bin/vidgan where it exists, else vidgan)
#   WAIT    seconds `stop` waits for the save (default 300)
#   NICE    the run's priority (default 19, the lowest: it takes only what the session leaves idle)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-status}
shift || true
state=${STATE:-pipelines/horse2zebra-masked.state}
recipe=${RECIPE:-pipelines/horse2zebra-masked.toml}
data=${DATA:-../shared/data/horse2zebra}
work=${WORK:-.cpu-run}
animals=${ANIMALS-pipelines/horse2zebra-testA-animals.json}
if [ -n "${VIDGAN:-}" ]; then read -ra vidgan <<< "$VIDGAN"; elif [ -x .venv/bin/vidgan ]; then vidgan=(.venv/bin/vidgan); else vidgan=(vidgan); fi
mkdir -p "$work"
pidfile=$work/pid

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
current_run() { cat "$work/run" 2>/dev/null || true; }

case "$mode" in
start)
  if running; then
    echo "cpu-run: already running (pid $(cat "$pidfile")): $(current_run)"
    exit 0
  fi
  [ -d "$data/trainA" ] || { echo "cpu-run: no training data at $data (set DATA)" >&2; exit 1; }
  run_root=$work/runs/$(date -u +%Y%m%dT%H%M%S.%NZ)
  common=(--a "$data" --b "$data" --runs-dir "$run_root" --save-compact "$work/compact" --no-export -q)
  if [ -f "$state/progress.json" ]; then
    read -r seen aim < <(python3 -c "import json; p = json.load(open('$state/progress.json')); print(p['images_seen'], p['schedule_images'])")
    if [ "$seen" -ge "$aim" ]; then
      echo "cpu-run: the schedule of $state is complete ($seen of $aim images); begin the next one from it:" \
        "STATE=NEXT.state RECIPE=NEXT.toml INIT=$state bash pipelines/cpu-run.sh start (docs/cpu-runs.md)" >&2
      exit 1
    fi
    what="continues $state"
    command=("${vidgan[@]}" train --continue "$state" "${common[@]}" "$@")
  elif [ -n "${INIT:-}" ]; then
    what="begins $recipe from $INIT"
    command=("${vidgan[@]}" train --recipe "$recipe" --init-from "$INIT" "${common[@]}" "$@")
  else
    echo "cpu-run: no state at $state and no INIT to begin the schedule from (see docs/cpu-runs.md)" >&2
    exit 1
  fi
  rm -rf "$work/compact"
  # nice 19: the run takes only what the session leaves idle; python -u: the log is written as it goes.
  PYTHONUNBUFFERED=1 nohup nice -n "${NICE:-19}" "${command[@]}" >> "$work/log.txt" 2>&1 &
  echo $! > "$pidfile"
  echo "$run_root" > "$work/run"
  sleep 2
  running || { echo "cpu-run: the run ended at once; the end of $work/log.txt:" >&2; tail -5 "$work/log.txt" >&2; exit 1; }
  echo "cpu-run: started (pid $(cat "$pidfile"), nice ${NICE:-19}): $what; log $work/log.txt"
  ;;
status)
  if running; then
    stat=$(ps -o stat= -p "$(cat "$pidfile")")
    case "$stat" in T*) echo "cpu-run: paused (pid $(cat "$pidfile"))" ;; *) echo "cpu-run: running (pid $(cat "$pidfile"))" ;; esac
  else
    echo "cpu-run: not running"
  fi
  paths=()
  run=$(current_run)
  if [ -n "$run" ] && [ -n "$(find "$run" -name log.jsonl 2>/dev/null)" ]; then paths+=("$run"); fi
  if [ -f "$state/progress.json" ]; then paths+=("$state"); fi
  if [ ${#paths[@]} -gt 0 ]; then "${vidgan[@]}" progress "${paths[@]}"; else echo "cpu-run: nothing trained yet"; fi
  ;;
pause | resume)
  running || { echo "cpu-run: not running" >&2; exit 1; }
  kill "-$([ "$mode" = pause ] && echo STOP || echo CONT)" "$(cat "$pidfile")"
  echo "cpu-run: ${mode}d (pid $(cat "$pidfile"))"
  ;;
stop)
  if running; then
    pid=$(cat "$pidfile")
    kill -CONT "$pid"  # a paused run cannot save
    # TERM, which vidgan train takes as Ctrl-C (save, compact state included, then exit); not INT, which a
    # shell leaves ignored in what it starts in the background until vidgan has set its handler.
    kill -TERM "$pid"
    for _ in $(seq "${WAIT:-300}"); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then echo "cpu-run: the run did not stop within ${WAIT:-300} s" >&2; exit 1; fi
  fi
  rm -f "$pidfile"
  if [ ! -f "$work/compact/progress.json" ]; then
    echo "cpu-run: stopped; no compact state was written this time (nothing to commit)"
    exit 0
  fi
  # Into the repository in one move: a state is never half old, half new.
  rm -rf "$state.new" && cp -r "$work/compact" "$state.new"
  rm -rf "$state.old" && { [ ! -d "$state" ] || mv "$state" "$state.old"; } && mv "$state.new" "$state" && rm -rf "$state.old"
  rm -rf "$work/compact"
  echo "cpu-run: stopped; the compact state is in $state ($(du -sh "$state" | cut -f1)): commit it"
  ;;
eval)
  read -r g_a g_b < <(python3 -c "import json; g = json.load(open('$state/progress.json'))['generators']; print(g['G_A'], g['G_B'])")
  "${vidgan[@]}" eval -m "$state/$g_a" --reverse "$state/$g_b" --a "$data/testA" --b "$data/testB" -o "$work/eval-a" \
    ${animals:+--animals "$animals"}
  "${vidgan[@]}" eval -m "$state/$g_b" --reverse "$state/$g_a" --a "$data/testB" --b "$data/testA" -o "$work/eval-b"
  ;;
*)
  echo "usage: bash pipelines/cpu-run.sh start|status|pause|resume|stop|eval" >&2
  exit 2
  ;;
esac
