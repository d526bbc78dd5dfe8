// Cluster statistics on labelled points X [n, d] (row-major Double).
//
// Calinski–Harabasz index, CH = [SSB / (K − 1)] / [SSW / (n − K)] (thesis eq. 6-5), K = number
// of distinct labels, c_k the cluster means, c the grand mean:
//   .thesis  (eq. 6-6, 6-7 as written, unsquared norms)
//            SSB = Σ_k n_k ‖c_k − c‖₂,  SSW = Σ_k Σ_{i∈k} ‖x_i − c_k‖₂
//   .squared (sklearn.metrics.calinski_harabasz_score, the textbook form)
//            SSB = Σ_k n_k ‖c_k − c‖²,  SSW = Σ_k Σ_{i∈k} ‖x_i − c_k‖²
// 1 when SSW = 0 (sklearn's convention; the thesis would divide by zero — *choice*);
// NaN unless 2 ≤ K ≤ n − 1.
//
// DBSCAN (sklearn.cluster.DBSCAN semantics): neighbourhood = points within distance ≤ eps
// (the point itself included); a core point has ≥ minSamples neighbours; clusters grow from core
// points in index order; label −1 is noise.
import Foundation

/// Which norms the Calinski–Harabasz dispersions use.
public enum CHForm: String, Sendable, Codable, CaseIterable {
    /// Eq. 6-6/6-7 as the thesis writes them: unsquared Euclidean norms.
    case thesis
    /// sklearn's `calinski_harabasz_score`: squared norms.
    case squared
}

public enum ClusterValidity {
    public static func calinskiHarabasz(data: [Double], rows n: Int, columns d: Int, labels: [Int], form: CHForm = .thesis) -> Double {
        precondition(data.count == n * d && labels.count == n)
        let ids = Array(Set(labels)).sorted()
        let kk = ids.count
        guard kk >= 2, kk <= n - 1 else { return .nan }
        var grand = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { grand[j] += data[i * d + j] } }
        for j in 0..<d { grand[j] /= Double(n) }
        var between = 0.0, within = 0.0
        for id in ids {
            let members = (0..<n).filter { labels[$0] == id }
            var c = [Double](repeating: 0, count: d)
            for i in members { for j in 0..<d { c[j] += data[i * d + j] } }
            for j in 0..<d { c[j] /= Double(members.count) }
            var b2 = 0.0
            for j in 0..<d { b2 += (c[j] - grand[j]) * (c[j] - grand[j]) }
            between += Double(members.count) * (form == .thesis ? b2.squareRoot() : b2)
            for i in members {
                var w2 = 0.0
                for j in 0..<d { let t = data[i * d + j] - c[j]; w2 += t * t }
                within += form == .thesis ? w2.squareRoot() : w2
            }
        }
        if within == 0 { return 1 }
        return (between / Double(kk - 1)) / (within / Double(n - kk))
    }
}

public enum DBSCAN {
    /// Labels [n] (−1 noise, clusters 0, 1, … in order of discovery) for points [n, d].
    public static func cluster(data: [Double], rows n: Int, columns d: Int, eps: Double, minSamples: Int) -> [Int] {
        precondition(data.count == n * d && eps >= 0 && minSamples >= 1)
        var neighbours = [[Int]](repeating: [], count: n)
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for t in 0..<d { let v = data[i * d + t] - data[j * d + t]; s += v * v }
                if s.squareRoot() <= eps { neighbours[i].append(j) }
            }
        }
        let core = neighbours.map { $0.count >= minSamples }
        var labels = [Int](repeating: -1, count: n)
        var label = 0
        var stack: [Int] = []
        for start in 0..<n {
            if labels[start] != -1 || !core[start] { continue }
            var i = start
            while true {
                if labels[i] == -1 {
                    labels[i] = label
                    if core[i] { for j in neighbours[i] where labels[j] == -1 { stack.append(j) } }
                }
                guard let next = stack.popLast() else { break }
                i = next
            }
            label += 1
        }
        return labels
    }
}
