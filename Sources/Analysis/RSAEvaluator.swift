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
    let pairI: UnsafeMutablePointer<Int32>, pairJ: UnsafeMutablePointer<Int32>
    /// Input RDMs, subjects then models, [S + M, P].
    let inputs: UnsafeMutablePointer<Double>
    /// Ascending order of each input RDM's dissimilarities, [S + M, P] (rank-based methods only).
    let orders: UnsafeMutablePointer<Int32>
    /// Tie groups along each order: sizes, concatenated ([S + M] runs; groupOffset [S + M + 1]
    /// indexes them), and each pair's group index, [S + M, P] (rank-based methods only).
    let groupSizes: [Int32]
    let groupOffset: [Int]
    /// The tie groups of more than one pair: (start along the order, size), per input RDM.
    let tiedGroups: [[(start: Int, size: Int)]]
    let groupOf: UnsafeMutablePointer<Int32>

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
        self.method = method
        self.subjects = subjects
        self.models = models
        k = subjects.conditions
        pairs = RDM.pairCount(k)
        nS = subjects.count
        nM = models.count
        pairI = .allocate(capacity: pairs)
        pairJ = .allocate(capacity: pairs)
        var p = 0
        for i in 0..<k { for j in (i + 1)..<k { pairI[p] = Int32(i); pairJ[p] = Int32(j); p += 1 } }
        let nIn = nS + nM
        inputs = .allocate(capacity: nIn * pairs)
        for (t, x) in (subjects.vectors + models.vectors).enumerated() { inputs[t] = x }
        orders = .allocate(capacity: method.isRankBased ? nIn * pairs : 1)
        groupOf = .allocate(capacity: method.isRankBased ? nIn * pairs : 1)
        var sizes: [Int32] = [], offsets: [Int] = [0]
        if method.isRankBased {
            let np = pairs, src = inputs
            for r in 0..<nIn {
                let base = r * np
                let o = (0..<np).sorted { src[base + $0] < src[base + $1] }
                var g: Int32 = -1, run: Int32 = 0
                for (t, q) in o.enumerated() {
                    orders[base + t] = Int32(q)
                    if t == 0 || src[base + q] != src[base + o[t - 1]] {
                        if t > 0 { sizes.append(run) }
                        g += 1; run = 0
                    }
                    run += 1
                    groupOf[base + q] = g
                }
                sizes.append(run)
                offsets.append(sizes.count)
            }
        }
        groupSizes = sizes
        groupOffset = offsets
        tiedGroups = (0..<(method.isRankBased ? nIn : 0)).map { r in
            var out: [(start: Int, size: Int)] = []
            var t = 0
            for g in offsets[r]..<offsets[r + 1] {
                let size = Int(sizes[g])
                if size > 1 { out.append((t, size)) }
                t += size
            }
            return out
        }
    }

    deinit {
        pairI.deallocate(); pairJ.deallocate(); inputs.deallocate(); orders.deallocate(); groupOf.deallocate()
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
        let hasCeiling = noiseCeiling && nS >= 2
        let ok = values.withUnsafeMutableBufferPointer { v in ceiling.withUnsafeMutableBufferPointer { c in
            run(counts: counts, ws, values: v.baseAddress!, ceiling: hasCeiling ? c.baseAddress! : nil)
        } }
        let sims = ok ? Array(UnsafeBufferPointer(start: ws.sims, count: nM * nS)) : [Double](repeating: .nan, count: nM * nS)
        return RSAEvaluation(values: values, perSubject: sims,
                             noiseCeilingLower: hasCeiling ? ceiling[0] : nil, noiseCeilingUpper: hasCeiling ? ceiling[1] : nil)
    }

    // MARK: workspace

    /// Buffers for one thread, reused across resamples (raw pointers: no copy-on-write checks in
    /// the inner loops). RDM index r: subjects 0..<S, models S..<S+M, pooled RDMs S+M+t (all
    /// subjects but t) and S+M+S (all subjects).
    final class Workspace {
        let nR: Int, stride: Int, fstride: Int
        let slotOf: UnsafeMutablePointer<Int32>     // [P] slot of a pair in the support, −1 outside
        let support: UnsafeMutablePointer<Int32>    // [L] pair of each slot
        let w: UnsafeMutablePointer<Double>         // [L] weight c_a c_b of each slot
        let wFull: UnsafeMutablePointer<Int>        // [P] weight of each pair (0 outside the support)
        let rankFull: UnsafeMutablePointer<Int>     // [P] scratch: twice the average rank, by pair
        let c: UnsafeMutablePointer<Double>         // [K] counts
        let present: UnsafeMutablePointer<Int32>    // [Kp] drawn conditions
        let raw: UnsafeMutablePointer<Double>       // [nR, L] dissimilarities (pooled RDMs: pooled values)
        let feat: UnsafeMutablePointer<Double>      // [nR, L + Kp] comparison features
        let omega: UnsafeMutablePointer<Double>     // [L + Kp] weights of the features
        let norms: UnsafeMutablePointer<Double>     // [nR]
        let order: UnsafeMutablePointer<Int32>      // [nR, L] slots in ascending order of raw (rank methods)
        let dense: UnsafeMutablePointer<Int32>      // [nR, L] tie-group index of each slot (τ-a)
        let groups: UnsafeMutablePointer<Int>       // [nR] number of tie groups (τ-a)
        let fenwick: UnsafeMutablePointer<Double>   // [2(P + 1)]: Fenwick tree, then the weight at each group
        let rhs: UnsafeMutablePointer<Double>, beta: UnsafeMutablePointer<Double>, denom: UnsafeMutablePointer<Double>  // [K]
        let sims: UnsafeMutablePointer<Double>      // [M, S]
        let keys: UnsafeMutablePointer<UInt64>      // [L] radix-sort keys (pooled ranks ×2, summed)
        let keys2: UnsafeMutablePointer<UInt64>     // [L]
        let allKeys: UnsafeMutablePointer<UInt64>   // [L] Σ over subjects of 2·rank
        let rank2Slots: UnsafeMutablePointer<UInt64> // [S, L] twice each subject's average rank
        let order2: UnsafeMutablePointer<Int32>     // [L]
        let scale: UnsafeMutablePointer<Double>, shift: UnsafeMutablePointer<Double>  // [S]
        let buckets: UnsafeMutablePointer<Int>      // [2048] radix-sort counts
        var L = 0, kp = 0, n = 0.0
        private var all: [UnsafeMutableRawPointer] = []

        init(_ e: RSAEvaluator) {
            nR = e.nS + e.nM + e.nS + 1
            stride = e.pairs
            fstride = e.pairs + e.k
            let rank = e.method.isRankBased, tau = e.method == .kendallTauA
            var all: [UnsafeMutableRawPointer] = []
            func make<T>(_ n: Int, _ fill: T) -> UnsafeMutablePointer<T> {
                let p = UnsafeMutablePointer<T>.allocate(capacity: max(n, 1))
                p.initialize(repeating: fill, count: max(n, 1))
                all.append(UnsafeMutableRawPointer(p))
                return p
            }
            slotOf = make(e.pairs, -1); support = make(e.pairs, 0); w = make(e.pairs, 0.0)
            wFull = make(e.pairs, 0); rankFull = make(rank ? e.pairs : 0, 0)
            c = make(e.k, 0.0); present = make(e.k, 0)
            raw = make(nR * stride, 0.0); feat = make(nR * fstride, 0.0); omega = make(fstride, 0.0)
            norms = make(nR, 0.0)
            order = make(rank ? nR * stride : 0, 0); dense = make(tau ? nR * stride : 0, 0)
            groups = make(nR, 0); fenwick = make(tau ? 2 * (e.pairs + 1) : 0, 0.0)
            rhs = make(e.k, 0.0); beta = make(e.k, 0.0); denom = make(e.k, 0.0)
            sims = make(e.nM * e.nS, 0.0)
            keys = make(rank ? e.pairs : 0, 0); keys2 = make(rank ? e.pairs : 0, 0); order2 = make(rank ? e.pairs : 0, 0)
            allKeys = make(rank ? e.pairs : 0, 0); rank2Slots = make(rank ? e.nS * stride : 0, 0)
            scale = make(e.nS, 1.0); shift = make(e.nS, 0.0)
            buckets = make(rank ? 2048 : 0, 0)
            self.all = all
        }

        deinit { for p in all { p.deallocate() } }
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
        let c = ws.c, slotOf = ws.slotOf, support = ws.support, w = ws.w, wFull = ws.wFull
        for p in 0..<pairs {
            let wt = c[Int(pairI[p])] * c[Int(pairJ[p])]
            wFull[p] = Int(wt)
            if wt > 0 { slotOf[p] = Int32(L); support[L] = Int32(p); w[L] = wt; n += wt; L += 1 } else { slotOf[p] = -1 }
        }
        ws.L = L; ws.n = n

        // 2. gather the input RDMs onto the support; their orders from the precomputed full orders
        for r in 0..<(nS + nM) {
            let s = inputs + r * pairs, d = ws.raw + r * ws.stride
            for t in 0..<L { d[t] = s[Int(support[t])] }
        }
        if method == .kendallTauA {
            // the models' slots in ascending order (branch-free filter of the full order), and the
            // subjects' tie groups (their indices along the full order: increasing, gaps allowed)
            for r in nS..<(nS + nM) {
                let o = orders + r * pairs, d = ws.order + r * ws.stride
                var q = 0
                for t in 0..<pairs {
                    let s = slotOf[Int(o[t])]
                    d[q] = s
                    q &+= Int(UInt32(bitPattern: ~s) >> 31)
                }
            }
            for r in 0..<nS {
                let g = groupOf + r * pairs, d = ws.dense + r * ws.stride
                for t in 0..<L { d[t] = g[Int(support[t])] }
                ws.groups[r] = groupOffset[r + 1] - groupOffset[r]
            }
        }

        // 3. features of subjects and models
        setOmega(ws)
        for r in 0..<(nS + nM) {
            if method.isRankBased { inputRanks(r, ws) } else { transform(r, ws) }
        }

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
            let base = nS + nM
            if method.isRankBased {
                poolRanks(ws)
            } else {
                pool(ws)
                for t in 0...nS { transform(base + t, ws) }
            }
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

    /// Rank features (average rank − (n + 1)/2) of input RDM r on the support: one pass over its
    /// precomputed order and tie groups, weights of pairs outside the support being 0. Weights
    /// are integers, so twice each rank is an exact integer: 2·rank = 2·(weight below) + (tie weight) + 1.
    private func inputRanks(_ r: Int, _ ws: Workspace) {
        let L = ws.L, n = ws.n
        let mid = (n + 1) / 2
        let o = orders + r * pairs
        let wFull = ws.wFull, rank2 = ws.rankFull
        // ranks as if there were no ties, then the tied groups get their common average rank
        var below = 0
        for t in 0..<pairs {
            let p = Int(o[t]), wp = wFull[p]
            rank2[p] = 2 &* below &+ wp &+ 1
            below &+= wp
        }
        for (start, size) in tiedGroups[r] {
            let first = Int(o[start])
            let before = (rank2[first] &- wFull[first] &- 1) / 2
            var wsum = 0
            for u in start..<(start + size) { wsum &+= wFull[Int(o[u])] }
            let rk = 2 &* before &+ wsum &+ 1
            for u in start..<(start + size) { rank2[Int(o[u])] = rk }
        }
        let f = ws.feat + r * ws.fstride, support = ws.support
        for s in 0..<L { f[s] = Double(rank2[Int(support[s])]) * 0.5 - mid }
        if r < nS {
            let d = ws.rank2Slots + r * ws.stride
            for s in 0..<L { d[s] = UInt64(rank2[Int(support[s])]) }
        }
        ws.norms[r] = RSAEvaluator.weightedDot(ws.omega, f, f, L).squareRoot()
    }

    /// Features and their weighted norm of RDM r from its raw values (the non-rank methods).
    private func transform(_ r: Int, _ ws: Workspace) {
        let L = ws.L, n = ws.n
        let x = ws.raw + r * ws.stride
        let f = ws.feat + r * ws.fstride
        let w = ws.w
        switch method {
        case .cosine:
            f.update(from: x, count: L)
        case .pearson:
            var mu = 0.0
            for t in 0..<L { mu += w[t] * x[t] }
            mu /= n
            for t in 0..<L { f[t] = x[t] - mu }
        case .spearman, .rhoA, .kendallTauA:
            preconditionFailure("rank features come from inputRanks and poolRanks")
        case .whitenedCosine, .whitenedPearson:
            var mu = 0.0
            if method == .whitenedPearson {
                for t in 0..<L { mu += w[t] * x[t] }
                mu /= n
            }
            whiten(x, mean: mu, into: f, ws)
        }
        let len = method.isWhitened ? L + ws.kp : L
        ws.norms[r] = RSAEvaluator.weightedDot(ws.omega, f, f, len).squareRoot()
    }

    /// rsatoolbox's _cov_weighting on the weighted multiset: x′ = −½(x − mean), β from the
    /// least-squares centring, features x′ − (β_a + β_b)/2 per pair and −β_a per drawn condition.
    private func whiten(_ x: UnsafePointer<Double>, mean mu: Double, into f: UnsafeMutablePointer<Double>, _ ws: Workspace) {
        let L = ws.L, kp = ws.kp
        let c = ws.c, rhs = ws.rhs, beta = ws.beta, support = ws.support
        var kTotal = 0.0
        for a in 0..<k { rhs[a] = 0; kTotal += c[a] }
        for t in 0..<L {
            let p = Int(support[t]), i = Int(pairI[p]), j = Int(pairJ[p])
            let xv = -0.5 * (x[t] - mu)
            f[t] = xv
            rhs[i] += c[j] * xv
            rhs[j] += c[i] * xv
        }
        // β_a = (2R_a − C)/d_a with d_a = K − 2c_a + 2 and C = Σ c_b β_b = Σ 2c_a R_a/d_a / (1 + Σ c_a/d_a)
        var closedForm = true
        var num = 0.0, den = 1.0
        for q in 0..<kp {
            let a = Int(ws.present[q])
            let d = kTotal - 2 * c[a] + 2
            if d <= 0 { closedForm = false; break }
            ws.denom[a] = d
            num += 2 * c[a] * rhs[a] / d
            den += c[a] / d
        }
        if closedForm {
            let cb = num / den
            for q in 0..<kp { let a = Int(ws.present[q]); beta[a] = (2 * rhs[a] - cb) / ws.denom[a] }
        } else {
            // one condition drawn more than K/2 + 1 times: solve (diag(d/2) + ½ 1 cᵀ) β = R directly
            var b = [Double](repeating: 0, count: kp * kp)
            var r = [Double](repeating: 0, count: kp)
            for q in 0..<kp {
                let a = Int(ws.present[q])
                for u in 0..<kp { b[q * kp + u] = 0.5 * c[Int(ws.present[u])] }
                b[q * kp + q] += (kTotal - 2 * c[a] + 2) / 2
                r[q] = rhs[a]
            }
            let sol = (try? LAPACK.solve(b, r, n: kp)) ?? [Double](repeating: .nan, count: kp)
            for q in 0..<kp { beta[Int(ws.present[q])] = sol[q] }
        }
        for t in 0..<L {
            let p = Int(support[t])
            f[t] -= 0.5 * (beta[Int(pairI[p])] + beta[Int(pairJ[p])])
        }
        for q in 0..<kp { f[L + q] = -beta[Int(ws.present[q])] }
    }

    /// The comparison of RDM x (a model or pooled RDM) with RDM y (a subject).
    private func similarity(_ x: Int, _ y: Int, _ ws: Workspace) -> Double {
        let L = ws.L, n = ws.n
        if method == .kendallTauA { return tauA(x, y, ws) }
        let len = method.isWhitened ? L + ws.kp : L
        let dot = RSAEvaluator.weightedDot(ws.omega, ws.feat + x * ws.fstride, ws.feat + y * ws.fstride, len)
        if method == .rhoA { return dot / (n * n * n - n) * 12 }
        let nx = ws.norms[x], ny = ws.norms[y]
        guard nx > 0 && ny > 0 else { return 0 }          // rsatoolbox: 0 for a zero-length vector
        return dot / nx / ny
    }

    /// Σ ω a b, eight lanes (AVX).
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
        let tree = ws.fenwick, atGroup = ws.fenwick + (pairs + 1)
        for i in 0...g { tree[i] = 0; atGroup[i] = 0 }
        let o = ws.order + x * ws.stride
        let xv = ws.raw + x * ws.stride
        let yd = ws.dense + y * ws.stride
        let w = ws.w
        var acc = 0.0, total = 0.0
        var q = 0
        while q < L {
            let v = xv[Int(o[q])]
            var e = q
            while e < L && xv[Int(o[e])] == v { e += 1 }
            for t in q..<e {
                let s = Int(o[t])
                let yi = Int(yd[s])
                // weight of earlier (smaller x) entries with y below / at or below this one's group
                var less = 0.0, i = yi
                while i > 0 { less += tree[i]; i &= i - 1 }
                let leq = less + atGroup[yi]
                acc += w[s] * (less - (total - leq))
            }
            for t in q..<e {
                let s = Int(o[t])
                var i = Int(yd[s]) + 1
                let ww = w[s]
                atGroup[i - 1] += ww
                while i <= g { tree[i] += ww; i += i & (-i) }
                total += ww
            }
            q = e
        }
        let tau = acc / (n * (n - 1) / 2)
        return min(1, max(-1, tau))
    }

    /// Pooled RDMs (rsatoolbox pool_rdm) for the correlation and cosine methods: z-scored or
    /// RMS-normalised subject RDMs averaged over all subjects but t (raw row S+M+t) and over all
    /// (row S+M+S).
    private func pool(_ ws: Workspace) {
        let L = ws.L, n = ws.n
        let base = nS + nM
        let w = ws.w
        let total = ws.raw + (base + nS) * ws.stride
        for t in 0..<L { total[t] = 0 }
        for s in 0..<nS {
            let x = ws.raw + s * ws.stride
            if method.pooling == .zScores {
                var mu = 0.0
                for t in 0..<L { mu += w[t] * x[t] }
                mu /= n
                var v = 0.0
                for t in 0..<L { v += w[t] * (x[t] - mu) * (x[t] - mu) }
                ws.shift[s] = mu; ws.scale[s] = 1 / (v / n).squareRoot()
            } else {
                var v = 0.0
                for t in 0..<L { v += w[t] * x[t] * x[t] }
                ws.shift[s] = 0; ws.scale[s] = 1 / (v / n).squareRoot()
            }
            let sh = ws.shift[s], sc = ws.scale[s]
            for t in 0..<L { total[t] += (x[t] - sh) * sc }
        }
        let invOthers = 1 / Double(nS - 1)
        for s in 0..<nS {
            let x = ws.raw + s * ws.stride, d = ws.raw + (base + s) * ws.stride
            let sh = ws.shift[s], sc = ws.scale[s]
            for t in 0..<L { d[t] = (total[t] - (x[t] - sh) * sc) * invOthers }
        }
        let invAll = 1 / Double(nS)
        for t in 0..<L { total[t] *= invAll }
        // rsatoolbox shifts pooled z-scores to a minimum of 0; both methods that use them
        // (pearson, whitened-pearson) centre first, so the shift changes nothing and is left out.
    }

    /// Pooled RDMs for the rank methods: the mean of the subjects' average ranks. Twice a rank is
    /// an integer, so each pooled RDM is represented by the exact integer key Σ 2·rank (a fixed
    /// multiple of the mean: same order, same ties), sorted by an LSD radix sort; the rank features
    /// of the pooled RDMs are computed here from the sorted keys.
    private func poolRanks(_ ws: Workspace) {
        let L = ws.L, n = ws.n
        let base = nS + nM
        let maxKey = UInt64(nS) * UInt64(2 * n + 1)          // n < 2^53: every count here is exact
        let mid = (n + 1) / 2
        let all = ws.allKeys, rank2 = ws.rank2Slots, w = ws.w
        for t in 0..<L { all[t] = 0 }
        for s in 0..<nS {
            let r2 = rank2 + s * ws.stride
            for t in 0..<L { all[t] &+= r2[t] }
        }
        let keepRaw = method == .kendallTauA
        for r in base...(base + nS) {
            let keys = ws.keys
            if r < base + nS {
                let r2 = rank2 + (r - base) * ws.stride
                for t in 0..<L { keys[t] = all[t] &- r2[t] }
            } else {
                keys.update(from: all, count: L)
            }
            if keepRaw {
                let x = ws.raw + r * ws.stride
                for t in 0..<L { x[t] = Double(keys[t]) }
            }
            let o = ws.order + r * ws.stride
            let sorted = RSAEvaluator.radixSort(keys, L, maxKey: maxKey, order: o, keys2: ws.keys2, order2: ws.order2, counts: ws.buckets)
            // average ranks of the weighted multiset from the sorted keys
            let f = ws.feat + r * ws.fstride
            var below = 0.0
            var q = 0
            while q < L {
                let v = sorted[q]
                var e = q, wsum = 0.0
                while e < L && sorted[e] == v { wsum += w[Int(o[e])]; e += 1 }
                let rk = below + (wsum + 1) / 2 - mid
                for u in q..<e { f[Int(o[u])] = rk }
                below += wsum
                q = e
            }
            ws.norms[r] = RSAEvaluator.weightedDot(ws.omega, f, f, L).squareRoot()
        }
    }

    /// Stable LSD radix sort of `keys` [L] (digits of ≤ 11 bits): writes the slots in ascending
    /// key order to `order` and returns the buffer (keys or keys2) that holds the sorted keys.
    /// keys2/order2 are scratch [L], counts scratch [2048].
    @discardableResult
    static func radixSort(_ keys: UnsafeMutablePointer<UInt64>, _ L: Int, maxKey: UInt64, order: UnsafeMutablePointer<Int32>,
                          keys2: UnsafeMutablePointer<UInt64>, order2: UnsafeMutablePointer<Int32>,
                          counts: UnsafeMutablePointer<Int>) -> UnsafeMutablePointer<UInt64> {
        var srcK = keys, srcO = order, dstK = keys2, dstO = order2
        for t in 0..<L { srcO[t] = Int32(t) }
        // as few passes of ≤ 11-bit digits as the largest key needs
        let bits = 64 - maxKey.leadingZeroBitCount
        let passes = (bits + 10) / 11
        guard passes > 0 else { return keys }
        let width = UInt64((bits + passes - 1) / passes)
        let buckets = 1 << width, mask = UInt64(buckets - 1)
        var shift: UInt64 = 0
        do {
            for _ in 0..<passes {
                for b in 0..<buckets { counts[b] = 0 }
                for t in 0..<L { counts[Int((srcK[t] >> shift) & mask)] += 1 }
                var sum = 0
                for b in 0..<buckets { let c = counts[b]; counts[b] = sum; sum += c }
                for t in 0..<L {
                    let key = srcK[t]
                    let b = Int((key >> shift) & mask)
                    let pos = counts[b]
                    dstK[pos] = key; dstO[pos] = srcO[t]
                    counts[b] = pos + 1
                }
                swap(&srcK, &dstK); swap(&srcO, &dstO)
                shift += width
            }
        }
        if srcO != order { order.update(from: srcO, count: L) }
        return srcK
    }
}
