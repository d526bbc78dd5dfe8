// Faithfulness of every attribution method on the same model, target and stimuli: deletion and
// insertion AOPC (Faithfulness.swift) per stimulus, averaged. A seeded random ordering is scored
// alongside as the chance level a useful map must beat.
import Foundation
import Tensors

public struct FaithfulnessSummary: Sendable, Codable, Equatable {
    /// Method name (AttributionMethod raw value, or "random").
    public let method: String
    /// Mean over stimuli of AOPC_del and AOPC_ins.
    public let deletionAOPC: Double
    public let insertionAOPC: Double
    /// Per stimulus [N].
    public let deletionPerStimulus: [Double]
    public let insertionPerStimulus: [Double]
}

extension ScanNetwork {
    /// Scores `methods` (and a random ordering when `includeRandom`) on stimuli x [N, C, H, W] for
    /// target `t`, with `steps` deletion/insertion steps towards a constant `baseline`.
    public func compareFaithfulness(_ x: Tensor, target t: ScanTarget, methods: [AttributionMethod],
                                    settings: AttributionSettings = AttributionSettings(), steps: Int = 20,
                                    includeRandom: Bool = true, seed: UInt64 = 0) throws -> [FaithfulnessSummary] {
        try validate(stimuli: x)
        try check(t)
        let n = x.shape[0], hw = inputShape[1] * inputShape[2], img = inputShape.product
        var maps: [(String, Tensor)] = []
        for m in methods { maps.append((m.rawValue, try attribution(m, x, target: t, settings: settings))) }
        if includeRandom {
            var rng = SeededRandom(seed: seed)
            maps.append(("random", Tensor(shape: [n, inputShape[1], inputShape[2]], data: (0..<(n * hw)).map { _ in Float(rng.uniform()) })))
        }
        var out: [FaithfulnessSummary] = []
        for (name, map) in maps {
            var del: [Double] = [], ins: [Double] = []
            for i in 0..<n {
                let xi = Tensor(shape: inputShape, data: Array(x.data[(i * img)..<((i + 1) * img)]))
                let c = try Faithfulness.curves(stimulus: xi, attribution: Array(map.data[(i * hw)..<((i + 1) * hw)]),
                                                baseline: Tensor(shape: inputShape, repeating: settings.baseline), steps: steps,
                                                batchSize: settings.batchSize) { batch in
                    try targetValues(batch, target: t, batchSize: settings.batchSize)
                }
                del.append(c.deletionAOPC); ins.append(c.insertionAOPC)
            }
            out.append(FaithfulnessSummary(method: name, deletionAOPC: ScanStatistics.mean(del), insertionAOPC: ScanStatistics.mean(ins),
                                           deletionPerStimulus: del, insertionPerStimulus: ins))
        }
        return out
    }
}
