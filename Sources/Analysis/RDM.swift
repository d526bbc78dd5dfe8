// Representational dissimilarity matrices (RDMs).
//
// Shape legend: K conditions (stimuli), P = K(K−1)/2 condition pairs, n RDMs in a set.
// Storage: the condensed upper triangle, pairs in row-major order (0,1), (0,2), …, (0,K−1), (1,2), …
// — the order of numpy.triu_indices(K, 1), scipy's squareform and rsatoolbox's RDMs.get_vectors().
// All values are Double: RDM files hold float64 and the comparisons are checked against rsatoolbox
// to 1e-6.

/// One RDM over K conditions.
public struct RDM: Sendable, Equatable {
    /// K, the number of conditions.
    public let conditions: Int
    /// Condensed upper triangle, [K(K−1)/2], dimensionless dissimilarities.
    public var dissimilarities: [Double]
    /// How the dissimilarities were computed (e.g. "correlation"), free text.
    public var measure: String

    public init(conditions: Int, dissimilarities: [Double], measure: String = "") {
        precondition(dissimilarities.count == RDM.pairCount(conditions), "RDM: \(dissimilarities.count) values for \(conditions) conditions")
        self.conditions = conditions
        self.dissimilarities = dissimilarities
        self.measure = measure
    }

    /// K(K−1)/2.
    @inline(__always) public static func pairCount(_ k: Int) -> Int { k * (k - 1) / 2 }

    /// Index of pair (i, j), i ≠ j, in the condensed vector.
    @inline(__always) public static func pairIndex(_ i: Int, _ j: Int, conditions k: Int) -> Int {
        let (a, b) = i < j ? (i, j) : (j, i)
        return a * k - a * (a + 1) / 2 + (b - a - 1)
    }

    /// The full symmetric matrix, [K, K] row-major, zero diagonal.
    public func squareMatrix() -> [Double] { RDM.square(dissimilarities[...], conditions: conditions) }

    static func square(_ v: ArraySlice<Double>, conditions k: Int) -> [Double] {
        var m = [Double](repeating: 0, count: k * k)
        var p = v.startIndex
        for i in 0..<k {
            for j in (i + 1)..<max(i + 1, k) {
                m[i * k + j] = v[p]; m[j * k + i] = v[p]; p += 1
            }
        }
        return m
    }
}

/// n RDMs over the same K conditions (the subjects of an analysis, or its models), with names.
public struct RDMSet: Sendable, Equatable {
    public let names: [String]
    /// K.
    public let conditions: Int
    /// [n, K(K−1)/2] row-major condensed RDMs.
    public let vectors: [Double]

    public var count: Int { names.count }
    public var pairs: Int { RDM.pairCount(conditions) }

    public init(names: [String], conditions: Int, vectors: [Double]) {
        precondition(vectors.count == names.count * RDM.pairCount(conditions), "RDMSet: \(vectors.count) values for \(names.count) RDMs of \(conditions) conditions")
        self.names = names
        self.conditions = conditions
        self.vectors = vectors
    }

    public init(_ rdms: [RDM], names: [String]) {
        precondition(rdms.count == names.count && !rdms.isEmpty)
        let k = rdms[0].conditions
        precondition(rdms.allSatisfy { $0.conditions == k }, "RDMSet: RDMs of different sizes")
        self.init(names: names, conditions: k, vectors: rdms.flatMap { $0.dissimilarities })
    }

    /// Builds a set from full matrices, [n, K, K] row-major, checking what a user's file can get
    /// wrong: at least 3 conditions, finite values, symmetry and a zero diagonal, each within
    /// `tolerance` × the largest |dissimilarity| of that RDM (default 1e-6, room for float32 files).
    /// The upper triangle is kept. `source` names the data in messages (e.g. "brain.h5:/rdms/hIT").
    public init(squareMatrices m: [Double], count n: Int, conditions k: Int, names: [String],
                source: String, tolerance: Double = 1e-6) throws {
        precondition(m.count == n * k * k && names.count == n)
        if n == 0 { throw RSAError.emptySet(source: source) }
        if k < 3 { throw RSAError.tooFewConditions(source: source, conditions: k) }
        let p = RDM.pairCount(k)
        var v = [Double](repeating: 0, count: n * p)
        for r in 0..<n {
            let base = r * k * k
            let label = "\(r) ('\(names[r])')"
            var scale = 0.0
            for i in 0..<(k * k) {
                let x = m[base + i]
                guard x.isFinite else { throw RSAError.nonFinite(source: source, rdm: label, row: i / k, column: i % k) }
                scale = max(scale, abs(x))
            }
            let tol = tolerance * max(scale, Double.leastNormalMagnitude)
            var q = r * p
            for i in 0..<k {
                let d = m[base + i * k + i]
                if abs(d) > tol { throw RSAError.nonZeroDiagonal(source: source, rdm: label, condition: i, value: d, tolerance: tol) }
                for j in (i + 1)..<max(i + 1, k) {
                    let a = m[base + i * k + j], b = m[base + j * k + i]
                    if abs(a - b) > tol { throw RSAError.notSymmetric(source: source, rdm: label, row: i, column: j, difference: abs(a - b), tolerance: tol) }
                    v[q] = a; q += 1
                }
            }
        }
        self.init(names: names, conditions: k, vectors: v)
    }

    /// The i-th condensed RDM, [K(K−1)/2].
    public func vector(_ i: Int) -> ArraySlice<Double> { vectors[(i * pairs)..<((i + 1) * pairs)] }

    public func rdm(_ i: Int) -> RDM { RDM(conditions: conditions, dissimilarities: Array(vector(i))) }

    /// [K, K] row-major matrix of the i-th RDM.
    public func squareMatrix(_ i: Int) -> [Double] { RDM.square(vector(i), conditions: conditions) }

    /// The element-wise mean RDM, [K(K−1)/2].
    public func mean() -> [Double] {
        var m = [Double](repeating: 0, count: pairs)
        for r in 0..<count { for q in 0..<pairs { m[q] += vectors[r * pairs + q] } }
        let inv = 1 / Double(count)
        return m.map { $0 * inv }
    }

    /// Averages consecutive groups of `size` RDMs (e.g. the sessions of one subject) into one each;
    /// the name of a group is "mean(first member, …, last member)".
    public func averagingConsecutive(groupsOf size: Int, source: String) throws -> RDMSet {
        guard size >= 1, count % size == 0 else { throw RSAError.badGrouping(source: source, count: count, groupSize: size) }
        if size == 1 { return self }
        let g = count / size
        var v = [Double](repeating: 0, count: g * pairs)
        var names: [String] = []
        for a in 0..<g {
            for r in (a * size)..<((a + 1) * size) {
                for q in 0..<pairs { v[a * pairs + q] += vectors[r * pairs + q] }
            }
            for q in 0..<pairs { v[a * pairs + q] /= Double(size) }
            let members = self.names[(a * size)..<((a + 1) * size)]
            names.append("mean(\(size == 2 ? members.joined(separator: ", ") : members.first! + ", …, " + members.last!))")
        }
        return RDMSet(names: names, conditions: conditions, vectors: v)
    }

    /// The RDMs restricted to the given conditions (in that order, repeats allowed: the pair of two
    /// copies of one condition becomes NaN, as rsatoolbox's subsample_pattern makes it), for tests
    /// and the reference implementation. Returns [n, K′(K′−1)/2] with K′ = selection.count.
    public func subsampled(_ selection: [Int]) -> [Double] {
        let kk = selection.count
        let pp = RDM.pairCount(kk)
        var out = [Double](repeating: .nan, count: count * pp)
        for r in 0..<count {
            var q = 0
            for i in 0..<kk {
                for j in (i + 1)..<max(i + 1, kk) {
                    let a = selection[i], b = selection[j]
                    if a != b { out[r * pp + q] = vectors[r * pairs + RDM.pairIndex(a, b, conditions: conditions)] }
                    q += 1
                }
            }
        }
        return out
    }
}
