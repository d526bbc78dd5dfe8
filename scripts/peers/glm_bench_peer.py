"""Peers for `receptive-bench glm` (part of `make bench`): the Poisson GLM fitted by statsmodels
(IRLS) and nemos (PopulationGLM, unregularised, LBFGS) on one seeded design, timed.

usage: python glm_bench_peer.py --out design.h5 [--n 20000] [--p 400] [--units 50] [--seed 0] [--threads 2]
The design is glm_peer.py's (X = N(0,1)/sqrt(p), w ~ 0.8·N(0,1), y ~ Poisson(exp(0.3 + Xw))), with
`units` response columns drawn from `units` weight vectors (column 0 uses glm_peer.py's w).
Writes X [n, p], Y [n, units] and the peers' coefficients [units, p + 1] (intercept first) to
--out; prints one JSON object with the fit times. statsmodels fits unit 0 alone and then every
unit one after the other (it has no multi-response fit); nemos fits all units at once. A peer that
is not installed is reported as such.
"""
import argparse, json, os, time
p = argparse.ArgumentParser()
p.add_argument('--n', type=int, default=20000); p.add_argument('--p', type=int, default=400)
p.add_argument('--units', type=int, default=50); p.add_argument('--seed', type=int, default=0)
p.add_argument('--threads', type=int, default=2); p.add_argument('--out', required=True)
a = p.parse_args()
for v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[v] = str(a.threads)
import numpy as np, h5py

rng = np.random.default_rng(a.seed)
X = rng.standard_normal((a.n, a.p)) / np.sqrt(a.p)
W = np.empty((a.p, a.units))
W[:, 0] = rng.standard_normal(a.p) * 0.8
Y = np.empty((a.n, a.units))
Y[:, 0] = rng.poisson(np.exp(0.3 + X @ W[:, 0]))
for u in range(1, a.units):
    W[:, u] = rng.standard_normal(a.p) * 0.8
    Y[:, u] = rng.poisson(np.exp(0.3 + X @ W[:, u]))
out = {'n': a.n, 'p': a.p, 'units': a.units, 'threads': a.threads}
coefs = {}
try:
    import statsmodels, statsmodels.api as sm
    Xc = sm.add_constant(X)
    t = time.perf_counter(); r = sm.GLM(Y[:, 0], Xc, family=sm.families.Poisson()).fit(tol=1e-10); out['statsmodels_one_unit_seconds'] = time.perf_counter() - t
    out['statsmodels_iterations'] = int(r.fit_history['iteration'])
    C = np.empty((a.units, a.p + 1))
    t = time.perf_counter()
    for u in range(a.units):
        C[u] = sm.GLM(Y[:, u], Xc, family=sm.families.Poisson()).fit(tol=1e-10).params
    out['statsmodels_all_units_seconds'] = time.perf_counter() - t
    out['statsmodels_version'] = statsmodels.__version__
    coefs['statsmodels'] = C
except ImportError as e:
    out['statsmodels'] = 'not installed: %s' % e
try:
    import jax
    jax.config.update('jax_enable_x64', True)
    import nemos
    def nemos_fit(y):
        m = nemos.glm.PopulationGLM(solver_name='LBFGS', solver_kwargs={'tol': 1e-12, 'maxiter': 2000}) if y.ndim == 2 \
            else nemos.glm.GLM(solver_name='LBFGS', solver_kwargs={'tol': 1e-12, 'maxiter': 2000})
        m.fit(X, y)
        jax.block_until_ready(m.coef_)
        return m
    nemos_fit(Y[:, :2]); nemos_fit(Y[:, 0])  # compile once (not timed)
    t = time.perf_counter(); m1 = nemos_fit(Y[:, 0]); out['nemos_one_unit_seconds'] = time.perf_counter() - t
    t = time.perf_counter(); m = nemos_fit(Y); out['nemos_all_units_seconds'] = time.perf_counter() - t
    coefs['nemos'] = np.concatenate([np.asarray(m.intercept_)[:, None], np.asarray(m.coef_).T], axis=1)
    out['nemos_version'] = nemos.__version__
except ImportError as e:
    out['nemos'] = 'not installed: %s' % e
with h5py.File(a.out, 'w') as f:
    f['X'] = X; f['Y'] = Y
    for k, v in coefs.items(): f['coef_' + k] = v
print(json.dumps(out))
