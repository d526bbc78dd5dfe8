// Model neurons with known parameters for the simulator. Every cell sees s = v − 0.5, the stimulus
// intensity v ∈ [0, 1] as stored (uint8 files: v = byte/255) centred at 0. All filters are stacked
// into one matrix [M, S²] and applied to all stimuli with one sgemm.
//
// Gabor g(x, y) = exp(−(x′² + y′²)/(2σ²))·cos(2πf x′ + φ), x′ = (x−x₀)cosθ + (y−y₀)sinθ,
// y′ = −(x−x₀)sinθ + (y−y₀)cosθ (x = column, y = row, pixels); its DC is removed by subtracting a
// multiple of the envelope, then it is scaled to unit L2 norm.
// Parameter ranges (S = image side): θ ~ U[0, π); σ ~ U[0.08, 0.15]·S; f·σ ~ U[0.4, 0.7] (f ≤ 0.4
// cycles/pixel); φ ~ U[0, 2π); x₀, y₀ ~ centre + U[−0.1, 0.1]·S; target mean rate m ~ U[rateRange];
// baseline b = β·m with β ~ U[0.05, 0.2]; the gain a makes the mean over the simulated stimuli m.
//
//   simple   λ = b + a·max(0, ⟨g_φ, s⟩)                                          → Poisson
//   complex  λ = b + a·(⟨g_φ, s⟩² + ⟨g_φ+π/2, s⟩²)      (energy of a quadrature pair) → Poisson
//   v2       λ = b + a·max(0, Σ_k w_k E_k − τ), K = 4 complex subunits (σ ~ U[0.06, 0.1]·S):
//            two excitatory (w = 1) at orientations θ₁ and θ₂ = θ₁ + U[π/4, 3π/4], placed 0.08·S
//            either side of the centre, two suppressive (w = −0.5) orthogonal to them at the same
//            places; τ is the 40th percentile of the pooled drive over the stimuli    → Poisson
//   voxel    μ = a·mean_p E_p over P = 24 complex subunits (centres ~ N(c_v, (0.08·S)²), c_v =
//            centre + U[−0.15, 0.15]·S, σ ~ U[0.06, 0.12]·S, θ uniform), mean μ = m ~ U[1, 3];
//            y = μ + N(0, σ_n²) with σ_n² = Var(μ)·(1 − ρ)/ρ, ρ ~ U[0.3, 0.7] the fraction of
//            single-trial variance the signal explains
import Foundation
import Tensors

public enum CellFamily: String, CaseIterable, Codable, Sendable {
    case simple, complex, v2, voxel
}

struct GaborParameters: Equatable {
    var orientation: Double, frequency: Double, sigma: Double, phase: Double, x0: Double, y0: Double

    /// Draws θ, σ, f, φ and the position; `sigmaRange` and `offset` are fractions of the image side.
    static func draw(size s: Int, rng: inout SeededRandom, sigmaRange: (Double, Double) = (0.08, 0.15),
                     centre: (Double, Double)? = nil, offset: Double = 0.1) -> GaborParameters {
        let c = Double(s - 1) / 2
        let theta = rng.uniform(0, Double.pi)
        let sigma = rng.uniform(sigmaRange.0, sigmaRange.1) * Double(s)
        let f = min(0.4, rng.uniform(0.4, 0.7) / sigma)
        let phase = rng.uniform(0, 2 * Double.pi)
        let x0 = centre?.0 ?? c + rng.uniform(-offset, offset) * Double(s)
        let y0 = centre?.1 ?? c + rng.uniform(-offset, offset) * Double(s)
        return GaborParameters(orientation: theta, frequency: f, sigma: sigma, phase: phase, x0: x0, y0: y0)
    }

    /// The DC-free, unit-norm Gabor [S·S] with phase `phase + extraPhase`.
    func filter(size s: Int, extraPhase: Double = 0) -> [Float] {
        var g = [Double](repeating: 0, count: s * s), env = g
        let ct = Foundation.cos(orientation), st = Foundation.sin(orientation)
        for y in 0..<s { for x in 0..<s {
            let dx = Double(x) - x0, dy = Double(y) - y0
            let xr = dx * ct + dy * st, yr = -dx * st + dy * ct
            let e = Foundation.exp(-(xr * xr + yr * yr) / (2 * sigma * sigma))
            env[y * s + x] = e
            g[y * s + x] = e * Foundation.cos(2 * Double.pi * frequency * xr + phase + extraPhase)
        } }
        let envSum = env.reduce(0, +)
        let k = envSum > 0 ? g.reduce(0, +) / envSum : 0
        for i in 0..<g.count { g[i] -= k * env[i] }
        let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return g.map { Float(norm > 0 ? $0 / norm : 0) }
    }
}

/// One simulated unit and its generating parameters.
struct SimulatedUnit {
    var family: CellFamily
    /// The unit's own Gabor (simple, complex); for v2 and voxels the first subunit's.
    var gabor: GaborParameters
    var subunits: [(gabor: GaborParameters, weight: Double)] = []
    var targetMean: Double
    var baselineFraction: Double
    var gain = 0.0, baseline = 0.0, threshold = 0.0
    var noiseStd = 0.0
    var signalFraction = 0.0
}

enum CellPopulation {
    static let cellStream: UInt64 = 3 << 32

    /// Draws the units of `cells` (in order) with their own seeded streams.
    static func draw(cells: [CellCount], size s: Int, seed: UInt64, rateRange: (Double, Double)) -> [SimulatedUnit] {
        var units: [SimulatedUnit] = []
        for cc in cells {
            for _ in 0..<cc.count {
                var rng = SeededRandom.derived(seed: seed, stream: cellStream + UInt64(units.count))
                let c = Double(s - 1) / 2
                switch cc.family {
                case .simple, .complex:
                    let g = GaborParameters.draw(size: s, rng: &rng)
                    units.append(SimulatedUnit(family: cc.family, gabor: g, targetMean: rng.uniform(rateRange.0, rateRange.1),
                                               baselineFraction: rng.uniform(0.05, 0.2)))
                case .v2:
                    let theta1 = rng.uniform(0, Double.pi)
                    let theta2 = theta1 + rng.uniform(Double.pi / 4, 3 * Double.pi / 4)
                    let alpha = rng.uniform(0, 2 * Double.pi)
                    let cx = c + rng.uniform(-0.1, 0.1) * Double(s), cy = c + rng.uniform(-0.1, 0.1) * Double(s)
                    let d = 0.08 * Double(s)
                    let p1 = (cx + d * Foundation.cos(alpha), cy + d * Foundation.sin(alpha))
                    let p2 = (cx - d * Foundation.cos(alpha), cy - d * Foundation.sin(alpha))
                    var subs: [(gabor: GaborParameters, weight: Double)] = []
                    for (theta, p, w) in [(theta1, p1, 1.0), (theta2, p2, 1.0),
                                          (theta1 + Double.pi / 2, p1, -0.5), (theta2 + Double.pi / 2, p2, -0.5)] {
                        var g = GaborParameters.draw(size: s, rng: &rng, sigmaRange: (0.06, 0.1), centre: p)
                        g.orientation = theta.truncatingRemainder(dividingBy: Double.pi)
                        g.phase = 0
                        subs.append((g, w))
                    }
                    units.append(SimulatedUnit(family: .v2, gabor: subs[0].gabor, subunits: subs,
                                               targetMean: rng.uniform(rateRange.0, rateRange.1), baselineFraction: rng.uniform(0.05, 0.2)))
                case .voxel:
                    let cv = (c + rng.uniform(-0.15, 0.15) * Double(s), c + rng.uniform(-0.15, 0.15) * Double(s))
                    var subs: [(gabor: GaborParameters, weight: Double)] = []
                    for _ in 0..<24 {
                        let p = (cv.0 + 0.08 * Double(s) * rng.normal(), cv.1 + 0.08 * Double(s) * rng.normal())
                        var g = GaborParameters.draw(size: s, rng: &rng, sigmaRange: (0.06, 0.12), centre: p)
                        g.phase = 0
                        subs.append((g, 1.0 / 24))
                    }
                    var u = SimulatedUnit(family: .voxel, gabor: subs[0].gabor, subunits: subs,
                                          targetMean: rng.uniform(1, 3), baselineFraction: 0)
                    u.signalFraction = rng.uniform(0.3, 0.7)
                    units.append(u)
                }
            }
        }
        return units
    }

    /// Filters each unit needs, in order: simple 1; complex 2 (cos, sin); v2 and voxel 2 per subunit.
    static func filterBank(_ units: [SimulatedUnit], size s: Int) -> (bank: [Float], rows: Int) {
        var bank: [Float] = []
        for u in units {
            switch u.family {
            case .simple: bank += u.gabor.filter(size: s)
            case .complex: bank += u.gabor.filter(size: s); bank += u.gabor.filter(size: s, extraPhase: Double.pi / 2)
            case .v2, .voxel:
                for sub in u.subunits { bank += sub.gabor.filter(size: s); bank += sub.gabor.filter(size: s, extraPhase: Double.pi / 2) }
            }
        }
        return (bank, bank.count / (s * s))
    }

    /// Calibrates gains/baselines/thresholds/noise on the given stimuli and returns the true mean
    /// responses [N, U]. `inputs` is [N, S²] (s = v − 0.5).
    static func rates(_ units: inout [SimulatedUnit], inputs: [Float], count n: Int, size s: Int) -> [Float] {
        let (bank, m) = filterBank(units, size: s)
        let d2 = s * s
        var drives = [Float](repeating: 0, count: n * m)  // [N, M]
        inputs.withUnsafeBufferPointer { x in bank.withUnsafeBufferPointer { f in drives.withUnsafeMutableBufferPointer { d in
            BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: m, k: d2, alpha: 1, a: x.baseAddress!, lda: d2,
                       b: f.baseAddress!, ldb: d2, beta: 0, c: d.baseAddress!, ldc: m)
        } } }
        let uCount = units.count
        var rates = [Float](repeating: 0, count: n * uCount)
        var col = 0
        for (j, unit) in units.enumerated() {
            // Nonlinear drive per stimulus, before gain and baseline.
            var z = [Double](repeating: 0, count: n)
            switch unit.family {
            case .simple:
                for i in 0..<n { z[i] = max(0, Double(drives[i * m + col])) }
                col += 1
            case .complex:
                for i in 0..<n {
                    let e = Double(drives[i * m + col]), o = Double(drives[i * m + col + 1])
                    z[i] = e * e + o * o
                }
                col += 2
            case .v2, .voxel:
                for (k, sub) in unit.subunits.enumerated() {
                    for i in 0..<n {
                        let e = Double(drives[i * m + col + 2 * k]), o = Double(drives[i * m + col + 2 * k + 1])
                        z[i] += sub.weight * (e * e + o * o)
                    }
                }
                col += 2 * unit.subunits.count
                if unit.family == .v2 {
                    let sorted = z.sorted()
                    let tau = sorted.isEmpty ? 0 : sorted[Int(0.4 * Double(sorted.count - 1))]
                    units[j].threshold = tau
                    for i in 0..<n { z[i] = max(0, z[i] - tau) }
                }
            }
            let meanZ = z.reduce(0, +) / Double(max(1, n))
            var u = units[j]
            if u.family == .voxel {
                u.baseline = 0
                u.gain = meanZ > 0 ? u.targetMean / meanZ : 0
                let mu = z.map { u.gain * $0 }
                let varSignal = mu.reduce(0) { $0 + ($1 - u.targetMean) * ($1 - u.targetMean) } / Double(max(1, n))
                u.noiseStd = varSignal > 0 ? (varSignal * (1 - u.signalFraction) / u.signalFraction).squareRoot() : 0.1 * u.targetMean
            } else {
                u.baseline = u.baselineFraction * u.targetMean
                u.gain = meanZ > 0 ? (u.targetMean - u.baseline) / meanZ : 0
                if meanZ <= 0 { u.baseline = u.targetMean }
            }
            units[j] = u
            for i in 0..<n { rates[i * uCount + j] = Float(u.baseline + u.gain * z[i]) }
        }
        return rates
    }
}
