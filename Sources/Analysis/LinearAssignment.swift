// The linear assignment problem (Kuhn 1955, Munkres 1957): given an n × m score matrix with
// n ≤ m, choose one distinct column for every row so that the summed score is as large as possible.
// Hungarian algorithm with row/column potentials (shortest augmenting paths, O(n²·m)), on the cost
// c = max(score) − score so every cost is ≥ 0. Used by `ModelComparison` to match the filters of two
// fits (a permutation of channels is a symmetry of a CNN, seed 000 "模型的可辨识性").
import Foundation

public enum LinearAssignment {
    /// The assignment maximising Σ_i score[i][assignment[i]].
    /// - Parameter score: n rows of m finite values, n ≤ m (rows are assigned to distinct columns).
    /// - Returns: for every row its column; nil when the matrix is ragged, has non-finite values or n > m.
    public static func maximise(_ score: [[Double]]) -> [Int]? {
        let n = score.count
        guard n > 0 else { return [] }
        let m = score[0].count
        guard n <= m, score.allSatisfy({ $0.count == m && $0.allSatisfy(\.isFinite) }) else { return nil }
        let top = score.flatMap { $0 }.max()!
        // 1-based arrays as in the classical formulation: u (rows), v (columns), p[j] the row
        // matched to column j (0 = none), way[j] the previous column on the augmenting path.
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: m + 1)
        var p = [Int](repeating: 0, count: m + 1), way = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            var minv = [Double](repeating: .infinity, count: m + 1)
            var used = [Bool](repeating: false, count: m + 1)
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...m where !used[j] {
                    let cur = (top - score[i0 - 1][j - 1]) - u[i0] - v[j]
                    if cur < minv[j] { minv[j] = cur; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                for j in 0...m {
                    if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var assignment = [Int](repeating: -1, count: n)
        for j in 1...m where p[j] != 0 { assignment[p[j] - 1] = j - 1 }
        return assignment
    }
}
