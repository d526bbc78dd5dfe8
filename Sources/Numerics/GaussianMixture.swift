// Gaussian mixture with full covariance matrices, fitted by expectation–maximisation, for points
// X [n, d] (row-major Double). The algorithm follows sklearn.mixture.GaussianMixture
// (covariance_type "full", init "kmeans"):
//   E step   log r_ik = log π_k + log N(x_i | μ_k, Σ_k) − logsumexp_k(…)
//            lower bound ℓ = (1/n) Σ_i logsumexp_k(log π_k + log N(x_i | μ_k, Σ_k))
//   M step   n_k = Σ_i r_ik + 10·ε_f64,  μ_k = Σ_i r_ik x_i / n_k,
//            Σ_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / n_k + reg·I,   π_k = n_k / n
//   stop     when |ℓ_t − ℓ_{t−1}| < tol (converged) or after maxIterations.
// Initialisation: k-means (k-means++ seeding from a SeededRandom, Lloyd iterations to a fixed
// point), its hard labels as responsibilities, one M step. With `restarts` > 1 the fit with the
// largest final lower bound wins. log N uses a Cholesky factor of Σ_k (LAPACK dpotrf).
import Foundation
import Tensors

public struct GaussianMixtureSettings: Sendable, Equatable {
    public var maxIterations: Int
    public var tolerance: Double
    /// Added to every covariance diagonal (sklearn reg_covar).
    public var regularization: Double
    public var restarts: Int
    public var seed: UInt64

    public init(maxIterations: Int = 100, tolerance: Double = 1e-3, regularization: Double = 1e-6, restarts: Int = 1, seed: UInt64 = 0) {
        self.maxIterations = maxIterations; self.tolerance = tolerance; self.regularization = regularization
        self.restarts = restarts; self.seed = seed
    }
}

public struct GaussianMixture: Sendable {
    public let componentCount: Int
    public let dimension: Int
    /// Mixing weights π [k].
    public var weights: [Double]
    /// Means, row-major [k, d].
    public var means: [Double]
    /// Covariances, row-major [k, d, d].
    public var covariances: [Double]
    /// Mean log-likelihood per sample at the last E step (nats).
    public private(set) var lowerBound: Double = -.infinity
    public private(set) var iterations: Int = 0
    public private(set) var converged = false

    public init(weights: [Double], means: [Double], covariances: [Double], dimension d: Int) {
        let k = weights.count
        precondition(means.count == k * d && covariances.count == k * d * d, "GaussianMixture: parameter sizes do not match k = \(k), d = \(d)")
        self.componentCount = k; self.dimension = d
        self.weights = weights; self.means = means; self.covariances = covariances
    }

    // MARK: fitting

    /// Fits `k` components to `data` [n, d]. Needs n ≥ k.
    public static func fit(data: [Double], rows n: Int, columns d: Int, components k: Int,
                           settings: GaussianMixtureSettings = GaussianMixtureSettings()) throws -> GaussianMixture {
        precondition(data.count == n * d, "GaussianMixture: \(data.count) values for \(n)×\(d)")
        guard k >= 1, n >= k else {
            throw NumericsError.numerical(what: "Gaussian mixture", reason: "cannot fit \(k) components to \(n) points")
        }
        var rng = SeededRandom(seed: settings.seed)
        var best: GaussianMixture?
        for _ in 0..<max(1, settings.restarts) {
            let labels = KMeans.cluster(data: data, rows: n, columns: d, clusters: k, rng: &rng)
            var r = [Double](repeating: 0, count: n * k)
            for i in 0..<n { r[i * k + labels[i]] = 1 }
            var model = GaussianMixture(weights: [Double](repeating: 0, count: k), means: [Double](repeating: 0, count: k * d),
                                        covariances: [Double](repeating: 0, count: k * d * d), dimension: d)
            model.maximize(data: data, rows: n, responsibilities: r, regularization: settings.regularization)
            try model.run(data: data, rows: n, maxIterations: settings.maxIterations, tolerance: settings.tolerance,
                          regularization: settings.regularization)
            if best == nil || model.lowerBound > best!.lowerBound { best = model }
        }
        return best!
    }

    /// Runs EM from the current parameters: at most `maxIterations` (E, M) rounds, stopping early
    /// when the lower bound changes by less than `tolerance` (tolerance 0: always all rounds).
    /// Ends with the parameters of the last M step and the lower bound of the last E step.
    public mutating func run(data: [Double], rows n: Int, maxIterations: Int, tolerance: Double, regularization: Double) throws {
        let k = componentCount
        var r = [Double](repeating: 0, count: n * k)
        var previous = -Double.infinity
        converged = false
        iterations = 0
        for it in 1...max(1, maxIterations) {
            let lb = try expectation(data: data, rows: n, responsibilities: &r)
            maximize(data: data, rows: n, responsibilities: r, regularization: regularization)
            iterations = it
            lowerBound = lb
            if tolerance > 0 && abs(lb - previous) < tolerance { converged = true; break }
            previous = lb
        }
    }

    /// E step: fills r [n, k] and returns the mean log-likelihood.
    func expectation(data: [Double], rows n: Int, responsibilities r: inout [Double]) throws -> Double {
        let k = componentCount
        let logp = try logJoint(data: data, rows: n)
        var total = 0.0
        for i in 0..<n {
            var m = -Double.infinity
            for c in 0..<k { m = max(m, logp[i * k + c]) }
            var s = 0.0
            for c in 0..<k { s += Foundation.exp(logp[i * k + c] - m) }
            let lse = m + Foundation.log(s)
            total += lse
            for c in 0..<k { r[i * k + c] = Foundation.exp(logp[i * k + c] - lse) }
        }
        return total / Double(n)
    }

    /// M step from responsibilities r [n, k].
    mutating func maximize(data: [Double], rows n: Int, responsibilities r: [Double], regularization: Double) {
        let k = componentCount, d = dimension
        for c in 0..<k {
            var nk = 10 * Double.ulpOfOne
            for i in 0..<n { nk += r[i * k + c] }
            var mu = [Double](repeating: 0, count: d)
            for i in 0..<n where r[i * k + c] != 0 { for j in 0..<d { mu[j] += r[i * k + c] * data[i * d + j] } }
            for j in 0..<d { mu[j] /= nk }
            var cov = [Double](repeating: 0, count: d * d)
            for i in 0..<n where r[i * k + c] != 0 {
                let w = r[i * k + c]
                for a in 0..<d {
                    let da = data[i * d + a] - mu[a]
                    for b in 0..<d { cov[a * d + b] += w * da * (data[i * d + b] - mu[b]) }
                }
            }
            for a in 0..<d { for b in 0..<d { cov[a * d + b] /= nk } ; cov[a * d + a] += regularization }
            weights[c] = nk / Double(n)
            for j in 0..<d { means[c * d + j] = mu[j] }
            for j in 0..<(d * d) { covariances[c * d * d + j] = cov[j] }
        }
    }

    // MARK: evaluation

    /// log π_k + log N(x_i | μ_k, Σ_k), row-major [n, k].
    public func logJoint(data: [Double], rows n: Int) throws -> [Double] {
        let k = componentCount, d = dimension
        var out = [Double](repeating: 0, count: n * k)
        let log2pi = Foundation.log(2 * Double.pi)
        for c in 0..<k {
            let l = try Self.cholesky(Array(covariances[(c * d * d)..<((c + 1) * d * d)]), d)
            var logDet = 0.0
            for j in 0..<d { logDet += 2 * Foundation.log(l[j * d + j]) }
            let lw = Foundation.log(weights[c])
            var z = [Double](repeating: 0, count: d)
            for i in 0..<n {
                // Solve L z = x − μ (forward substitution); Mahalanobis distance = ‖z‖².
                var q = 0.0
                for a in 0..<d {
                    var s = data[i * d + a] - means[c * d + a]
                    for b in 0..<a { s -= l[a * d + b] * z[b] }
                    z[a] = s / l[a * d + a]
                    q += z[a] * z[a]
                }
                out[i * k + c] = lw - 0.5 * (Double(d) * log2pi + logDet + q)
            }
        }
        return out
    }

    /// Posterior component probabilities [n, k].
    public func responsibilities(data: [Double], rows n: Int) throws -> [Double] {
        var r = [Double](repeating: 0, count: n * componentCount)
        _ = try expectation(data: data, rows: n, responsibilities: &r)
        return r
    }

    /// Most probable component of each point [n].
    public func predict(data: [Double], rows n: Int) throws -> [Int] {
        let k = componentCount
        let lp = try logJoint(data: data, rows: n)
        return (0..<n).map { i in (0..<k).max { lp[i * k + $0] < lp[i * k + $1] }! }
    }

    /// Lower-triangular Cholesky factor of an SPD d×d matrix (row-major), by LAPACK dpotrf.
    static func cholesky(_ a: [Double], _ d: Int) throws -> [Double] {
        guard let l = try? LAPACK.choleskyFactor(a, n: d), (0..<d).allSatisfy({ l[$0 * d + $0] > 0 && l[$0 * d + $0].isFinite }) else {
            throw NumericsError.numerical(what: "Gaussian mixture", reason: "a component covariance is not positive definite (increase the regularisation)")
        }
        return l
    }
}

/// k-means (Lloyd) with k-means++ seeding, squared Euclidean distance; used to start EM.
public enum KMeans {
    /// Labels in 0..<k for the rows of `data` [n, d]. Iterates until the labels stop changing
    /// (at most 300 rounds, sklearn's default). An emptied cluster keeps its previous centre.
    public static func cluster(data: [Double], rows n: Int, columns d: Int, clusters k: Int, rng: inout SeededRandom) -> [Int] {
        precondition(k >= 1 && n >= k)
        func dist2(_ i: Int, _ c: [Double], _ ci: Int) -> Double {
            var s = 0.0
            for j in 0..<d { let t = data[i * d + j] - c[ci * d + j]; s += t * t }
            return s
        }
        var centres = [Double](repeating: 0, count: k * d)
        let first = rng.int(below: n)
        for j in 0..<d { centres[j] = data[first * d + j] }
        var nearest = (0..<n).map { dist2($0, centres, 0) }
        for c in 1..<max(1, k) {
            let total = nearest.reduce(0, +)
            var pick = n - 1
            if total > 0 {
                var u = rng.uniform() * total
                for i in 0..<n { u -= nearest[i]; if u < 0 { pick = i; break } }
            } else {
                pick = rng.int(below: n)
            }
            for j in 0..<d { centres[c * d + j] = data[pick * d + j] }
            for i in 0..<n { nearest[i] = min(nearest[i], dist2(i, centres, c)) }
        }
        var labels = [Int](repeating: -1, count: n)
        for _ in 0..<300 {
            var changed = false
            for i in 0..<n {
                var best = 0, bd = Double.infinity
                for c in 0..<k { let v = dist2(i, centres, c); if v < bd { bd = v; best = c } }
                if labels[i] != best { labels[i] = best; changed = true }
            }
            if !changed { break }
            var sums = [Double](repeating: 0, count: k * d), counts = [Int](repeating: 0, count: k)
            for i in 0..<n { counts[labels[i]] += 1; for j in 0..<d { sums[labels[i] * d + j] += data[i * d + j] } }
            for c in 0..<k where counts[c] > 0 { for j in 0..<d { centres[c * d + j] = sums[c * d + j] / Double(counts[c]) } }
        }
        return labels
    }
}
