// receptive identify MODEL DATA: image identification from held-out response patterns
// (Kay et al. 2008), by correlation and by Gaussian likelihood (Analysis/ImageIdentification.swift).
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Analysis
import Report

struct IdentifyCommand: ParsableCommand, WithThreadsOption, WithJSONFlag {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Image identification: which candidate image each held-out response pattern came from.",
        discussion: """
        For each test stimulus, its repeat-averaged response pattern is compared with the model's \
        predicted pattern of every candidate image: by Pearson correlation over targets, and by the \
        Gaussian log-likelihood with per-target variances (ridge: cross-validated residual variance; \
        CNN/GLM: variance of the training residuals). Accuracy among --set-size candidates (default: \
        all test stimuli), chance 1/N, and the curve over set sizes. JSON keys: accuracy {correlation, \
        gaussian}, chance, set_size, curve [{set_size, chance, correlation, gaussian}], stimuli, units.
        Example: receptive identify voxels-ridge.h5 data/voxels.h5 --json
        """)

    @Argument(help: "The model file (ridge, CNN or GLM).") var model: String
    @Argument(help: "The HDF5 dataset file.") var data: String
    @Option(name: .customLong("set-size"), help: "Candidates per identification (2 … test stimuli; default all).") var setSize: Int?
    @Option(help: "Random candidate sets per pattern when the set is smaller than the test set.") var draws = 20
    @Option(name: .customLong("eval-split"), help: "Which split's stimuli to identify: test, validation or train.") var split: Split = .test
    @Option(help: "Seed of the candidate draws.") var seed: UInt64 = 0
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var jsonFlag: JSONFlag
    @OptionGroup var dataset: DatasetOptions

    struct Result: Encodable {
        let accuracy: [String: Double]
        let chance: Double
        let setSize: Int
        let curve: [IdentificationPoint]
        let stimuli: Int
        let units: Int
        enum CodingKeys: String, CodingKey { case accuracy, chance, curve, stimuli, units, setSize = "set_size" }
    }

    func run() throws {
        Parallel.setThreads(threads)
        guard draws >= 1 else { throw OptionError(option: "--draws", reason: "must be at least 1") }
        let measured: [Float], predicted: [Float], variance: [Double], s: Int, u: Int
        if try RidgeModel.kind(ofModelFile: model) == .ridge {
            let (m, ds) = try loadRidgeWithData(model: model, data: data, options: dataset)
            let st = ds.repeatStatistics(in: split)
            s = st.stimuli.count; u = ds.unitCount
            guard s >= 2 else { throw OptionError(option: "--eval-split", reason: "the \(split) split of \(data) has \(s) shown stimuli; identification needs at least 2") }
            measured = st.meanResponses
            predicted = try m.predict(dataset: ds, stimuli: st.stimuli)
            variance = m.variance
        } else {
            let estimator = try EncodingModel.load(from: model)
            let ds = try Dataset.load(data, options: dataset.loadOptions(for: try estimator.fitted()))
            let st = ds.repeatStatistics(in: split)
            s = st.stimuli.count; u = ds.unitCount
            guard s >= 2 else { throw OptionError(option: "--eval-split", reason: "the \(split) split of \(data) has \(s) shown stimuli; identification needs at least 2") }
            measured = st.meanResponses
            predicted = try estimator.predict(ds, stimuli: st.stimuli).values
            // Per-target variance of the repeat-averaged training residuals.
            let tr = ds.repeatStatistics(in: .train)
            let ptr = try estimator.predict(ds, stimuli: tr.stimuli)
            let means = ResponseMatrix(rows: tr.stimuli.count, columns: u, values: tr.meanResponses)
            var v = [Double](repeating: 0, count: u)
            for i in 0..<tr.stimuli.count { for j in 0..<u { let d = Double(means[i, j] - ptr[i, j]); v[j] += d * d } }
            variance = v.map { max($0 / Double(max(tr.stimuli.count, 1)), 1e-12) }
        }
        let n = setSize ?? s
        guard n >= 2, n <= s else { throw OptionError(option: "--set-size", reason: "must be between 2 and the \(s) \(split) stimuli, got \(n)") }
        let sc = ImageIdentification.scores(measured: measured, predicted: predicted, images: s, targets: u, variance: variance)
        let curve = (ImageIdentification.curveSizes(images: s) + [n]).reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }.sorted().map { k in
            IdentificationPoint(setSize: k, chance: 1 / Double(k),
                                correlation: ImageIdentification.accuracy(scores: sc.correlation, images: s, setSize: k, draws: draws, seed: seed),
                                gaussian: ImageIdentification.accuracy(scores: sc.gaussian, images: s, setSize: k, draws: draws, seed: seed))
        }
        let at = curve.first { $0.setSize == n }!
        let result = Result(accuracy: ["correlation": at.correlation, "gaussian": at.gaussian], chance: at.chance, setSize: n, curve: curve, stimuli: s, units: u)
        if json { try JSONOutput.print(result); return }
        var t = Table(title: "image identification, \(split) split of \(data): \(s) stimuli, \(u) targets", columns: [
            .init("set size"), .init("chance", format: .fixed(4)), .init("correlation", format: .fixed(4)), .init("gaussian", format: .fixed(4))])
        for p in curve { t.addRow([.integer(p.setSize), .number(p.chance), .number(p.correlation), .number(p.gaussian)]) }
        print(t.description)
    }
}
