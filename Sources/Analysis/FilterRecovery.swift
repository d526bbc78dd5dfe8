// Do a fitted model's first-layer filters recover the Gabors that generated a simulation (seed 000:
// Gabor-like first layers; seed 003: looking at the filters)? Given the Gabor fits of the filters
// (FirstLayerGabor) and the generating cells' orientation θ and frequency f (`/ground_truth`), a
// filter RECOVERS a cell when
//     it is Gabor-like (R² ≥ the fit's threshold, default 0.7),
//     |θ_filter − θ_cell| ≤ 10° modulo 180° (a filter and its negative have the same orientation), and
//     |f_filter / f_cell − 1| ≤ 0.2.
// Only filters that carry readout weight count: with a single conv layer read directly by the
// readout, channel c's weight is w_c = max_u |feature[u, c]| · Σ_s |mask[u, s]| (factorized readout;
// |feature[u, c]| for the Gaussian readout; Σ over positions of |weight| for the full linear one),
// and c carries weight when w_c ≥ 0.1 · max_c w_c. With more than one conv layer the first layer is
// not read by the readout and every filter counts.
import Foundation
import Tensors
import ConvEngine
import Encoding

public struct GeneratingCell: Codable, Equatable, Sendable {
    public var unit: Int
    public var type: String
    /// Radians, wave-vector direction (the simulator's and the Gabor fit's convention).
    public var orientation: Double
    /// Cycles/pixel.
    public var frequency: Double
    public init(unit: Int, type: String, orientation: Double, frequency: Double) {
        self.unit = unit; self.type = type; self.orientation = orientation; self.frequency = frequency
    }
}

public struct FilterRecoveryRow: Codable, Equatable, Sendable {
    public var filter: Int
    public var readoutWeight: Double?
    public var carriesWeight: Bool
    public var gaborLike: Bool
    public var r2: Double
    /// The generating cell nearest in max(|Δθ|/10°, |f ratio − 1|/0.2); nil when there are none.
    public var nearestCell: Int?
    public var orientationDifferenceDegrees: Double?
    public var frequencyRatio: Double?
    public var recovers: Bool

    enum CodingKeys: String, CodingKey {
        case filter, r2, recovers
        case readoutWeight = "readout_weight", carriesWeight = "carries_weight", gaborLike = "gabor_like"
        case nearestCell = "nearest_cell", orientationDifferenceDegrees = "orientation_difference_deg", frequencyRatio = "frequency_ratio"
    }
}

public struct FilterRecoveryReport: Codable, Equatable, Sendable {
    public var orientationToleranceDegrees: Double
    public var frequencyTolerance: Double
    public var weightFraction: Double
    public var cells: [GeneratingCell]
    public var filters: [FilterRecoveryRow]
    /// Filters that carry readout weight.
    public var weighted: Int
    /// Of those, how many recover a cell.
    public var recovered: Int
    public var fractionRecovered: Double
    /// Distinct generating cells recovered by at least one weighted filter.
    public var cellsRecovered: Int

    enum CodingKeys: String, CodingKey {
        case cells, filters, weighted, recovered
        case orientationToleranceDegrees = "orientation_tolerance_deg", frequencyTolerance = "frequency_tolerance"
        case weightFraction = "weight_fraction", fractionRecovered = "fraction_recovered", cellsRecovered = "cells_recovered"
    }
}

public enum FilterRecovery {
    /// Per-channel readout weight of the first conv layer's channels, nil when the readout does not
    /// read that layer (more than one conv layer).
    public static func readoutWeights(_ encoder: NeuralEncoder) -> [Double]? {
        guard encoder.core.layers.filter({ $0 is Conv2D }).count == 1 else { return nil }
        if let r = encoder.readout as? FactorizedReadout {
            let u = r.units, c = r.channels, s = r.height * r.width
            return (0..<c).map { k in
                (0..<u).map { j in
                    Double(abs(r.features.value.data[j * c + k])) * (0..<s).reduce(0.0) { $0 + Double(abs(r.mask.value.data[j * s + $1])) }
                }.max() ?? 0
            }
        }
        if let r = encoder.readout as? GaussianReadout {
            let u = r.units, c = r.channels
            return (0..<c).map { k in (0..<u).map { Double(abs(r.features.value.data[$0 * c + k])) }.max() ?? 0 }
        }
        if let r = encoder.readout as? FullLinearReadout {
            let u = r.units, c = r.channels, hw = r.height * r.width
            return (0..<c).map { k in
                (0..<u).map { j in (0..<hw).reduce(0.0) { $0 + Double(abs(r.weight.value.data[j * c * hw + k * hw + $1])) } }.max() ?? 0
            }
        }
        return nil
    }

    /// Orientation difference in degrees, modulo 180°, in [0, 90].
    public static func orientationDifference(_ a: Double, _ b: Double) -> Double {
        var d = abs(a - b).truncatingRemainder(dividingBy: .pi)
        if d > .pi / 2 { d = .pi - d }
        return d * 180 / .pi
    }

    public static func evaluate(gabor: FirstLayerGaborReport, cells: [GeneratingCell], readoutWeights: [Double]?,
                                orientationTolerance: Double = 10, frequencyTolerance: Double = 0.2,
                                weightFraction: Double = 0.1) -> FilterRecoveryReport {
        let top = readoutWeights?.max() ?? 0
        var rows: [FilterRecoveryRow] = []
        var hit = Set<Int>()
        for f in gabor.filters {
            let w = readoutWeights?[f.index]
            let carries = w.map { top > 0 && $0 >= weightFraction * top } ?? true
            var best: (cell: Int, score: Double, dTheta: Double, ratio: Double)? = nil
            for c in cells where c.frequency > 0 {
                let dTheta = orientationDifference(f.theta, c.orientation), ratio = f.frequency / c.frequency
                let score = max(dTheta / orientationTolerance, abs(ratio - 1) / frequencyTolerance)
                if best == nil || score < best!.score { best = (c.unit, score, dTheta, ratio) }
            }
            let recovers = f.gaborLike && (best.map { $0.dTheta <= orientationTolerance && abs($0.ratio - 1) <= frequencyTolerance } ?? false)
            if recovers && carries, let b = best { hit.insert(b.cell) }
            rows.append(FilterRecoveryRow(filter: f.index, readoutWeight: w.map { top > 0 ? $0 / top : 0 }, carriesWeight: carries,
                                          gaborLike: f.gaborLike, r2: f.r2, nearestCell: best?.cell,
                                          orientationDifferenceDegrees: best?.dTheta, frequencyRatio: best?.ratio, recovers: recovers))
        }
        let weighted = rows.filter(\.carriesWeight), recovered = weighted.filter(\.recovers).count
        return FilterRecoveryReport(orientationToleranceDegrees: orientationTolerance, frequencyTolerance: frequencyTolerance,
                                    weightFraction: weightFraction, cells: cells, filters: rows, weighted: weighted.count,
                                    recovered: recovered,
                                    fractionRecovered: weighted.isEmpty ? .nan : Double(recovered) / Double(weighted.count),
                                    cellsRecovered: hit.count)
    }
}
