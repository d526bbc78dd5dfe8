#!/usr/bin/env bash
# CNN training epoch under 1 process and under `mpirun -np 2`, 1 thread per rank: seconds per
# epoch and bytes rank 0 contributed to collectives (docs/scaling.md); then ridge per voxel on
# VOXELS simulated voxels (gabor features, targets split in batches of 1000) the same way. Usage:
#   scripts/bench-mpi.sh [STIMULI] [SIZE] [CHANNELS] [EPOCHS] [VOXELS]
set -euo pipefail
STIMULI=${1:-1200}; SIZE=${2:-32}; CHANNELS=${3:-16}; EPOCHS=${4:-2}; VOXELS=${5:-4000}
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
# Ridge per voxel: 1 000 stimuli of 16×16, 792 gabor energies, VOXELS targets.
"$BIN" simulate --out "$DIR/vox.h5" --cells voxels:"$VOXELS" --stimuli 1000 --size 16 --seed 1 --quiet
RARGS=(fit "$DIR/vox.h5" --model ridge --features gabor --gabor-size 16 --gabor-frequencies 2,3,4,6 --gabor-spacing 1.5
       --target-batch 1000 --threads 1 --quiet --json --force)
for R in 1 2; do
  if [ "$R" = 1 ]; then OUT=$("$BIN" "${RARGS[@]}" --out "$DIR/r$R.h5")
  else OUT=$(mpirun --allow-run-as-root --oversubscribe -np "$R" "$BIN" "${RARGS[@]}" --out "$DIR/r$R.h5"); fi
  echo "$OUT" | tr -d '\n ' | sed -e "s/^{/{\"bench\":\"mpi-ridge\",\"voxels\":$VOXELS,\"requested_ranks\":$R,/"
  echo
done
