// Ranks of a sample with ties averaged (scipy.stats.rankdata, method "average"), used by the
// Spearman correlations of RSA (Analysis) and of the scanner's statistics (Scanner).
public enum Ranks {
    /// Average ranks, 1-based: tied values share the mean of the ranks they occupy.
    public static func average(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var q = 0
        while q < order.count {
            var e = q
            while e + 1 < order.count && x[order[e + 1]] == x[order[q]] { e += 1 }
            let avg = Double(q + e + 2) / 2
            for t in q...e { r[order[t]] = avg }
            q = e + 1
        }
        return r
    }
}
