// The generating parameters a simulated file carries under /ground_truth, and the log-likelihood
// of the true model on held-out trials: the ceiling any fitted model can reach on that file.
//
// Layout written by the simulator (U units, N stimuli, H × W pixels, K v2 subunits):
//   unit_type [U] strings ("simple", "complex", "v2", "voxel"); rates [N, U] (true mean response per
//   stimulus); noise_std [U] (Gaussian noise of voxels, 0 for spiking units); filters [U, H, W]
//   (even Gabor of simple/complex units); filters_quadrature [U, H, W]; per-unit parameter vectors
//   orientation, frequency, sigma, phase, x0, y0, gain, baseline, threshold; subunits [U, K, 6].
import Foundation
import Tensors

public struct GroundTruth {
    /// [U]: "simple", "complex", "v2" or "voxel".
    public let unitTypes: [String]
    /// [N, U]: the true mean response of each unit to each stimulus (spikes per trial for spiking
    /// units, signal amplitude for voxels), when present.
    public let rates: [Float]?
    /// [U]: standard deviation of the Gaussian noise of voxels (0 for Poisson units), when present.
    public let noiseStd: [Float]?
    /// Every numeric array under the group, by name (e.g. "filters" [U, H, W], "orientation" [U]).
    public let arrays: [String: Tensor]

    public init(unitTypes: [String], rates: [Float]?, noiseStd: [Float]?, arrays: [String: Tensor]) {
        self.unitTypes = unitTypes; self.rates = rates; self.noiseStd = noiseStd; self.arrays = arrays
    }

    /// [U, H, W] even filters of simple and complex units (zeros for the others), when present.
    public var filters: Tensor? { arrays["filters"] }

    static func read(_ h5: HDF5File, group: String, stimulusCount n: Int, unitCount u: Int, availableMemory: Int) throws -> GroundTruth {
        let file = h5.path
        var arrays: [String: Tensor] = [:]
        var types: [String] = []
        for name in h5.children(of: group) {
            let path = group + "/" + name
            if h5.isGroup(path) { continue }
            let info = try Dataset.read(file, path) { try h5.info(path) }
            if info.type == .string {
                if name == "unit_type" { types = try Dataset.read(file, path) { try h5.readStrings(path) } }
                continue
            }
            guard info.type.isNumeric else { continue }
            // Saturating element count: a declared shape may overflow Int.
            let count = info.shape.reduce(1) { acc, d in
                let r = acc.multipliedReportingOverflow(by: d); return r.overflow ? Int.max : r.partialValue
            }
            if count > availableMemory / 4 {
                throw DatasetError.tooLarge(file: file, path: path, bytes: count > Int.max / 4 ? Int.max : count * 4, availableBytes: availableMemory)
            }
            arrays[name] = try Dataset.read(file, path) { try h5.readTensor(path) }
        }
        if !types.isEmpty && types.count != u {
            throw DatasetError.shapeMismatch(file: file, path: group + "/unit_type", problem: "has \(types.count) entries but there are \(u) units")
        }
        if let r = arrays["rates"], r.shape != [n, u] {
            throw DatasetError.shapeMismatch(file: file, path: group + "/rates",
                                             problem: "has shape \(DatasetError.shape(r.shape)); expected [\(n), \(u)] (stimuli × units)")
        }
        if let s = arrays["noise_std"], s.shape != [u] {
            throw DatasetError.shapeMismatch(file: file, path: group + "/noise_std", problem: "has shape \(DatasetError.shape(s.shape)); expected [\(u)]")
        }
        return GroundTruth(unitTypes: types, rates: arrays["rates"]?.data, noiseStd: arrays["noise_std"]?.data, arrays: arrays)
    }

    /// Mean log-likelihood per observation (nats; one observation = one trial × one unit) of the
    /// true model on the trials of `split`: Poisson `y log λ − λ − log Γ(y+1)` for spiking units,
    /// Gaussian `−½ log(2πσ²) − (y − μ)²/(2σ²)` for voxels (σ = noise_std). Nil when the file lacks
    /// the rates, or a voxel lacks its noise level.
    public func logLikelihood(on dataset: Dataset, split: Split = .test) -> Double? {
        perUnitLogLikelihood(on: dataset, split: split).map { v in v.reduce(0, +) / Double(max(1, v.count)) }
    }

    /// Per unit [U]: the mean log-likelihood per trial of the true model on the trials of `split`.
    public func perUnitLogLikelihood(on dataset: Dataset, split: Split = .test) -> [Double]? {
        guard let rates = rates, rates.count == dataset.stimulusCount * dataset.unitCount else { return nil }
        let u = dataset.unitCount
        let trials = dataset.trials(in: split)
        guard !trials.isEmpty else { return nil }
        let responses = dataset.responseMatrix
        let trueRates = ResponseMatrix(rows: dataset.stimulusCount, columns: u, values: rates)
        var total = [Double](repeating: 0, count: u)
        for j in 0..<u {
            let gaussian = unitTypes.count == u ? unitTypes[j] == "voxel" : dataset.modality == .fmri
            let sigma = Double(noiseStd?[j] ?? 0)
            if gaussian && !(sigma > 0) { return nil }
            var s = 0.0
            for t in trials {
                let y = Double(responses[t, j])
                let mu = Double(trueRates[dataset.stimulusIndex[t], j])
                if gaussian {
                    let r = y - mu
                    s += -0.5 * Foundation.log(2 * Double.pi * sigma * sigma) - r * r / (2 * sigma * sigma)
                } else {
                    // A true rate of 0 with a zero count has likelihood 1; clamp λ only inside log.
                    s += (y > 0 ? y * Foundation.log(max(mu, 1e-300)) : 0) - mu - Foundation.lgamma(y + 1)
                }
            }
            total[j] = s / Double(trials.count)
        }
        return total
    }
}
