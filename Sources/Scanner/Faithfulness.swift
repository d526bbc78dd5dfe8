// Deletion / insertion faithfulness of an attribution map (Samek et al. 2017, "AOPC"; Petsiuk
// et al. 2018, insertion), for one stimulus x [C, H, W] and one model output f (a recorded unit):
//
//   order   pixel positions (h, w) by attribution, largest first (ties: lower index first); a
//           pixel is all C channels at one position;
//   steps   L steps: after step k the top ⌈k·HW/L⌉ positions are changed, k = 0…L;
//   deletion   x_k = x with those positions set to the baseline b;  AOPC_del = (1/(L+1)) Σ_k (f(x) − f(x_k))
//   insertion  x_k = b with those positions set to x;              AOPC_ins = (1/(L+1)) Σ_k (f(x_k) − f(b))
//
// Both are larger for a more faithful map (removing what the map calls important hurts the
// output fast; inserting it restores it fast). The model is any batch function [B, C, H, W] → [B];
// the L + 1 perturbed images are evaluated in batches of `batchSize`.
import Foundation
import Tensors

public struct FaithfulnessCurves: Sendable, Codable, Equatable {
    /// Fraction of pixel positions changed at each step [L + 1], 0…1.
    public let fractions: [Double]
    /// f(x_k) along the deletion path [L + 1].
    public let deletion: [Double]
    /// f(x_k) along the insertion path [L + 1].
    public let insertion: [Double]
    public let deletionAOPC: Double
    public let insertionAOPC: Double
}

public enum Faithfulness {
    /// Position order (largest attribution first) of a [H·W] map; ties keep the lower index first.
    public static func order(_ attribution: [Float]) -> [Int] {
        attribution.indices.sorted { a, b in
            attribution[a] != attribution[b] ? attribution[a] > attribution[b] : a < b
        }
    }

    /// - Parameters:
    ///   - stimulus: x [C, H, W] (or [1, C, H, W]).
    ///   - attribution: one value per position [H·W] (sum over channels of a [C, H, W] map).
    ///   - baseline: b, same shape as the stimulus.
    ///   - steps: L ≥ 1.
    ///   - model: batch [B, C, H, W] → outputs [B].
    public static func curves(stimulus: Tensor, attribution: [Float], baseline: Tensor, steps: Int, batchSize: Int = 32,
                              model: (Tensor) throws -> [Float]) throws -> FaithfulnessCurves {
        let s = stimulus.rank == 4 ? Array(stimulus.shape.dropFirst()) : stimulus.shape
        precondition(s.count == 3 && s.product == stimulus.count, "faithfulness: stimulus must be [C, H, W], got \(stimulus.shape)")
        precondition(baseline.count == stimulus.count, "faithfulness: baseline \(baseline.shape) ≠ stimulus \(stimulus.shape)")
        let (c, hw) = (s[0], s[1] * s[2])
        guard attribution.count == hw else {
            throw ScannerError.invalidOption(option: .attribution, reason: "has \(attribution.count) values, expected one per pixel position (\(hw))")
        }
        guard steps >= 1 else { throw ScannerError.invalidOption(option: .steps, reason: "must be at least 1, got \(steps)") }
        let ord = order(attribution)
        let counts = (0...steps).map { k in Int((Double(k * hw) / Double(steps)).rounded(.up)) }
        func path(from start: Tensor, to end: Tensor) throws -> [Double] {
            var values: [Double] = []
            var k0 = 0
            while k0 <= steps {
                let k1 = min(steps + 1, k0 + batchSize)
                var batch = Tensor(shape: [k1 - k0, c, s[1], s[2]])
                for k in k0..<k1 {
                    var img = start.data
                    for p in ord.prefix(counts[k]) { for ch in 0..<c { img[ch * hw + p] = end.data[ch * hw + p] } }
                    for i in 0..<img.count { batch.data[(k - k0) * img.count + i] = img[i] }
                }
                let out = try model(batch)
                precondition(out.count == k1 - k0, "faithfulness: model returned \(out.count) values for \(k1 - k0) images")
                values += out.map(Double.init)
                k0 = k1
            }
            return values
        }
        let del = try path(from: stimulus, to: baseline)
        let ins = try path(from: baseline, to: stimulus)
        let n = Double(steps + 1)
        let fx = del[0], fb = ins[0]
        return FaithfulnessCurves(fractions: counts.map { Double($0) / Double(hw) }, deletion: del, insertion: ins,
                                  deletionAOPC: del.reduce(0) { $0 + (fx - $1) } / n,
                                  insertionAOPC: ins.reduce(0) { $0 + ($1 - fb) } / n)
    }
}
