#!/usr/bin/env bash
# Voxel-wise ridge, ours beside himalaya on the same seeded design (peer:
# ../shared/peers/himalaya_ridge_bench.py): SAMPLES × FEATURES × TARGETS, ALPHAS log-spaced
# penalties 1e-2…1e6, FOLDS-fold KFold on the training rows (the first SAMPLES/5 rows are the test
# set), same threads. Prints the peer's JSON lines, then ours: seconds (fit + predict, features read
# from the same file), peak RSS, and the same checksums (Σ log10 α, Σ |test prediction|).
# usage: scripts/bench-ridge.sh PYTHON THREADS [SAMPLES FEATURES TARGETS ALPHAS FOLDS BACKENDS]
set -euo pipefail
PY=${1:-python3}; THREADS=${2:-2}
N=${3:-2000}; P=${4:-4000}; U=${5:-20000}; A=${6:-20}; K=${7:-5}; BACKENDS=${8:-numpy,torch}
BIN=$(swift build -c release --show-bin-path)/receptive
PEER=$(cd "$(dirname "$0")/.." && pwd)/../shared/peers/himalaya_ridge_bench.py
[ -f "$PEER" ] || PEER=/work/shared/peers/himalaya_ridge_bench.py
DIR=$(mktemp -d); trap 'rm -rf "$DIR"' EXIT
if ! "$PY" -c 'import himalaya' 2>/dev/null; then echo '{"peer": "himalaya", "status": "not measured: himalaya is not installed for '"$PY"'"}'; exit 0; fi
# torch may be absent: the peer then falls back (with a warning) — we only ask for backends that import.
B=""; for b in ${BACKENDS//,/ }; do if [ "$b" = numpy ] || "$PY" -c "import $b" 2>/dev/null; then B="$B${B:+,}$b"; else echo "{\"peer\": \"himalaya ($b)\", \"status\": \"not measured: $b is not installed\"}"; fi; done
/usr/bin/time -f "%e %M %U %S" -o "$DIR/peer_time.txt" "$PY" "$PEER" --samples "$N" --features "$P" --targets "$U" --alphas "$A" --folds "$K" --threads "$THREADS" --backend "$B" --out "$DIR/design.h5" | tee "$DIR/peer.jsonl"
# The same X and Y as a dataset file: rows are stimuli (tiny placeholder images), the first N/5 the test split.
read -r PW PM PU PS < "$DIR/peer_time.txt"
echo "{\"peer\": \"himalaya process (all backends, data generation included)\", \"wall_seconds\": $PW, \"cpu_seconds\": $(echo "$PU + $PS" | bc), \"peak_rss_mb\": $((PM / 1024))}"
"$PY" - "$DIR" <<'PYEOF'
import sys, h5py, numpy as np
d = sys.argv[1]
with h5py.File(d + '/design.h5') as f, h5py.File(d + '/data.h5', 'w') as g:
    Y = f['Y'][()]; n = len(Y); nt = n // 5
    g['stimuli'] = np.zeros((n, 4, 4), np.uint8); g['responses'] = Y
    s = np.zeros(n, np.uint8); s[:nt] = 2; g['split'] = s; g.attrs['modality'] = 'fmri'
    a = f['alphas'][()]; open(d + '/alphas.txt', 'w').write(','.join(repr(float(x)) for x in a))
PYEOF
export OPENBLAS_NUM_THREADS=$THREADS
/usr/bin/time -f "%e %M %U %S" -o "$DIR/time.txt" "$BIN" fit "$DIR/data.h5" --model ridge --features "file:$DIR/design.h5:/X" \
    --alphas "$(cat "$DIR/alphas.txt")" --folds "$K" --no-standardize --threads "$THREADS" --out "$DIR/m.h5" --quiet --json > "$DIR/fit.json"
/usr/bin/time -f '%e %M' -o "$DIR/time2.txt" "$BIN" predict "$DIR/m.h5" "$DIR/data.h5" --eval-split test --out "$DIR/p.h5" --threads "$THREADS" > /dev/null
"$PY" - "$DIR" "$N" "$P" "$U" "$A" "$K" "$THREADS" <<'PYEOF'
import os, sys, json, h5py, numpy as np
d, n, p, u, a, k, t = sys.argv[1], *map(int, sys.argv[2:])
s1, m1, u1, y1 = open(d + '/time.txt').read().split(); s2, m2 = open(d + '/time2.txt').read().split()
fit = json.load(open(d + '/fit.json'))
alpha = h5py.File(d + '/m.h5')['ridge/alpha'][()]; pred = h5py.File(d + '/p.h5')['rates'][()]
print(json.dumps({'ours': 'receptive fit --model ridge + predict', 'samples': n, 'features': p, 'targets': u, 'alphas': a, 'folds': k,
                  'threads': t, 'form': fit['form'], 'seconds': round(float(s1) + float(s2), 3), 'fit_process_seconds': float(s1), 'predict_process_seconds': float(s2),
                  'fit_seconds_in_process': round(fit['seconds'], 3), 'fit_cpu_seconds': round(float(u1) + float(y1), 2),
                  'peak_rss_mb': round(max(int(m1), int(m2)) / 1024, 1), 'fit_peak_rss_mb': round(int(m1) / 1024, 1),
                  'model_file_mb': round(os.path.getsize(d + '/m.h5') / 2**20, 1), 'stored': 'dual' if 'dual_coefficients' in h5py.File(d + '/m.h5')['ridge'] else 'primal',
                  'alpha_checksum': float(np.log10(alpha).sum()), 'prediction_checksum': float(np.abs(pred.astype(np.float64)).sum())}))
peers = [json.loads(l) for l in open(d + '/peer.jsonl') if l.strip().startswith('{')]
peers = [q for q in peers if 'seconds' in q and 'backend' not in q['peer'] and 'process' not in q['peer']]
if peers:
    best = min(peers, key=lambda q: q['seconds'])
    # The peer times fit + predict on arrays already in memory; `receptive fit` + `predict` are whole
    # processes (HDF5 reads, the model file written and read back). Both ratios, against the faster backend.
    print(json.dumps({'ridge_vs': best['peer'], 'peer_seconds': best['seconds'],
                      'speedup_whole_commands': round(best['seconds'] / (float(s1) + float(s2)), 2),
                      'speedup_fit_in_process': round(best['seconds'] / fit['seconds'], 2)}))
PYEOF
