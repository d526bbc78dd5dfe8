// Model values under relabelled conditions, for the permutation test.
//
// Relabelling the conditions of a model RDM, M′(i, j) = M(π(i), π(j)), permutes its comparison
// features (ranks, centred values, the double-centred second moment) the same way and leaves their
// norms unchanged. So for every method but τ-a the permuted value is one gathered dot product:
//   value(π) = (1/S) Σ_s ⟨π f_m, f_s⟩_ω / (‖f_m‖ ‖f_s‖) = ⟨π f_m, A⟩_ω / (S ‖f_m‖),  A = Σ_s f_s/‖f_s‖
// (rho-a: the fixed normaliser 12/(P³ − P) instead of the norms). τ-a re-counts concordant pairs,
// using the model's sorted order mapped through π⁻¹ (no sort per permutation).
import Foundation

final class RSAPermutation: @unchecked Sendable {
    let ev: RSAEvaluator
    let k: Int, pairs: Int, nS: Int
    /// [K, K] condensed index of pair (a, b), a ≠ b.
    let pairTable: [Int32]
    /// Model features at the point estimate, [M, P (+K whitened)], and norms [M].
    let modelFeatures: [Double]
    let modelNorms: [Double]
    /// Σ_s ω f_s / ‖f_s‖ (ω f_s for rho-a), [P (+K)].
    let target: [Double]
    let featureLength: Int
    /// τ-a: tie-group index of each pair in each subject RDM, [S, P], and the group counts.
    let subjectGroups: [Int32]
    let subjectGroupCounts: [Int]
    /// Observed values (identity permutation, the same arithmetic as the permuted ones), [M].
    private(set) var observed: [Double] = []

    struct Scratch {
        var order: [Int32]
        var fenwick: [Double]
    }

    init(_ ev: RSAEvaluator) {
        self.ev = ev
        k = ev.k; pairs = ev.pairs; nS = ev.nS
        var table = [Int32](repeating: -1, count: k * k)
        for a in 0..<k { for b in 0..<k where a != b { table[a * k + b] = Int32(RDM.pairIndex(a, b, conditions: k)) } }
        pairTable = table
        let ws = ev.makeWorkspace()
        var vals = [Double](repeating: 0, count: ev.nM)
        ev.run(counts: [Int](repeating: 1, count: k), ws, values: &vals, ceiling: nil)
        featureLength = ev.method.isWhitened ? pairs + k : pairs
        var mf = [Double](repeating: 0, count: ev.nM * featureLength)
        let fl = featureLength, s0 = ev.nS
        for m in 0..<ev.nM {
            for t in 0..<fl { mf[m * fl + t] = ws.feat[(s0 + m) * ws.fstride + t] }
        }
        modelFeatures = mf
        modelNorms = (0..<ev.nM).map { ws.norms[s0 + $0] }
        var tgt = [Double](repeating: 0, count: fl)
        for s in 0..<s0 {
            let scale = ev.method == .rhoA ? 1 : (ws.norms[s] > 0 ? 1 / ws.norms[s] : 0)
            for t in 0..<fl { tgt[t] += ws.omega[t] * ws.feat[s * ws.fstride + t] * scale }
        }
        target = tgt
        if ev.method == .kendallTauA {
            let np = ev.pairs
            var g = [Int32](repeating: 0, count: s0 * np)
            for s in 0..<s0 { for t in 0..<np { g[s * np + t] = ws.dense[s * ws.stride + t] } }   // support = all pairs
            subjectGroups = g
            subjectGroupCounts = (0..<s0).map { ws.groups[$0] }
        } else {
            subjectGroups = []; subjectGroupCounts = []
        }
        var scratch = makeScratch()
        let identity = Array(0..<k)
        observed = (0..<ev.nM).map { value(model: $0, permutation: identity, &scratch) }
    }

    func makeScratch() -> Scratch {
        Scratch(order: [Int32](repeating: 0, count: ev.method == .kendallTauA ? pairs : 0),
                fenwick: [Double](repeating: 0, count: ev.method == .kendallTauA ? 2 * (pairs + 1) : 0))
    }

    /// The mean over subjects of the comparison of model m, relabelled by `pi`, with each subject.
    func value(model m: Int, permutation pi: [Int], _ scratch: inout Scratch) -> Double {
        if ev.method == .kendallTauA { return tauA(model: m, permutation: pi, &scratch) }
        let n = Double(pairs)
        var dot = 0.0
        modelFeatures.withUnsafeBufferPointer { fB in target.withUnsafeBufferPointer { aB in pairTable.withUnsafeBufferPointer { tB in
            let f = fB.baseAddress! + m * featureLength, a = aB.baseAddress!, table = tB.baseAddress!
            var p = 0
            for i in 0..<k {
                let row = table + pi[i] * k
                for j in (i + 1)..<k {
                    dot += f[Int(row[pi[j]])] * a[p]
                    p += 1
                }
            }
            if featureLength > pairs {
                for c in 0..<k { dot += f[pairs + pi[c]] * a[pairs + c] }
            }
        } } }
        if ev.method == .rhoA { return dot / (n * n * n - n) * 12 / Double(nS) }
        guard modelNorms[m] > 0 else { return 0 }
        return dot / modelNorms[m] / Double(nS)
    }

    private func tauA(model m: Int, permutation pi: [Int], _ scratch: inout Scratch) -> Double {
        var inverse = [Int](repeating: 0, count: k)
        for i in 0..<k { inverse[pi[i]] = i }
        let n = Double(pairs)
        let order = ev.orders + (nS + m) * pairs
        let values = ev.inputs
        let vbase = (nS + m) * pairs
        // the relabelled model's pairs in ascending order of value: pair (a, b) of the model sits
        // at (π⁻¹(a), π⁻¹(b)) in the relabelled RDM
        for t in 0..<pairs {
            let p = Int(order[t])
            scratch.order[t] = pairTable[inverse[Int(ev.pairI[p])] * k + inverse[Int(ev.pairJ[p])]]
        }
        var sum = 0.0
        for s in 0..<nS {
            let g = subjectGroupCounts[s]
            var acc = 0.0
            scratch.fenwick.withUnsafeMutableBufferPointer { fw in subjectGroups.withUnsafeBufferPointer { gB in scratch.order.withUnsafeBufferPointer { oB in
                let tree = fw.baseAddress!, atGroup = fw.baseAddress! + (pairs + 1), yd = gB.baseAddress! + s * pairs
                for i in 0...g { tree[i] = 0; atGroup[i] = 0 }
                var total = 0.0
                var q = 0
                while q < pairs {
                    let v = values[vbase + Int(order[q])]
                    var e = q
                    while e < pairs && values[vbase + Int(order[e])] == v { e += 1 }
                    for t in q..<e {
                        let yi = Int(yd[Int(oB[t])])
                        var less = 0.0, i = yi
                        while i > 0 { less += tree[i]; i &= i - 1 }
                        acc += less - (total - less - atGroup[yi])
                    }
                    for t in q..<e {
                        var i = Int(yd[Int(oB[t])]) + 1
                        atGroup[i - 1] += 1
                        while i <= g { tree[i] += 1; i += i & (-i) }
                        total += 1
                    }
                    q = e
                }
            } } }
            sum += min(1, max(-1, acc / (n * (n - 1) / 2)))
        }
        return sum / Double(nS)
    }
}
