// Identifiability (seed 000, "模型的可辨识性"): two fits of the same architecture compared modulo
// the symmetries that leave a CNN's function unchanged — a permutation of a layer's channels (undone
// on the next layer's input channels) and a positive rescaling of a channel (ReLU is positively
// homogeneous; batch-norm removes any scale of its input).
//
// Layer by layer, for l = 1…L (the conv layers of the core):
//   1. B's weights have their INPUT channels reordered by the assignment of layer l−1 (layer 1: the
//      image channels, unchanged), so that filter o of A and filter o′ of B read the same features,
//      and multiplied by that channel's scale ratio ρ_c (how much larger B's matched channel c is than
//      A's: the ratio of the norms of (w, bias) of the two convs' filters, or of (γ, β) when a
//      batch-norm follows, which removes the conv's scale), undoing the rescaling symmetry;
//   2. similarity s(o, o′) = |r(w_A[o], w_B[o′])|, r the Pearson correlation of the flattened filters
//      (Cin·K·K values): invariant to a filter's scale (the rescaling symmetry) and, by the absolute
//      value, to its sign (a flipped filter is reported with sign −1; with batch-norm or ReLU a sign
//      flip is not an exact symmetry, which is why the sign is printed);
//   3. the one-to-one assignment maximising Σ s is found by the Hungarian algorithm
//      (LinearAssignment); it is carried to the batch-norm after the conv (γ, β of matched channels)
//      and to the next layer's input channels;
// and the readout's feature weights [U, C] of B have their channels reordered by the last layer's
// assignment and multiplied by its ρ before they are compared per unit with A's (Pearson r over
// channels). For an exact permuted and rescaled copy every similarity is then 1.
// Predictions: both models' predicted means on the same raw stimuli (each with its own
// preprocessing), compared per unit (Pearson r, mean absolute difference relative to the mean rate).
// Non-identifiability shows as predictions that agree while filters do not.
import Foundation
import Tensors
import ConvEngine
import Encoding

public struct FilterMatch: Codable, Equatable, Sendable {
    /// Channel of model A and the channel of model B assigned to it.
    public var a: Int
    public var b: Int
    /// |Pearson r| of the two filters (input channels of B reordered by the previous assignment).
    public var similarity: Double
    /// Sign of r (+1 or −1; +1 when the correlation is 0).
    public var sign: Int
}

public struct LayerComparison: Codable, Equatable, Sendable {
    public var layer: String
    public var channels: Int
    public var matches: [FilterMatch]
    public var meanSimilarity: Double
    /// Matched pairs with similarity ≥ threshold, over channels.
    public var fractionMatched: Double
    /// Pearson r across channels of the following batch-norm's γ and β, B reordered by the
    /// assignment (nil without batch-norm, NaN when one side is constant).
    public var batchNormGammaCorrelation: Double?
    public var batchNormBetaCorrelation: Double?

    enum CodingKeys: String, CodingKey {
        case layer, channels, matches
        case meanSimilarity = "mean_similarity", fractionMatched = "fraction_matched"
        case batchNormGammaCorrelation = "batchnorm_gamma_correlation", batchNormBetaCorrelation = "batchnorm_beta_correlation"
    }
}

public struct PredictionAgreement: Codable, Equatable, Sendable {
    public var stimuli: Int
    /// [U] Pearson r between the two models' predicted means (NaN for a constant prediction).
    public var correlation: [Double]
    /// [U] mean |μ_A − μ_B| / mean((μ_A + μ_B)/2).
    public var relativeDifference: [Double]
    public var maxAbsoluteDifference: Double
    public var meanCorrelation: Double

    enum CodingKeys: String, CodingKey {
        case stimuli, correlation
        case relativeDifference = "relative_difference", maxAbsoluteDifference = "max_abs_difference"
        case meanCorrelation = "mean_correlation"
    }
}

public struct ModelComparisonReport: Codable, Equatable, Sendable {
    public var threshold: Double
    public var layers: [LayerComparison]
    /// [U] Pearson r over channels of the readout feature weights (B reordered by the last layer's
    /// assignment).
    public var readoutFeatureCorrelation: [Double]
    public var predictions: PredictionAgreement?

    enum CodingKeys: String, CodingKey {
        case threshold, layers, predictions
        case readoutFeatureCorrelation = "readout_feature_correlation"
    }
}

public enum ModelComparisonError: Error, CustomStringConvertible, Equatable {
    case incompatible(String)
    case invalidOption(option: AnalysisParameter, reason: String)
    public var description: String {
        switch self {
        case .incompatible(let s): return "the models cannot be compared: \(s)"
        case .invalidOption(let o, let r): return "\(o): \(r)"
        }
    }
}

public enum ModelComparison {
    /// Default similarity at or above which a matched pair counts as the same filter.
    public static let defaultThreshold = 0.9

    /// Pearson r of two equal-length vectors; NaN when either is constant.
    public static func correlation(_ a: [Double], _ b: [Double]) -> Double { Scores.pearson(a, b) ?? .nan }

    /// Matches the conv layers and the readout of two encoders of the same architecture.
    /// - Throws: `ModelComparisonError.incompatible` when the conv layers' shapes or the readouts differ,
    ///   `.invalidOption` for a threshold outside [0, 1].
    public static func compare(_ a: NeuralEncoder, _ b: NeuralEncoder, threshold: Double = defaultThreshold) throws -> ModelComparisonReport {
        guard threshold >= 0, threshold <= 1 else {
            throw ModelComparisonError.invalidOption(option: .similarityThreshold, reason: "must be in [0, 1], got \(threshold)")
        }
        let convA = a.core.layers.compactMap { $0 as? Conv2D }, convB = b.core.layers.compactMap { $0 as? Conv2D }
        guard !convA.isEmpty else { throw ModelComparisonError.incompatible("model A has no convolution layer") }
        guard convA.count == convB.count else {
            throw ModelComparisonError.incompatible("model A has \(convA.count) conv layers, model B \(convB.count)")
        }
        for (ca, cb) in zip(convA, convB) where ca.weight.value.shape != cb.weight.value.shape {
            throw ModelComparisonError.incompatible("\(ca.name) has weights \(ca.weight.value.shape) in A and \(cb.weight.value.shape) in B")
        }
        var previous: [Int]? = nil   // assignment of the previous layer: A channel i ↔ B channel previous[i]
        var rho: [Double]? = nil      // B's channel previous[i] ≈ rho[i] · A's channel i
        var layers: [LayerComparison] = []
        for (ca, cb) in zip(convA, convB) {
            let s = ca.weight.value.shape, cout = s[0], cin = s[1], plane = s[2] * s[3]
            func filterA(_ o: Int) -> [Double] { (0..<(cin * plane)).map { Double(ca.weight.value.data[o * cin * plane + $0]) } }
            func filterB(_ o: Int) -> [Double] {
                var out = [Double](repeating: 0, count: cin * plane)
                for c in 0..<cin {
                    let src = previous?[c] ?? c, scale = rho?[c] ?? 1
                    for k in 0..<plane { out[c * plane + k] = scale * Double(cb.weight.value.data[(o * cin + src) * plane + k]) }
                }
                return out
            }
            let fa = (0..<cout).map(filterA), fb = (0..<cout).map(filterB)
            var r = [[Double]](repeating: [Double](repeating: 0, count: cout), count: cout)
            for i in 0..<cout { for j in 0..<cout { let v = correlation(fa[i], fb[j]); r[i][j] = v.isNaN ? 0 : v } }
            let assignment = LinearAssignment.maximise(r.map { $0.map(abs) })!
            let matches = (0..<cout).map { i in
                FilterMatch(a: i, b: assignment[i], similarity: abs(r[i][assignment[i]]), sign: r[i][assignment[i]] < 0 ? -1 : 1)
            }
            var layer = LayerComparison(layer: ca.name, channels: cout, matches: matches,
                                        meanSimilarity: matches.map(\.similarity).reduce(0, +) / Double(cout),
                                        fractionMatched: Double(matches.filter { $0.similarity >= threshold }.count) / Double(cout))
            // The batch-norm that follows this conv (named bnK for convK), carried by the assignment.
            let bnName = "bn" + ca.name.dropFirst(4)
            func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
            var scale: [Double]
            if let bnA = a.core.layer(named: bnName) as? BatchNorm2D, let bnB = b.core.layer(named: bnName) as? BatchNorm2D {
                let ga = bnA.weight.value.data.map(Double.init), ba = bnA.bias.value.data.map(Double.init)
                let gb = assignment.map { Double(bnB.weight.value.data[$0]) }, bb = assignment.map { Double(bnB.bias.value.data[$0]) }
                layer.batchNormGammaCorrelation = correlation(ga, gb)
                layer.batchNormBetaCorrelation = correlation(ba, bb)
                scale = (0..<cout).map { i in norm([gb[i], bb[i]]) / norm([ga[i], ba[i]]) }
            } else {
                scale = (0..<cout).map { i in
                    let j = assignment[i]
                    let na = norm(fa[i] + [ca.bias.map { Double($0.value.data[i]) } ?? 0])
                    let nb = norm(fb[j] + [cb.bias.map { Double($0.value.data[j]) } ?? 0])
                    return nb / na
                }
            }
            scale = scale.map { $0.isFinite && $0 > 0 ? $0 : 1 }
            layers.append(layer)
            previous = assignment
            rho = scale
        }
        // Readout feature weights [U, C].
        func features(_ e: NeuralEncoder) throws -> Tensor {
            if let r = e.readout as? FactorizedReadout { return r.features.value }
            if let r = e.readout as? GaussianReadout { return r.features.value }
            if let r = e.readout as? FullLinearReadout {
                // [U, C·H·W] → per channel, the summed weight over positions.
                let u = r.units, c = r.channels, hw = r.height * r.width
                var t = Tensor(shape: [u, c])
                for j in 0..<u { for k in 0..<c { for p in 0..<hw { t.data[j * c + k] += r.weight.value.data[j * c * hw + k * hw + p] } } }
                return t
            }
            throw ModelComparisonError.incompatible("unsupported readout \(type(of: e.readout))")
        }
        guard type(of: a.readout) == type(of: b.readout) else {
            throw ModelComparisonError.incompatible("readouts differ (\(type(of: a.readout)) and \(type(of: b.readout)))")
        }
        let fa = try features(a), fb = try features(b)
        guard fa.shape == fb.shape else {
            throw ModelComparisonError.incompatible("readout features are \(fa.shape) in A and \(fb.shape) in B")
        }
        let u = fa.shape[0], c = fa.shape[1], last = previous!, lastScale = rho!
        let readout = (0..<u).map { j in
            correlation((0..<c).map { Double(fa.data[j * c + $0]) }, (0..<c).map { lastScale[$0] * Double(fb.data[j * c + last[$0]]) })
        }
        return ModelComparisonReport(threshold: threshold, layers: layers, readoutFeatureCorrelation: readout, predictions: nil)
    }

    /// Agreement of two prediction matrices [S, U] (row-major).
    public static func agreement(_ a: [Double], _ b: [Double], stimuli s: Int, units u: Int) -> PredictionAgreement {
        precondition(a.count == s * u && b.count == s * u)
        var corr: [Double] = [], rel: [Double] = []
        var maxAbs = 0.0
        let ma = ResponseMatrix(rows: s, columns: u, values: a), mb = ResponseMatrix(rows: s, columns: u, values: b)
        for j in 0..<u {
            let ca = ma.column(j), cb = mb.column(j)
            corr.append(correlation(ca, cb))
            var diff = 0.0, mean = 0.0
            for i in 0..<s { diff += abs(ca[i] - cb[i]); mean += (ca[i] + cb[i]) / 2; maxAbs = max(maxAbs, abs(ca[i] - cb[i])) }
            rel.append(mean != 0 ? diff / abs(mean) : (diff == 0 ? 0 : .infinity))
        }
        let finite = corr.filter(\.isFinite)
        return PredictionAgreement(stimuli: s, correlation: corr, relativeDifference: rel, maxAbsoluteDifference: maxAbs,
                                   meanCorrelation: finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count))
    }
}
