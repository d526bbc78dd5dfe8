// Gabor fitting of first-layer filters (DESIGN §5).
//
// Model, for pixel (row y, column x) of an H×W filter, x and y being the integer pixel indices
// (origin at the top-left pixel, y growing downwards):
//
//     g(x, y) = A · exp(−(x′²/(2σx²) + y′²/(2σy²))) · cos(2π f x′ + φ) + c
//     x′ =  (x − x0) cos θ + (y − y0) sin θ
//     y′ = −(x − x0) sin θ + (y − y0) cos θ
//
// θ is the direction of the carrier's wave vector, measured from the +x (column) axis towards the
// +y (row) axis — the stripes run perpendicular to it; f is in cycles/pixel; σx is the envelope
// width along the wave vector (across the stripes), σy along the stripes, both in pixels.
//
// Fitting: Levenberg–Marquardt (LevenbergMarquardt.swift) on the standardised filter
// (z = (g − mean)/std, so tolerances do not depend on the weights' scale) with the analytic
// Jacobian below, from several starts; the start with the lowest residual wins. Starts come from
// the peak of the zero-padded amplitude spectrum (θ = its direction, f = its radius), the centroid
// of the filter's energy z² (x0, y0), its spread along and across θ (σ = √2·sd, since z² carries
// the squared envelope), and, given those, an exact linear least-squares solve for A, φ and c
// (g is linear in A cos φ, A sin φ and c). Further starts: the orthogonal orientation, half the
// frequency, a phase offset of π/2, then seeded jitters of all of these. Steps that leave the
// admissible region (`GaborModel.isAdmissible`: centre inside the filter, 0.5 ≤ σ ≤ filter size,
// wave vector inside the Nyquist square) are rejected by the solver.
//
// R² = 1 − SSE/SST with SST = Σ(g − ḡ)²; a constant filter (SST = 0) gets R² = 0 by definition.
// "Gabor-like" means R² ≥ threshold (default 0.7).
//
// Canonical parameters (the model is unchanged by each rewrite): A ≥ 0 (A → −A, φ → φ + π),
// f ≥ 0 (f → −f, φ → −φ), σx, σy > 0 (the model depends on σ² only), θ ∈ [0, π)
// ((θ + π, φ) ≡ (θ, −φ)), φ ∈ (−π, π].
//
// Jacobian, with E the envelope, Φ = 2πf x′ + φ, G = A E cos Φ, S = A E sin Φ:
//     ∂g/∂x′ = −(x′/σx²) G − 2πf S          ∂g/∂y′ = −(y′/σy²) G
//     ∂g/∂A  = E cos Φ                       ∂g/∂c  = 1           ∂g/∂φ = −S
//     ∂g/∂x0 = −cos θ ∂g/∂x′ + sin θ ∂g/∂y′  ∂g/∂y0 = −sin θ ∂g/∂x′ − cos θ ∂g/∂y′
//     ∂g/∂θ  = y′ ∂g/∂x′ − x′ ∂g/∂y′         ∂g/∂f  = −2π x′ S
//     ∂g/∂σx = G x′²/σx³                     ∂g/∂σy = G y′²/σy³
import Foundation
import Tensors
import Numerics

/// Parameters of one Gabor; units: pixels, radians, cycles/pixel, filter units (A, c).
public struct GaborParameters: Equatable, Sendable {
    public var amplitude: Double
    /// Envelope centre, column (x0) and row (y0), in pixels from the top-left pixel.
    public var x0: Double
    public var y0: Double
    /// Direction of the wave vector, radians; in [0, π) once canonical.
    public var theta: Double
    /// Carrier frequency, cycles/pixel.
    public var frequency: Double
    /// Envelope s.d. along the wave vector (σx) and along the stripes (σy), pixels.
    public var sigmaX: Double
    public var sigmaY: Double
    /// Carrier phase at the envelope centre, radians; in (−π, π] once canonical.
    public var phase: Double
    public var offset: Double

    public static let count = 9

    public init(amplitude: Double, x0: Double, y0: Double, theta: Double, frequency: Double,
                sigmaX: Double, sigmaY: Double, phase: Double, offset: Double) {
        self.amplitude = amplitude; self.x0 = x0; self.y0 = y0; self.theta = theta
        self.frequency = frequency; self.sigmaX = sigmaX; self.sigmaY = sigmaY
        self.phase = phase; self.offset = offset
    }

    /// From the order [A, x0, y0, θ, f, σx, σy, φ, c] used by `GaborModel`.
    public init(vector v: [Double]) {
        precondition(v.count == GaborParameters.count)
        self.init(amplitude: v[0], x0: v[1], y0: v[2], theta: v[3], frequency: v[4],
                  sigmaX: v[5], sigmaY: v[6], phase: v[7], offset: v[8])
    }

    /// [A, x0, y0, θ, f, σx, σy, φ, c].
    public var vector: [Double] { [amplitude, x0, y0, theta, frequency, sigmaX, sigmaY, phase, offset] }

    /// θ in degrees.
    public var orientationDegrees: Double { theta * 180 / .pi }

    /// The same Gabor written with A ≥ 0, f ≥ 0, σ > 0, θ ∈ [0, π), φ ∈ (−π, π].
    public func canonical() -> GaborParameters {
        var p = self
        p.sigmaX = abs(p.sigmaX); p.sigmaY = abs(p.sigmaY)
        if p.frequency < 0 { p.frequency = -p.frequency; p.phase = -p.phase }
        if p.amplitude < 0 { p.amplitude = -p.amplitude; p.phase += .pi }
        var t = p.theta.truncatingRemainder(dividingBy: 2 * .pi)
        if t < 0 { t += 2 * .pi }
        if t >= .pi { t -= .pi; p.phase = -p.phase }
        p.theta = min(max(t, 0), .pi.nextDown)
        p.phase = GaborParameters.wrapPhase(p.phase)
        return p
    }

    /// Angle wrapped into (−π, π].
    static func wrapPhase(_ a: Double) -> Double {
        var r = a.truncatingRemainder(dividingBy: 2 * .pi)
        if r <= -.pi { r += 2 * .pi }
        if r > .pi { r -= 2 * .pi }
        return r
    }

    /// The Gabor sampled on an H×W grid, row-major [H, W].
    public func image(height: Int, width: Int) -> [Double] {
        let model = GaborModel(height: height, width: width, data: [Double](repeating: 0, count: height * width))
        var r = [Double](repeating: 0, count: height * width), unused = [Double]()
        model.evaluate(vector, residuals: &r, jacobian: &unused, computeJacobian: false)
        return r
    }
}

/// The least-squares problem "Gabor on an H×W grid minus `data`": residual r = g(p) − data, with the
/// analytic Jacobian ∂g/∂p (parameter order of `GaborParameters.vector`).
public struct GaborModel: LeastSquaresProblem, Sendable {
    public let height: Int
    public let width: Int
    /// Target values, row-major [H, W].
    public let data: [Double]

    public init(height: Int, width: Int, data: [Double]) {
        precondition(data.count == height * width)
        self.height = height; self.width = width; self.data = data
    }

    public var parameterCount: Int { GaborParameters.count }
    public var residualCount: Int { height * width }

    public func evaluate(_ p: [Double], residuals: inout [Double], jacobian: inout [Double], computeJacobian: Bool) {
        let a = p[0], x0 = p[1], y0 = p[2], theta = p[3], f = p[4], sx = p[5], sy = p[6], phi = p[7], c = p[8]
        let ct = cos(theta), st = sin(theta)
        let isx2 = 1 / (sx * sx), isy2 = 1 / (sy * sy)
        let omega = 2 * Double.pi * f
        let n = GaborParameters.count
        if computeJacobian && jacobian.count != residualCount * n {
            jacobian = [Double](repeating: 0, count: residualCount * n)
        }
        for yi in 0..<height {
            let dy = Double(yi) - y0
            for xi in 0..<width {
                let k = yi * width + xi
                let dx = Double(xi) - x0
                let xp = ct * dx + st * dy
                let yp = -st * dx + ct * dy
                let e = exp(-0.5 * (xp * xp * isx2 + yp * yp * isy2))
                let arg = omega * xp + phi
                let co = cos(arg), si = sin(arg)
                let gTerm = a * e * co, sTerm = a * e * si
                residuals[k] = gTerm + c - data[k]
                if computeJacobian {
                    let gx = -xp * isx2 * gTerm - omega * sTerm   // ∂g/∂x′
                    let gy = -yp * isy2 * gTerm                   // ∂g/∂y′
                    let row = k * n
                    jacobian[row + 0] = e * co
                    jacobian[row + 1] = -ct * gx + st * gy
                    jacobian[row + 2] = -st * gx - ct * gy
                    jacobian[row + 3] = yp * gx - xp * gy
                    jacobian[row + 4] = -2 * Double.pi * xp * sTerm
                    jacobian[row + 5] = gTerm * xp * xp * isx2 / sx
                    jacobian[row + 6] = gTerm * yp * yp * isy2 / sy
                    jacobian[row + 7] = -sTerm
                    jacobian[row + 8] = 1
                }
            }
        }
    }

    /// The region where the model is a meaningful Gabor filter, and the fit identifiable:
    /// • envelope widths within [0.5, max(H, W)] pixels (narrower is a single-pixel spike; at the
    ///   upper end the envelope is nearly flat over the filter, i.e. a plane wave);
    /// • envelope centre inside the filter's pixel area, x0 ∈ [−0.5, W − 0.5], y0 ∈ [−0.5, H − 0.5];
    /// • wave vector inside the Nyquist square, |f cos θ| ≤ 0.5 and |f sin θ| ≤ 0.5 cycles/pixel —
    ///   beyond it the sampled carrier equals an aliased one (f and 1 − f are the same grating on
    ///   the pixel grid when θ = 0), so the frequency would not be identifiable;
    /// • everything finite.
    public func isAdmissible(_ p: [Double]) -> Bool {
        guard p.allSatisfy({ $0.isFinite }) else { return false }
        let size = Double(max(height, width))
        let sx = abs(p[5]), sy = abs(p[6])
        guard sx >= GaborModel.minimumSigma, sy >= GaborModel.minimumSigma, sx <= size, sy <= size else { return false }
        guard abs(p[4] * cos(p[3])) <= 0.5 + 1e-12, abs(p[4] * sin(p[3])) <= 0.5 + 1e-12 else { return false }
        return p[1] >= -0.5 && p[1] <= Double(width) - 0.5 && p[2] >= -0.5 && p[2] <= Double(height) - 0.5
    }

    /// Smallest admissible envelope s.d., pixels.
    public static let minimumSigma = 0.5
}

/// Result of fitting one filter.
public struct GaborFit: Sendable {
    /// Canonical parameters, in the filter's own units (A, c) and pixels.
    public let parameters: GaborParameters
    /// 1 − SSE/SST of the fit on the filter (0 for a constant filter).
    public let r2: Double
    /// The fitted Gabor, row-major [H, W].
    public let fitted: [Float]
    public let height: Int
    public let width: Int

    /// R² ≥ threshold.
    public func isGaborLike(threshold: Double = GaborFitter.defaultThreshold) -> Bool { r2 >= threshold }
}

/// Fits of one output channel of a conv weight [Cout, Cin, KH, KW].
public struct ConvFilterGaborFits: Sendable {
    public let outputChannel: Int
    /// One fit per input channel, [Cin].
    public let channels: [GaborFit]
    /// Fit of the filter averaged over input channels (e.g. the luminance filter of an RGB layer).
    public let channelMean: GaborFit
}

public enum GaborFitError: Error, CustomStringConvertible, Equatable {
    case invalidRestarts(Int)
    case invalidThreshold(Double)
    case filterTooSmall(height: Int, width: Int)
    case nonFiniteFilter
    case badWeightShape([Int])

    public var description: String {
        switch self {
        case .invalidRestarts(let r): return "restarts must be at least 1; got \(r)"
        case .invalidThreshold(let t): return "threshold (R² for 'Gabor-like') must be in [0, 1]; got \(t)"
        case .filterTooSmall(let h, let w):
            return "Gabor fitting needs filters of at least \(GaborFitter.minimumSize)×\(GaborFitter.minimumSize) pixels; got \(h)×\(w) (a 9-parameter Gabor fits smaller kernels almost exactly, so R² would mean nothing)"
        case .nonFiniteFilter: return "Gabor fitting: the filter contains NaN or infinite weights"
        case .badWeightShape(let s): return "Gabor fitting expects a conv weight of shape [Cout, Cin, KH, KW]; got \(s)"
        }
    }
}

public struct GaborFitter: Sendable {
    public static let defaultThreshold = 0.7
    /// Smallest filter side accepted.
    public static let minimumSize = 5

    /// Number of Levenberg–Marquardt starts per filter (≥ 1).
    public let restarts: Int
    /// Seed of the jittered starts; fits are reproducible for a given seed.
    public let seed: UInt64
    /// R² at or above which a filter counts as Gabor-like.
    public let threshold: Double
    public var solver = LevenbergMarquardt(maxIterations: 200)

    /// - Throws: `GaborFitError.invalidRestarts` / `.invalidThreshold`.
    public init(restarts: Int = 8, seed: UInt64 = 0, threshold: Double = GaborFitter.defaultThreshold) throws {
        guard restarts >= 1 else { throw GaborFitError.invalidRestarts(restarts) }
        guard threshold.isFinite, threshold >= 0, threshold <= 1 else { throw GaborFitError.invalidThreshold(threshold) }
        self.restarts = restarts; self.seed = seed; self.threshold = threshold
    }

    /// Fits one filter `filter` [H, W] (row-major).
    /// - Throws: `GaborFitError.filterTooSmall` below 5×5, `.nonFiniteFilter` for NaN/∞ weights.
    public func fit(filter: [Float], height: Int, width: Int) throws -> GaborFit {
        precondition(filter.count == height * width, "filter has \(filter.count) values, expected \(height)×\(width)")
        try GaborFitter.check(height: height, width: width)
        guard filter.allSatisfy({ $0.isFinite }) else { throw GaborFitError.nonFiniteFilter }
        var rng = SeededRandom(seed: seed)
        return fit(filter.map(Double.init), height: height, width: width, rng: &rng)
    }

    /// Fits every filter of a conv weight [Cout, Cin, KH, KW]: each input channel separately and
    /// the mean over input channels. Filters are fitted in parallel; filter (o, i) uses the
    /// random stream `SeededRandom.derived(seed:stream: o·(Cin+1) + i)` (i = Cin for the mean), so
    /// results do not depend on scheduling.
    /// - Returns: [Cout] results.
    /// - Throws: `GaborFitError.badWeightShape`, `.filterTooSmall`, `.nonFiniteFilter`.
    public func fit(convWeight weight: Tensor) throws -> [ConvFilterGaborFits] {
        guard weight.rank == 4 else { throw GaborFitError.badWeightShape(weight.shape) }
        let cout = weight.shape[0], cin = weight.shape[1], kh = weight.shape[2], kw = weight.shape[3]
        guard cout > 0, cin > 0 else { throw GaborFitError.badWeightShape(weight.shape) }
        try GaborFitter.check(height: kh, width: kw)
        guard weight.allFinite else { throw GaborFitError.nonFiniteFilter }
        let plane = kh * kw
        let perFilter = cin + 1
        let jobs = cout * perFilter
        var results = [GaborFit?](repeating: nil, count: jobs)
        results.withUnsafeMutableBufferPointer { out in
            let outBase = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: jobs) { job in
                let o = job / perFilter, i = job % perFilter
                if i == cin && cin == 1 { return }   // mean of one channel: reuse that channel's fit
                var filter = [Double](repeating: 0, count: plane)
                if i < cin {
                    let base = (o * cin + i) * plane
                    for k in 0..<plane { filter[k] = Double(weight.data[base + k]) }
                } else {
                    for c in 0..<cin {
                        let base = (o * cin + c) * plane
                        for k in 0..<plane { filter[k] += Double(weight.data[base + k]) }
                    }
                    for k in 0..<plane { filter[k] /= Double(cin) }
                }
                var rng = SeededRandom.derived(seed: seed, stream: UInt64(job))
                outBase[job] = fit(filter, height: kh, width: kw, rng: &rng)
            }
        }
        return (0..<cout).map { o in
            let channels = (0..<cin).map { results[o * perFilter + $0]! }
            let mean = cin == 1 ? channels[0] : results[o * perFilter + cin]!
            return ConvFilterGaborFits(outputChannel: o, channels: channels, channelMean: mean)
        }
    }

    static func check(height: Int, width: Int) throws {
        guard height >= minimumSize, width >= minimumSize else { throw GaborFitError.filterTooSmall(height: height, width: width) }
    }

    // MARK: - Fitting one filter

    /// Fits one validated filter `g` [H, W] (finite, H, W ≥ 5), drawing the jittered starts from
    /// `rng`. `fit(filter:height:width:)` calls this with `SeededRandom(seed: seed)`.
    public func fit(_ g: [Double], height h: Int, width w: Int, rng: inout SeededRandom) -> GaborFit {
        precondition(g.count == h * w && h >= GaborFitter.minimumSize && w >= GaborFitter.minimumSize)
        let m = h * w
        let mean = g.reduce(0, +) / Double(m)
        let sst = g.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let scale = (sst / Double(m)).squareRoot()
        guard sst > 0, scale > 0, scale.isFinite, scale > 1e-12 * max(abs(mean), 1e-300) else {
            // Constant filter: nothing to fit.
            let p = GaborParameters(amplitude: 0, x0: Double(w - 1) / 2, y0: Double(h - 1) / 2, theta: 0,
                                    frequency: 0, sigmaX: 1, sigmaY: 1, phase: 0, offset: mean)
            return GaborFit(parameters: p, r2: 0, fitted: [Float](repeating: Float(mean), count: m), height: h, width: w)
        }
        let z = g.map { ($0 - mean) / scale }        // standardised filter (H, W)
        let model = GaborModel(height: h, width: w, data: z)

        var best: (p: [Double], cost: Double)? = nil
        for start in startingPoints(z, height: h, width: w, rng: &rng) {
            guard model.isAdmissible(start) else { continue }
            let result = solver.minimize(model, from: start)
            if result.cost.isFinite, best == nil || result.cost < best!.cost { best = (result.parameters, result.cost) }
        }
        // Back to the filter's units: g = scale·z + mean.
        var p = GaborParameters(vector: best?.p ?? [0, Double(w - 1) / 2, Double(h - 1) / 2, 0, 0, 1, 1, 0, 0])
        p.amplitude *= scale
        p.offset = p.offset * scale + mean
        p = p.canonical()
        let fittedD = p.image(height: h, width: w)
        var sse = 0.0
        for k in 0..<m { sse += (fittedD[k] - g[k]) * (fittedD[k] - g[k]) }
        return GaborFit(parameters: p, r2: 1 - sse / sst, fitted: fittedD.map { Float($0) }, height: h, width: w)
    }

    /// Starts [A, x0, y0, θ, f, σx, σy, φ, c] for the standardised filter z [H, W].
    func startingPoints(_ z: [Double], height h: Int, width w: Int, rng: inout SeededRandom) -> [[Double]] {
        let size = Double(max(h, w))
        // Peak of the amplitude spectrum on a grid of pad×pad frequencies (the DFT of z zero-padded
        // to pad×pad, pad ≥ 4× the filter size), evaluated separably on the half plane fx ≥ 0 —
        // the other half mirrors it for a real filter. DC is skipped (z has zero mean).
        let pad = max(64, 4 * max(h, w))
        let half = pad / 2 + 1
        func twiddles(_ count: Int, _ length: Int) -> (cos: [Double], sin: [Double]) {   // (count, length)
            var c = [Double](repeating: 0, count: count * length), s = c
            for k in 0..<count { for j in 0..<length {
                let a = -2 * Double.pi * Double((k * j) % pad) / Double(pad)
                c[k * length + j] = cos(a); s[k * length + j] = sin(a)
            } }
            return (c, s)
        }
        let (cosX, sinX) = twiddles(half, w), (cosY, sinY) = twiddles(pad, h)
        var tre = [Double](repeating: 0, count: h * half), tim = tre      // row transforms (H, half)
        for y in 0..<h { for v in 0..<half {
            var sr = 0.0, si = 0.0
            for x in 0..<w { sr += z[y * w + x] * cosX[v * w + x]; si += z[y * w + x] * sinX[v * w + x] }
            tre[y * half + v] = sr; tim[y * half + v] = si
        } }
        var peakU = 0, peakV = 1, peakPower = -1.0
        for u in 0..<pad {
            for v in 0..<half where u != 0 || v != 0 {
                var sr = 0.0, si = 0.0
                for y in 0..<h {
                    let c = cosY[u * h + y], sn = sinY[u * h + y], r = tre[y * half + v], i = tim[y * half + v]
                    sr += c * r - sn * i; si += c * i + sn * r
                }
                let power = sr * sr + si * si
                if power > peakPower { peakPower = power; peakU = u; peakV = v }
            }
        }
        let fy = DFT2D.frequency(peakU, pad), fx = DFT2D.frequency(peakV, pad)
        let f0 = (fx * fx + fy * fy).squareRoot()
        let theta0 = atan2(fy, fx)

        // Envelope centre and spread from the energy z².
        var total = 0.0, cx = 0.0, cy = 0.0
        for y in 0..<h { for x in 0..<w {
            let e = z[y * w + x] * z[y * w + x]
            total += e; cx += e * Double(x); cy += e * Double(y)
        } }
        cx /= total; cy /= total
        func spreads(_ theta: Double) -> (Double, Double) {
            let ct = cos(theta), st = sin(theta)
            var vx = 0.0, vy = 0.0
            for y in 0..<h { for x in 0..<w {
                let e = z[y * w + x] * z[y * w + x]
                let dx = Double(x) - cx, dy = Double(y) - cy
                let xp = ct * dx + st * dy, yp = -st * dx + ct * dy
                vx += e * xp * xp; vy += e * yp * yp
            } }
            let clamp = { (v: Double) in min(max((2 * v / total).squareRoot(), 0.6), size) }
            return (clamp(vx), clamp(vy))
        }

        var starts: [[Double]] = []
        func add(theta: Double, f: Double, x0: Double, y0: Double, sx: Double, sy: Double, phaseOffset: Double = 0) {
            let x0 = min(max(x0, 0), Double(w - 1)), y0 = min(max(y0, 0), Double(h - 1))
            // Wave vector inside the Nyquist square (see GaborModel.isAdmissible).
            let f = min(max(f, 0), 0.5 / max(abs(cos(theta)), abs(sin(theta))))
            let sx = min(max(sx, 0.6), size), sy = min(max(sy, 0.6), size)
            let (a, phi, c) = linearPart(z, height: h, width: w, x0: x0, y0: y0, theta: theta, f: f, sx: sx, sy: sy)
            starts.append([a, x0, y0, theta, f, sx, sy, phi + phaseOffset, c])
        }
        let (sx0, sy0) = spreads(theta0)
        add(theta: theta0, f: f0, x0: cx, y0: cy, sx: sx0, sy: sy0)
        if restarts > 1 {
            let (sxo, syo) = spreads(theta0 + .pi / 2)
            add(theta: theta0 + .pi / 2, f: f0, x0: cx, y0: cy, sx: sxo, sy: syo)
        }
        if restarts > 2 { add(theta: theta0, f: f0 / 2, x0: cx, y0: cy, sx: sx0, sy: sy0) }
        if restarts > 3 { add(theta: theta0, f: f0, x0: cx, y0: cy, sx: sx0, sy: sy0, phaseOffset: .pi / 2) }
        while starts.count < restarts {
            let theta = theta0 + 0.3 * rng.normal()
            let (sx, sy) = spreads(theta)
            add(theta: theta, f: f0 * exp(0.3 * rng.normal()),
                x0: cx + rng.normal(), y0: cy + rng.normal(),
                sx: sx * exp(0.3 * rng.normal()), sy: sy * exp(0.3 * rng.normal()),
                phaseOffset: rng.uniform(-Double.pi / 2, Double.pi / 2))
        }
        return starts
    }

    /// Given the nonlinear parameters, the least-squares A ≥ 0, φ and c: z ≈ a·E cos(2πf x′) −
    /// b·E sin(2πf x′) + c with a = A cos φ, b = A sin φ (a 3×3 normal-equation solve).
    func linearPart(_ z: [Double], height h: Int, width w: Int, x0: Double, y0: Double, theta: Double,
                    f: Double, sx: Double, sy: Double) -> (a: Double, phi: Double, c: Double) {
        let ct = cos(theta), st = sin(theta)
        var ata = [Double](repeating: 0, count: 9), atb = [Double](repeating: 0, count: 3)
        for y in 0..<h { for x in 0..<w {
            let dx = Double(x) - x0, dy = Double(y) - y0
            let xp = ct * dx + st * dy, yp = -st * dx + ct * dy
            let e = exp(-0.5 * (xp * xp / (sx * sx) + yp * yp / (sy * sy)))
            let basis = [e * cos(2 * .pi * f * xp), -e * sin(2 * .pi * f * xp), 1]
            for i in 0..<3 {
                atb[i] += basis[i] * z[y * w + x]
                for j in 0..<3 { ata[i * 3 + j] += basis[i] * basis[j] }
            }
        } }
        for i in 0..<3 { ata[i * 3 + i] += 1e-9 * (1 + ata[i * 3 + i]) }   // keeps a sine basis that vanishes (f = 0) solvable
        guard let c = try? LAPACK.choleskySolve(ata, atb, n: 3), c.allSatisfy(\.isFinite) else { return (1, 0, 0) }
        return ((c[0] * c[0] + c[1] * c[1]).squareRoot(), atan2(c[1], c[0]), c[2])
    }
}
