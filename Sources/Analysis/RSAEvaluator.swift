// The fast RSA kernel: model-vs-subject comparisons and the noise ceiling for one weighting of the
// conditions — all ones for the point estimate, the multiplicities of a bootstrap resample otherwise.
//
// Shape legend: K conditions, P = K(K−1)/2 pairs, S subject RDMs, M model RDMs, L ≤ P pairs in the
// support of a resample (both conditions drawn), Kp ≤ K conditions drawn.
//
// Why weights: a bootstrap sample over conditions draws condition a c_a times. rsatoolbox builds the
// K×K resampled RDM, marks the pairs of two copies of one condition NaN and drops them; what remains
// is every pair (a, b) of distinct conditions repeated c_a·c_b times. Every comparison here is a
// function of that multiset, so it is computed on the L distinct pairs with weights w = c_a·c_b:
//   means, variances, inner products    Σ w (·)
//   average ranks                       rank = (weight of smaller values) + (weight of ties + 1)/2,
//                                       from an order sorted once per RDM (no sort per resample)
//   Kendall τ-a                         Σ w_p w_q sign·sign over distinct pairs, Fenwick tree O(L log L)
//   whitening (cov-weighted methods)    rsatoolbox's least-squares centring on the expanded K×K
//                                       matrix; copies of one condition share their centring
//                                       coefficient β_a, which reduces the K×K solve to the closed form
//                                       β_a = (2R_a − Σ_b c_b β_b)/(K − 2c_a + 2), R_a = Σ_{b≠a} c_b x_ab
// The results equal rsatoolbox's on the same resample (tests: 1e-10 against the reference port,
// 1e-6 against rsatoolbox); the point estimate is the special case c ≡ 1.
import Foundation
import Tensors

/// Values of one evaluation (point estimate or one bootstrap resample).
public struct RSAEvaluation: Sendable, Equatable {
    /// [M]: each model's comparison with each subject RDM, averaged over subjects (rsatoolbox eval_fixed).
    public var values: [Double]
    /// [M, S] row-major: the comparison of model m with subject s.
    public var perSubject: [Double]
    /// Noise ceiling (nil with fewer than 2 subjects): lower = mean over subjects of the comparison
    /// with the pooled RDM of the other subjects, upper = with the pooled RDM of all subjects.
    public var noiseCeilingLower: Double?
    public var noiseCeilingUpper: Double?
}

public final class RSAEvaluator: @unchecked Sendable {
    public let method: RDMComparisonMethod
    public let subjects: RDMSet
    public let models: RDMSet
    public var conditions: Int { k }

    let k: Int, pairs: Int, nS: Int, nM: Int
    /// Conditions of each pair, [P].
    let pairI: [Int32], pairJ: [Int32]
    /// Ascending order of each input RDM's dissimilarities, subjects then models, [S + M][P]
    /// (rank-based methods only).
    let orders: [[Int32]]
    /// Input RDMs, subjects then models, [S + M, P].
    let inputs: [Double]

    /// - Throws: `RSAError.mismatchedConditions` when subjects and models differ in K,
    ///   `.tooFewConditions` for K < 3, `.degenerateRDM` for an RDM the method cannot compare
    ///   (constant for the correlation-type methods, all zero for the cosines).
    public init(subjects: RDMSet, models: RDMSet, method: RDMComparisonMethod,
                subjectsSource: String = "subject RDMs", modelsSource: String = "model RDMs") throws {
        guard subjects.conditions == models.conditions else {
            throw RSAError.mismatchedConditions(first: subjectsSource, firstConditions: subjects.conditions,
                                                second: modelsSource, secondConditions: models.conditions)
        }
        guard subjects.conditions >= 3 else { throw RSAError.tooFewConditions(source: subjectsSource, conditions: subjects.conditions) }
        guard subjects.count >= 1 else { throw RSAError.emptySet(source: subjectsSource) }
        guard models.count >= 1 else { throw RSAError.emptySet(source: modelsSource) }
        self.method = method
        self.subjects = subjects
        self.models = models
        k = subjects.conditions
        pairs = RDM.pairCount(k)
        nS = subjects.count
        nM = models.count
        var pi = [Int32](), pj = [Int32]()
        pi.reserveCapacity(pairs); pj.reserveCapacity(pairs)
        for i in 0..<k { for j in (i + 1)..<k { pi.append(Int32(i)); pj.append(Int32(j)) } }
        pairI = pi; pairJ = pj
        inputs = subjects.vectors + models.vectors
        for (set, source) in [(subjects, subjectsSource), (models, modelsSource)] {
            for r in 0..<set.count {
                let v = set.vector(r)
                let first = v.first!
                if method.needsVariance && v.allSatisfy({ $0 == first }) {
                    throw RSAError.degenerateRDM(source: source, rdm: "\(r) ('\(set.names[r])')", method: method.rawValue, reason: "has all dissimilarities equal")
                }
                if !method.needsVariance && v.allSatisfy({ $0 == 0 }) {
                    throw RSAError.degenerateRDM(source: source, rdm: "\(r) ('\(set.names[r])')", method: method.rawValue, reason: "is all zeros")
                }
            }
        }
        if method.isRankBased {
            let all = inputs
            let p = pairs
            orders = (0..<(nS + nM)).map { r in
                let base = r * p
                return (0..<p).sorted { all[base + $0] < all[base + $1] }.map { Int32($0) }
            }
        } else {
            orders = []
        }
    }

    /// The point estimate: every condition once.
    public func evaluate() -> RSAEvaluation { evaluate(counts: [Int](repeating: 1, count: k)) }

    /// The evaluation on a resample in which condition a is drawn counts[a] times (counts [K], ≥ 0).
    /// Fewer than 3 distinct conditions drawn gives NaN values (rsatoolbox skips such samples).
    public func evaluate(counts: [Int], noiseCeiling: Bool = true) -> RSAEvaluation {
        precondition(counts.count == k && counts.allSatisfy { $0 >= 0 })
        let ws = Workspace(self)
        var values = [Double](repeating: .nan, count: nM)
        var ceiling = [Double](repeating: .nan, count: 2)
        let ok = values.withUnsafeMutableBufferPointer { v in ceiling.withUnsafeMutableBufferPointer { c in
            run(counts: counts, ws, values: v.baseAddress!, ceiling: noiseCeiling && nS >= 2 ? c.baseAddress! : nil)
        } }
        let hasCeiling = noiseCeiling && nS >= 2
        return RSAEvaluation(values: values, perSubject: ok ? ws.sims : [Double](repeating: .nan, count: nM * nS),
                             noiseCeilingLower: hasCeiling ? ceiling[0] : nil, noiseCeilingUpper: hasCeiling ? ceiling[1] : nil)
    }

    // MARK: workspace

    /// Buffers for one thread, reused across resamples. RDM index r: subjects 0..<S, models
    /// S..<S+M, pooled RDMs S+M+t (all subjects but t) and S+M+S (all subjects).
    final class Workspace {
        let nR: Int, stride: Int, fstride: Int
        var slotOf: [Int32]        // [P] slot of a pair in the support, −1 outside
        var support: [Int32]       // [L] pair of each slot
        var w: [Double]            // [L] weight c_a c_b of each slot
        var c: [Double]            // [K] counts
        var present: [Int32]       // [Kp] drawn conditions
        var raw: [Double]          // [nR, L] dissimilarities (pooled RDMs: pooled values)
        var feat: [Double]         // [nR, L + Kp] comparison features
        var omega: [Double]        // [L + Kp] weights of the features
        var norms: [Double]        // [nR]
        var order: [Int32]         // [nR, L] slots in ascending order of raw (rank methods)
        var dense: [Int32]         // [nR, L] tie-group index of each slot (τ-a)
        var groups: [Int]          // [nR] number of tie groups (τ-a)
        var fenwick: [Double]      // [L + 1]
        var rhs: [Double], beta: [Double], denom: [Double]   // [K] whitening
        var sims: [Double]         // [M, S]
        var L = 0, kp = 0, n = 0.0

        init(_ e: RSAEvaluator) {
            nR = e.nS + e.nM + e.nS + 1
            stride = e.pairs
            fstride = e.pairs + e.k
            slotOf = [Int32](repeating: -1, count: e.pairs)
            support = [Int32](repeating: 0, count: e.pairs)
            w = [Double](repeating: 0, count: e.pairs)
            c = [Double](repeating: 0, count: e.k)
            present = [Int32](repeating: 0, count: e.k)
            raw = [Double](repeating: 0, count: nR * stride)
            feat = [Double](repeating: 0, count: nR * fstride)
            omega = [Double](repeating: 0, count: fstride)
            norms = [Double](repeating: 0, count: nR)
            order = e.method.isRankBased ? [Int32](repeating: 0, count: nR * stride) : []
            dense = e.method == .kendallTauA ? [Int32](repeating: 0, count: nR * stride) : []
            groups = [Int](repeating: 0, count: nR)
            fenwick = [Double](repeating: 0, count: e.pairs + 1)
            rhs = [Double](repeating: 0, count: e.k)
            beta = [Double](repeating: 0, count: e.k)
            denom = [Double](repeating: 0, count: e.k)
            sims = [Double](repeating: 0, count: e.nM * e.nS)
        }
    }

    func makeWorkspace() -> Workspace { Workspace(self) }

    // MARK: one evaluation

    /// Writes the M values (means over subjects) to `values` and, when `ceiling` is given,
    /// [lower, upper] to it; the per-subject comparisons stay in ws.sims. Returns false (values
    /// NaN) when fewer than 3 distinct conditions were drawn.
    @discardableResult
    func run(counts: [Int], _ ws: Workspace, values: UnsafeMutablePointer<Double>, ceiling: UnsafeMutablePointer<Double>?) -> Bool {
        // 1. support and weights
        var distinct = 0
        for a in 0..<k { ws.c[a] = Double(counts[a]); if counts[a] > 0 { ws.present[distinct] = Int32(a); distinct += 1 } }
        ws.kp = distinct
        guard distinct >= 3 else {
            for m in 0..<nM { values[m] = .nan }
            ceiling?[0] = .nan; ceiling?[1] = .nan
            return false
        }
        var L = 0
        var n = 0.0
        for p in 0..<pairs {
            let wt = ws.c[Int(pairI[p])] * ws.c[Int(pairJ[p])]
            if wt > 0 { ws.slotOf[p] = Int32(L); ws.support[L] = Int32(p); ws.w[L] = wt; n += wt; L += 1 } else { ws.slotOf[p] = -1 }
        }
        ws.L = L; ws.n = n

        // 2. gather the input RDMs onto the support; orders from the precomputed full orders
        inputs.withUnsafeBufferPointer { src in
            ws.raw.withUnsafeMutableBufferPointer { raw in
                ws.support.withUnsafeBufferPointer { sup in
                    for r in 0..<(nS + nM) {
                        let s = src.baseAddress! + r * pairs, d = raw.baseAddress! + r * ws.stride
                        for t in 0..<L { d[t] = s[Int(sup[t])] }
                    }
                }
            }
        }
        if method.isRankBased {
            ws.order.withUnsafeMutableBufferPointer { ord in
                ws.slotOf.withUnsafeBufferPointer { slot in
                    for r in 0..<(nS + nM) {
                        let d = ord.baseAddress! + r * ws.stride
                        var q = 0
                        orders[r].withUnsafeBufferPointer { o in
                            for p in o { let s = slot[Int(p)]; if s >= 0 { d[q] = s; q += 1 } }
                        }
                    }
                }
            }
        }

        // 3. features of subjects and models
        setOmega(ws)
        for r in 0..<(nS + nM) { transform(r, ws) }

        // 4. model × subject comparisons
        for m in 0..<nM {
            var sum = 0.0
            for s in 0..<nS {
                let v = similarity(nS + m, s, ws)
                ws.sims[m * nS + s] = v
                sum += v
            }
            values[m] = sum / Double(nS)
        }

        // 5. noise ceiling
        if let ceiling = ceiling, nS >= 2 {
            pool(ws)
            let base = nS + nM
            if method.isRankBased {
                for t in 0...nS { sortSlots(base + t, ws) }
            }
            for t in 0...nS { transform(base + t, ws) }
            var lo = 0.0, up = 0.0
            for t in 0..<nS {
                lo += similarity(base + t, t, ws)
                up += similarity(base + nS, t, ws)
            }
            ceiling[0] = lo / Double(nS)
            ceiling[1] = up / Double(nS)
        }
        return true
    }

    /// Weights of the features: w per pair; whitened: 2w per pair (the √2 of the off-diagonal
    /// entries, squared) and c_a per drawn condition (the diagonal of the centred second moment).
    private func setOmega(_ ws: Workspace) {
        let L = ws.L
        if method.isWhitened {
            for t in 0..<L { ws.omega[t] = 2 * ws.w[t] }
            for a in 0..<ws.kp { ws.omega[L + a] = ws.c[Int(ws.present[a])] }
        } else {
            for t in 0..<L { ws.omega[t] = ws.w[t] }
        }
    }

    /// Features and their weighted norm for RDM r (raw values, and for rank methods the order, set).
    private func transform(_ r: Int, _ ws: Workspace) {
        let L = ws.L, n = ws.n
        ws.raw.withUnsafeBufferPointer { rawB in ws.feat.withUnsafeMutableBufferPointer { featB in ws.w.withUnsafeBufferPointer { wB in
            let x = rawB.baseAddress! + r * ws.stride
            let f = featB.baseAddress! + r * ws.fstride
            let w = wB.baseAddress!
            switch method {
            case .cosine:
                for t in 0..<L { f[t] = x[t] }
            case .pearson:
                var mu = 0.0
                for t in 0..<L { mu += w[t] * x[t] }
                mu /= n
                for t in 0..<L { f[t] = x[t] - mu }
            case .spearman, .rhoA, .kendallTauA:
                // average ranks of the weighted multiset, minus their mean (n + 1)/2
                let mid = (n + 1) / 2
                var groupsSeen = 0
                ws.order.withUnsafeBufferPointer { ordB in
                    let o = ordB.baseAddress! + r * ws.stride
                    var below = 0.0
                    var q = 0
                    let trackDense = method == .kendallTauA
                    while q < L {
                        let v = x[Int(o[q])]
                        var e = q, wsum = 0.0
                        while e < L && x[Int(o[e])] == v { wsum += w[Int(o[e])]; e += 1 }
                        let rank = below + (wsum + 1) / 2 - mid
                        for t in q..<e { f[Int(o[t])] = rank }
                        if trackDense {
                            ws.dense.withUnsafeMutableBufferPointer { d in
                                for t in q..<e { d[r * ws.stride + Int(o[t])] = Int32(groupsSeen) }
                            }
                        }
                        groupsSeen += 1
                        below += wsum
                        q = e
                    }
                }
                ws.groups[r] = groupsSeen
            case .whitenedCosine, .whitenedPearson:
                var mu = 0.0
                if method == .whitenedPearson {
                    for t in 0..<L { mu += w[t] * x[t] }
                    mu /= n
                }
                whiten(x, mean: mu, into: f, ws)
            }
            // weighted norm
            let len = method.isWhitened ? L + ws.kp : L
            var ss = 0.0
            ws.omega.withUnsafeBufferPointer { om in
                for t in 0..<len { ss += om[t] * f[t] * f[t] }
            }
            ws.norms[r] = ss.squareRoot()
        } } }
    }

    /// rsatoolbox's _cov_weighting on the weighted multiset: x′ = −½(x − mean), β from the
    /// least-squares centring, features x′ − (β_a + β_b)/2 per pair and −β_a per drawn condition.
    private func whiten(_ x: UnsafePointer<Double>, mean mu: Double, into f: UnsafeMutablePointer<Double>, _ ws: Workspace) {
        let L = ws.L, kp = ws.kp
        let kTotal = ws.c.reduce(0, +)
        for a in 0..<k { ws.rhs[a] = 0 }
        ws.support.withUnsafeBufferPointer { sup in
            for t in 0..<L {
                let p = Int(sup[t]), i = Int(pairI[p]), j = Int(pairJ[p])
                let xv = -0.5 * (x[t] - mu)
                f[t] = xv
                ws.rhs[i] += ws.c[j] * xv
                ws.rhs[j] += ws.c[i] * xv
            }
        }
        // β_a = (2R_a − C)/d_a with d_a = K − 2c_a + 2 and C = Σ c_b β_b = Σ 2c_a R_a/d_a / (1 + Σ c_a/d_a)
        var closedForm = true
        var num = 0.0, den = 1.0
        for q in 0..<kp {
            let a = Int(ws.present[q])
            let d = kTotal - 2 * ws.c[a] + 2
            if d <= 0 { closedForm = false; break }
            ws.denom[a] = d
            num += 2 * ws.c[a] * ws.rhs[a] / d
            den += ws.c[a] / d
        }
        if closedForm {
            let cb = num / den
            for q in 0..<kp { let a = Int(ws.present[q]); ws.beta[a] = (2 * ws.rhs[a] - cb) / ws.denom[a] }
        } else {
            // one condition drawn more than K/2 + 1 times: solve (diag(d/2) + ½ 1 cᵀ) β = R directly
            var b = [Double](repeating: 0, count: kp * kp)
            var r = [Double](repeating: 0, count: kp)
            for q in 0..<kp {
                let a = Int(ws.present[q])
                for u in 0..<kp { b[q * kp + u] = 0.5 * ws.c[Int(ws.present[u])] }
                b[q * kp + q] += (kTotal - 2 * ws.c[a] + 2) / 2
                r[q] = ws.rhs[a]
            }
            let sol = (try? LAPACK.solve(b, r, n: kp)) ?? [Double](repeating: .nan, count: kp)
            for q in 0..<kp { ws.beta[Int(ws.present[q])] = sol[q] }
        }
        ws.support.withUnsafeBufferPointer { sup in
            for t in 0..<L {
                let p = Int(sup[t])
                f[t] -= 0.5 * (ws.beta[Int(pairI[p])] + ws.beta[Int(pairJ[p])])
            }
        }
        for q in 0..<kp { f[L + q] = -ws.beta[Int(ws.present[q])] }
    }

    /// The comparison of RDM x (a model or pooled RDM) with RDM y (a subject).
    private func similarity(_ x: Int, _ y: Int, _ ws: Workspace) -> Double {
        let L = ws.L, n = ws.n
        if method == .kendallTauA { return tauA(x, y, ws) }
        let len = method.isWhitened ? L + ws.kp : L
        var dot = 0.0
        ws.feat.withUnsafeBufferPointer { fB in ws.omega.withUnsafeBufferPointer { om in
            let a = fB.baseAddress! + x * ws.fstride, b = fB.baseAddress! + y * ws.fstride
            dot = RSAEvaluator.weightedDot(om.baseAddress!, a, b, len)
        } }
        if method == .rhoA { return dot / (n * n * n - n) * 12 }
        let nx = ws.norms[x], ny = ws.norms[y]
        guard nx > 0 && ny > 0 else { return 0 }          // rsatoolbox: 0 for a zero-length vector
        return dot / nx / ny
    }

    /// Σ ω a b with four accumulators (SIMD-friendly).
    @inline(__always)
    static func weightedDot(_ w: UnsafePointer<Double>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var t = 0
        while t + 8 <= n {
            let w0 = UnsafeRawPointer(w + t).loadUnaligned(as: SIMD4<Double>.self)
            let a0 = UnsafeRawPointer(a + t).loadUnaligned(as: SIMD4<Double>.self)
            let b0 = UnsafeRawPointer(b + t).loadUnaligned(as: SIMD4<Double>.self)
            let w1 = UnsafeRawPointer(w + t + 4).loadUnaligned(as: SIMD4<Double>.self)
            let a1 = UnsafeRawPointer(a + t + 4).loadUnaligned(as: SIMD4<Double>.self)
            let b1 = UnsafeRawPointer(b + t + 4).loadUnaligned(as: SIMD4<Double>.self)
            s0 += w0 * a0 * b0
            s1 += w1 * a1 * b1
            t += 8
        }
        var s = (s0 + s1).sum()
        while t < n { s += w[t] * a[t] * b[t]; t += 1 }
        return s
    }

    /// Weighted Kendall τ-a of RDM x (order and ties from its raw values) with RDM y (tie groups):
    /// Σ over distinct pairs of w_p w_q sign(x_p − x_q) sign(y_p − y_q), divided by n(n − 1)/2.
    private func tauA(_ x: Int, _ y: Int, _ ws: Workspace) -> Double {
        let L = ws.L, n = ws.n
        let g = ws.groups[y]
        var acc = 0.0
        ws.fenwick.withUnsafeMutableBufferPointer { fw in
            ws.order.withUnsafeBufferPointer { ordB in ws.dense.withUnsafeBufferPointer { denB in
                ws.raw.withUnsafeBufferPointer { rawB in ws.w.withUnsafeBufferPointer { wB in
                    let tree = fw.baseAddress!
                    for i in 0...g { tree[i] = 0 }
                    let o = ordB.baseAddress! + x * ws.stride
                    let xv = rawB.baseAddress! + x * ws.stride
                    let yd = denB.baseAddress! + y * ws.stride
                    let w = wB.baseAddress!
                    var total = 0.0
                    var q = 0
                    while q < L {
                        let v = xv[Int(o[q])]
                        var e = q
                        while e < L && xv[Int(o[e])] == v { e += 1 }
                        for t in q..<e {
                            let s = Int(o[t])
                            let yi = Int(yd[s])
                            // weight of earlier entries with y below / at or below this one's group
                            var less = 0.0, i = yi
                            while i > 0 { less += tree[i]; i &= i - 1 }
                            var leq = 0.0
                            i = yi + 1
                            while i > 0 { leq += tree[i]; i &= i - 1 }
                            acc += w[s] * (less - (total - leq))
                        }
                        for t in q..<e {
                            let s = Int(o[t])
                            var i = Int(yd[s]) + 1
                            let ww = w[s]
                            while i <= g { tree[i] += ww; i += i & (-i) }
                            total += ww
                        }
                        q = e
                    }
                } }
            } }
        }
        let tau = acc / (n * (n - 1) / 2)
        return min(1, max(-1, tau))
    }

    /// Pooled RDMs (rsatoolbox pool_rdm) of all subjects but t (t < S) and of all subjects, into
    /// raw rows S+M+t and S+M+S.
    private func pool(_ ws: Workspace) {
        let L = ws.L, n = ws.n
        let base = nS + nM
        ws.raw.withUnsafeMutableBufferPointer { rawB in ws.feat.withUnsafeBufferPointer { featB in ws.w.withUnsafeBufferPointer { wB in
            let raw = rawB.baseAddress!, feat = featB.baseAddress!, w = wB.baseAddress!
            let total = raw + (base + nS) * ws.stride
            for t in 0..<L { total[t] = 0 }
            // each subject's pooling-normalised RDM: ranks (feature + mean rank), z-scores, RMS-scaled
            var scale = [Double](repeating: 1, count: nS), shift = [Double](repeating: 0, count: nS)
            for s in 0..<nS {
                let x = raw + s * ws.stride
                switch method.pooling {
                case .ranks: break
                case .zScores:
                    var mu = 0.0
                    for t in 0..<L { mu += w[t] * x[t] }
                    mu /= n
                    var v = 0.0
                    for t in 0..<L { v += w[t] * (x[t] - mu) * (x[t] - mu) }
                    shift[s] = mu; scale[s] = 1 / (v / n).squareRoot()
                case .rms:
                    var v = 0.0
                    for t in 0..<L { v += w[t] * x[t] * x[t] }
                    scale[s] = 1 / (v / n).squareRoot()
                }
            }
            let mid = (n + 1) / 2
            @inline(__always) func normalised(_ s: Int, _ t: Int) -> Double {
                method.pooling == .ranks ? feat[s * ws.fstride + t] + mid : (raw[s * ws.stride + t] - shift[s]) * scale[s]
            }
            for s in 0..<nS { for t in 0..<L { total[t] += normalised(s, t) } }
            let invOthers = 1 / Double(nS - 1)
            for s in 0..<nS {
                let d = raw + (base + s) * ws.stride
                for t in 0..<L { d[t] = (total[t] - normalised(s, t)) * invOthers }
            }
            let invAll = 1 / Double(nS)
            for t in 0..<L { total[t] *= invAll }
            // rsatoolbox shifts the pooled z-scores to a minimum of 0; both comparisons that use
            // them (pearson, whitened-pearson) centre first, so the shift changes nothing and is left out.
        } } }
    }

    /// Slots of RDM r sorted by its raw values (pooled RDMs, whose values change per resample).
    private func sortSlots(_ r: Int, _ ws: Workspace) {
        let L = ws.L
        ws.raw.withUnsafeBufferPointer { rawB in ws.order.withUnsafeMutableBufferPointer { ordB in
            let x = rawB.baseAddress! + r * ws.stride
            var o = UnsafeMutableBufferPointer(start: ordB.baseAddress! + r * ws.stride, count: L)
            for t in 0..<L { o[t] = Int32(t) }
            o.sort { x[Int($0)] < x[Int($1)] }
        } }
    }
}
