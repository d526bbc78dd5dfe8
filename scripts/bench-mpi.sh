#!/usr/bin/env bash
# CNN training epoch under 1 process and under `mpirun -np 2`, 1 thread per rank: seconds per
# epoch and bytes rank 0 contributed to collectives (docs/scaling.md). Usage:
#   scripts/bench-mpi.sh [STIMULI] [SIZE] [CHANNELS] [EPOCHS]
set -euo pipefail
STIMULI=${1:-1200}; SIZE=${2:-32}; CHANNELS=${3:-16}; EPOCHS=${4:-2}
BIN=$(swift build -c release --show-bin-path)/receptive
command -v mpirun >/dev/null || { echo '{"bench":"mpi","skipped":"mpirun not found (make test-mpi installs Open MPI)"}'; exit 0; }
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
"$BIN" simulate --out "$DIR/sim.h5" --cells simple:20,complex:20 --stimuli "$STIMULI" --size "$SIZE" --repeats 2 --seed 1 --quiet
ARGS=(fit "$DIR/sim.h5" --arch stacked3 --channels "$CHANNELS" --epochs "$EPOCHS" --patience 100 --seed 3 --threads 1 --quiet --json --force)
for R in 1 2; do
  if [ "$R" = 1 ]; then OUT=$("$BIN" "${ARGS[@]}" --out "$DIR/m$R.h5")
  else OUT=$(mpirun --allow-run-as-root --oversubscribe -np "$R" "$BIN" "${ARGS[@]}" --out "$DIR/m$R.h5"); fi
  echo "$OUT" | tr -d '\n ' | sed -e "s/^{/{\"bench\":\"mpi\",\"stimuli\":$STIMULI,\"size\":$SIZE,\"channels\":$CHANNELS,\"requested_ranks\":$R,/"
  echo
done
