// The fraction of the achievable log-likelihood gain, (LL_fit − LL_null)/(LL_true − LL_null), per
// simulated cell type, for scoring against the ground truth and for the demo (the CLI prints it as a table).
import Foundation
import NeuralData

public struct GainByType: Sendable {
    /// gains[cell type][model name]: the fraction of the achievable gain on the scored split.
    public private(set) var gains: [String: [String: Double]] = [:]
    /// The model names, in the order given.
    public let models: [String]

    /// `named`: (name, score on `split`) per model; `truth`: the generating model's score on the
    /// same split. Empty when there is no truth or the dataset has no unit types.
    public init(dataset: Dataset, split: Split = .test, models named: [(String, ScoreReport)], truth: ScoreReport?) {
        models = named.map { $0.0 }
        guard let truth = truth, let types = dataset.unitTypes else { return }
        // bits/spike_u = (LL_u − LL_null,u)/(n_spikes,u ln 2) on the same test spikes for every
        // model, so bits/spike_u · n_spikes,u is the log-likelihood gain (÷ ln 2) of unit u.
        let u = dataset.unitCount
        var spikes = [Double](repeating: 0, count: u)
        let responses = dataset.responseMatrix
        for t in dataset.trials(in: split) { for (j, y) in responses.row(t).enumerated() { spikes[j] += Double(y) } }
        for type in Set(types).sorted() {
            let units = types.indices.filter { types[$0] == type }
            func sum(_ r: ScoreReport) -> Double { units.reduce(0) { $0 + (r.bitsPerSpike.perUnit[$1] ?? .nan) * spikes[$1] } }
            let t = sum(truth)
            var g: [String: Double] = [:]
            for (name, r) in named { g[name] = sum(r) / t }
            gains[type] = g
        }
    }
}
