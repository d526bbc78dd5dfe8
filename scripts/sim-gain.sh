#!/usr/bin/env bash
# How close do the fitted models get to the generating model? Simulates simple and complex cells,
# fits stacked3 and the GLM, scores both on the test split against the ground truth and prints the
# fraction of the achievable gain (LL_fit − LL_null)/(LL_true − LL_null) per cell type as JSON.
# usage: scripts/sim-gain.sh [STIMULI] [CHANNELS] [THREADS]     (defaults 6000 32 2; about 10 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
STIMULI=${1:-6000}
CHANNELS=${2:-32}
THREADS=${3:-2}
BIN=$(swift build -c release --show-bin-path)/receptive
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

"$BIN" simulate --out "$TMP/sim.h5" --cells simple:8,complex:8 --stimuli "$STIMULI" --test-repeats 4 --size 32 --seed 7 --quiet
start=$(date +%s)
"$BIN" fit "$TMP/sim.h5" --out "$TMP/cnn.h5" --channels "$CHANNELS" --threads "$THREADS" --json > "$TMP/fit.json"
end=$(date +%s)
"$BIN" fit "$TMP/sim.h5" --out "$TMP/glm.h5" --model glm --threads "$THREADS" --quiet
"$BIN" score "$TMP/cnn.h5" "$TMP/sim.h5" --ground-truth --json > "$TMP/cnn.json"
"$BIN" score "$TMP/glm.h5" "$TMP/sim.h5" --ground-truth --json > "$TMP/glm.json"

python3 - "$TMP" "$STIMULI" "$CHANNELS" "$((end - start))" <<'PY'
import json, sys
d, stimuli, channels, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fit = json.load(open(f"{d}/fit.json"))
cnn, glm = json.load(open(f"{d}/cnn.json")), json.load(open(f"{d}/glm.json"))
print(json.dumps({"stimuli": stimuli, "channels": channels, "cnn_epochs": fit["epochs"], "cnn_best_epoch": fit.get("best_epoch"),
                  "cnn_fit_seconds": seconds,
                  "cnn_fraction_of_achievable_gain": cnn["fraction_of_achievable_gain"],
                  "glm_fraction_of_achievable_gain": glm["fraction_of_achievable_gain"],
                  "test_bits_per_spike": {"cnn": cnn["bits_per_spike"]["mean"], "glm": glm["bits_per_spike"]["mean"],
                                          "true_model": cnn["true_model"]["bits_per_spike"]["mean"]}}))
PY
