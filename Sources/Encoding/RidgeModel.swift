// A fitted feature-space ridge model (kind "ridge", docs/model-file.md): the feature sources,
// their standardisation, one weight vector and one penalty per target (voxel).
//
// File layout (HDF5, written atomically):
//   root attribute `config`    JSON (RidgeModelConfig), root attribute `format` = receptive-model
//   /ridge/weights        float32 [F, U]  weights on standardised features
//   /ridge/intercept      float32 [U]     training mean of each target
//   /ridge/feature_mean   float32 [F]     standardisation of the features (training stimuli, ddof 0)
//   /ridge/feature_std    float32 [F]
//   /ridge/alpha          float64 [U]     the penalty chosen for each target
//   /ridge/cv_mse         float64 [U]     its cross-validated mean squared error (the Gaussian variance)
//   /ridge/feature_names  string  [F]
// Prediction for raw features φ: ((φ − feature_mean) / feature_std) · weights + intercept.
import Foundation
import Tensors
import NeuralData

public struct RidgeModelConfig: Codable, Equatable {
    public var format = "receptive-model"
    public var version = 1
    public var createdBy = "receptive"
    public var kind = ModelKind.ridge
    /// The feature spaces, concatenated in this order, with the number of columns of each.
    public var features: [FeatureSource]
    public var featureCounts: [Int]
    /// The penalty grid, the number of folds and how rows were grouped into folds.
    public var alphaGrid: [Double]
    public var folds: Int
    public var foldGrouping: String
    public var form: RidgeForm
    /// Rows of the design: "stimulus" (one row per training stimulus, repeats averaged).
    public var rows: String
    public var trainingStimuli: Int
    public var data: DataProvenance
    public var seconds: Double?
    /// False when features and targets were used as given (no z-scoring, no intercept).
    public var standardized: Bool?
    /// Banded ridge: points of the simplex searched and their seed (nil: one penalty per target).
    public var bandedSamples: Int?
    public var seed: UInt64?
    /// Time series: the delays (TRs) stacked per feature (rows are trials, folds group runs); nil otherwise.
    public var delays: [Int]?

    public init(features: [FeatureSource], featureCounts: [Int], alphaGrid: [Double], folds: Int, foldGrouping: String,
                form: RidgeForm, rows: String, trainingStimuli: Int, data: DataProvenance) {
        self.features = features; self.featureCounts = featureCounts; self.alphaGrid = alphaGrid; self.folds = folds
        self.foldGrouping = foldGrouping; self.form = form; self.rows = rows; self.trainingStimuli = trainingStimuli; self.data = data
    }
}

public final class RidgeModel {
    public var config: RidgeModelConfig
    public var fit: RidgeFit
    public var featureNames: [String]

    public init(config: RidgeModelConfig, fit: RidgeFit, featureNames: [String]) {
        self.config = config; self.fit = fit; self.featureNames = featureNames
    }

    public var unitCount: Int { fit.intercept.count }
    public var featureCount: Int { fit.featureMean.count }
    /// [U] Gaussian variance per target: the cross-validated residual variance on the training split.
    public var variance: [Double] { fit.cv.cvMeanSquaredError.map { max($0, 1e-12) } }

    /// Fits on the training split of `dataset`: one row per training stimulus (responses averaged
    /// over its repeats), features from `sources`, k contiguous folds over the training stimuli.
    /// With `bandedSamples` > 0 and two or more sources: banded ridge (BandedRidge.swift), that many
    /// points of the simplex drawn with `seed`.
    public static func fit(dataset: Dataset, sources: [FeatureSource], alphas: [Double], folds: Int, targetBatch: Int = 4096, standardize: Bool = true,
                           bandedSamples: Int = 0, seed: UInt64 = 0,
                           featureProgress: ((Int, Int) -> Void)? = nil,
                           progress: ((String, Int, Int) -> Void)? = nil) throws -> RidgeModel {
        let shown = dataset.repeatsPerStimulus
        let train = dataset.stimuli(in: .train).filter { shown[$0] > 0 }
        guard train.count >= max(2, folds) else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the training split has \(train.count) shown stimuli; \(folds)-fold cross-validation needs at least \(max(2, folds))")
        }
        let matrices = try sources.map { try FeatureSpace.compute($0, dataset: dataset, stimuli: train, progress: featureProgress) }
        let phi = matrices.count == 1 ? matrices[0] : FeatureMatrix.concatenated(matrices)
        // Memory the solve needs besides the dataset (RidgeRegression.swift): X in double twice, the
        // centred targets, the weights, the CV scores, one fold's decomposition and one batch.
        let n = phi.rows, p = phi.columns, u = dataset.unitCount, r = min(n, p), b = min(targetBatch, u)
        let needed = 16 * n * p + 8 * n * u + 4 * p * u + 8 * alphas.count * u + 24 * r * r + 8 * (2 * n + 3 * r) * b + 8 * n * n
        if let available = availableMemoryBytes(), needed > available {
            throw EncodingError.ridgeTooLarge(stimuli: n, features: p, targets: u, neededBytes: needed, availableBytes: available)
        }
        let stats = RepeatStatistics(dataset: dataset, stimuli: train)
        let banded = bandedSamples > 0 && sources.count >= 2
        let foldOfRow = RidgeRegression.contiguousFolds(count: train.count, folds: folds)
        let t0 = Date()
        let fit = try RidgeRegression.fit(features: phi.values, rows: phi.rows, featureCount: phi.columns,
                                          targets: stats.meanResponses, targetCount: dataset.unitCount, foldOfRow: foldOfRow,
                                          alphas: alphas, targetBatch: targetBatch, standardize: standardize,
                                          bandedSpaces: banded ? matrices.map { $0.columns } : nil,
                                          gammas: banded ? BandedRidge.simplexSamples(count: bandedSamples, spaces: sources.count, seed: seed) : [],
                                          progress: progress)
        var config = RidgeModelConfig(features: sources, featureCounts: matrices.map { $0.columns }, alphaGrid: alphas, folds: folds,
                                      foldGrouping: "contiguous blocks of training stimuli (repeats averaged, so a stimulus never spans folds)",
                                      form: fit.cv.form, rows: "stimulus", trainingStimuli: train.count,
                                      data: DataProvenance(file: dataset.file, paths: dataset.paths, units: dataset.unitCount,
                                                           unitNames: dataset.hasUnitNames ? dataset.unitNames : nil))
        config.seconds = Date().timeIntervalSince(t0)
        config.standardized = standardize
        if banded { config.bandedSamples = bandedSamples; config.seed = seed }
        return RidgeModel(config: config, fit: fit, featureNames: phi.descriptions)
    }

    /// Time series (DelayedFeatures.swift): rows are the training trials in file order, the design
    /// stacks `delays`, folds are k contiguous blocks of runs.
    public static func fitTimeSeries(dataset: Dataset, runs: [Int], delays: [Int], sources: [FeatureSource], alphas: [Double], folds: Int,
                                     targetBatch: Int = 4096, featureProgress: ((Int, Int) -> Void)? = nil,
                                     progress: ((String, Int, Int) -> Void)? = nil) throws -> RidgeModel {
        let trials = dataset.trials(in: .train)
        let runCount = Set(trials.map { runs[$0] }).count
        guard runCount >= folds else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the training trials span \(runCount) runs; \(folds)-fold cross-validation by run needs at least \(folds)")
        }
        let x = try delayedDesign(dataset: dataset, sources: sources, runs: runs, trials: trials, delays: delays, progress: featureProgress)
        let y = dataset.responses(trials: trials).data
        let foldOfRow = try RidgeRegression.groupedFolds(groups: trials.map { runs[$0] }, folds: folds)
        let t0 = Date()
        let fit = try RidgeRegression.fit(features: x.values, rows: x.rows, featureCount: x.columns, targets: y, targetCount: dataset.unitCount,
                                          foldOfRow: foldOfRow, alphas: alphas, targetBatch: targetBatch, progress: progress)
        var config = RidgeModelConfig(features: sources, featureCounts: [x.columns / delays.count], alphaGrid: alphas, folds: folds,
                                      foldGrouping: "contiguous blocks of runs (/runs)", form: fit.cv.form, rows: "trial",
                                      trainingStimuli: trials.count,
                                      data: DataProvenance(file: dataset.file, paths: dataset.paths, units: dataset.unitCount,
                                                           unitNames: dataset.hasUnitNames ? dataset.unitNames : nil))
        config.delays = delays
        config.seconds = Date().timeIntervalSince(t0)
        return RidgeModel(config: config, fit: fit, featureNames: x.descriptions)
    }

    static func delayedDesign(dataset: Dataset, sources: [FeatureSource], runs: [Int], trials: [Int], delays: [Int],
                              progress: ((Int, Int) -> Void)? = nil) throws -> FeatureMatrix {
        let all = Array(0..<dataset.stimulusCount)
        let ms = try sources.map { try FeatureSpace.compute($0, dataset: dataset, stimuli: all, progress: progress) }
        let phi = ms.count == 1 ? ms[0] : FeatureMatrix.concatenated(ms)
        return DelayedFeatures.design(features: phi, stimulusIndex: dataset.stimulusIndex, runs: runs, trials: trials, delays: delays)
    }

    /// Time-series models: predictions [trials.count, U] of `trials`.
    public func predictTrials(dataset: Dataset, runs: [Int], trials: [Int]) throws -> [Float] {
        guard let delays = config.delays else { throw EncodingError.delaysMismatch(modelHasDelays: false) }
        let x = try Self.delayedDesign(dataset: dataset, sources: config.features, runs: runs, trials: trials, delays: delays)
        guard x.columns == featureCount else {
            throw EncodingError.incompatibleData(reason: "the delayed features of \(dataset.file) have \(x.columns) columns, the model was fitted on \(featureCount)")
        }
        return RidgeRegression.predict(features: x.values, rows: x.rows, fit: fit)
    }

    /// Predicted mean response [n, U] of `stimuli` of `dataset` (features recomputed from the sources).
    public func predict(dataset: Dataset, stimuli: [Int]) throws -> [Float] {
        if config.delays != nil {
            throw EncodingError.delaysMismatch(modelHasDelays: true)
        }
        let ms = try config.features.map { try FeatureSpace.compute($0, dataset: dataset, stimuli: stimuli) }
        let phi = ms.count == 1 ? ms[0] : FeatureMatrix.concatenated(ms)
        guard phi.columns == featureCount else {
            throw EncodingError.incompatibleData(reason: "the features of \(dataset.file) have \(phi.columns) columns, the model was fitted on \(featureCount)")
        }
        return RidgeRegression.predict(features: phi.values, rows: phi.rows, fit: fit)
    }

    /// Banded models: [S, U] each feature space's share of the explained variance of `measured`
    /// ([n, U], rows follow `stimuli`; centred by their mean over the stimuli) — BandedRidge.varianceSplit.
    public func spaceVarianceSplit(dataset: Dataset, stimuli: [Int], measured: [Float]) throws -> [Double]? {
        guard fit.spaceWeights != nil else { return nil }
        let ms = try config.features.map { try FeatureSpace.compute($0, dataset: dataset, stimuli: stimuli) }
        let phi = FeatureMatrix.concatenated(ms)
        let p = featureCount, u = unitCount, q = stimuli.count
        var z = phi.values
        for i in 0..<q { for j in 0..<p { z[i * p + j] = (z[i * p + j] - fit.featureMean[j]) / fit.featureStd[j] } }
        var mean = [Double](repeating: 0, count: u)
        for i in 0..<q { for t in 0..<u { mean[t] += Double(measured[i * u + t]) / Double(q) } }
        var y = [Double](repeating: 0, count: q * u)
        for i in 0..<q { for t in 0..<u { y[i * u + t] = Double(measured[i * u + t]) - mean[t] } }
        return BandedRidge.varianceSplit(z: z, rows: q, spaceSizes: config.featureCounts, weights: fit.cv.weights, y: y, targetCount: u)
    }

    // MARK: file

    public func write(to path: String, overwrite: Bool) throws {
        try HDF5File.writeAtomically(to: path, overwrite: overwrite) { f in
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            try f.setAttribute("config", string: String(decoding: try enc.encode(config), as: UTF8.self))
            try f.setAttribute("format", string: "receptive-model")
            let p = featureCount, u = unitCount
            try f.write("/ridge/weights", floats: fit.cv.weights, shape: [p, u])
            try f.write("/ridge/intercept", floats: fit.intercept, shape: [u])
            try f.write("/ridge/feature_mean", floats: fit.featureMean, shape: [p])
            try f.write("/ridge/feature_std", floats: fit.featureStd, shape: [p])
            try f.write("/ridge/alpha", doubles: fit.cv.bestAlphas, shape: [u])
            try f.write("/ridge/cv_mse", doubles: fit.cv.cvMeanSquaredError, shape: [u])
            try f.write("/ridge/feature_names", strings: featureNames)
            if let g = fit.spaceWeights { try f.write("/ridge/space_weights", doubles: g, shape: [config.features.count, u]) }
        }
    }

    /// The `kind` in a model file's config (nil when the file has no config).
    public static func kind(ofModelFile path: String) throws -> ModelKind? {
        struct Probe: Decodable { var kind: ModelKind? }
        let f = try HDF5File.open(path)
        guard let json = try f.stringAttribute("config") else { return nil }
        return (try? JSONDecoder().decode(Probe.self, from: Data(json.utf8)))?.kind
    }

    public static func load(_ path: String) throws -> RidgeModel {
        let f = try HDF5File.open(path)
        guard let json = try f.stringAttribute("config") else {
            throw EncodingError.modelFile(file: path, reason: "not a Receptive model file (no 'config' attribute at the root)")
        }
        let config: RidgeModelConfig
        do { config = try JSONDecoder().decode(RidgeModelConfig.self, from: Data(json.utf8)) }
        catch { throw EncodingError.modelFile(file: path, reason: "the 'config' attribute is not a valid ridge model configuration (\(error))") }
        let p = config.featureCounts.reduce(0, +) * (config.delays?.count ?? 1), u = config.data.units
        func floats(_ name: String, _ count: Int) throws -> [Float] {
            guard f.exists(name) else { throw EncodingError.modelFile(file: path, reason: "\(name) is missing") }
            let v = try f.readFloats(name).values
            guard v.count == count else { throw EncodingError.modelFile(file: path, reason: "\(name) has \(v.count) values, expected \(count)") }
            return v
        }
        func doubles(_ name: String) throws -> [Double] {
            guard f.exists(name) else { throw EncodingError.modelFile(file: path, reason: "\(name) is missing") }
            let v = try f.readDoubles(name).values
            guard v.count == u else { throw EncodingError.modelFile(file: path, reason: "\(name) has \(v.count) values, expected \(u)") }
            return v
        }
        let weights = try floats("/ridge/weights", p * u)
        let alpha = try doubles("/ridge/alpha")
        let cv = RidgeCVResult(bestAlphas: alpha, bestAlphaIndex: alpha.map { a in config.alphaGrid.firstIndex(of: a) ?? -1 },
                               cvMeanSquaredError: try doubles("/ridge/cv_mse"), weights: weights, form: config.form)
        let fit = RidgeFit(featureMean: try floats("/ridge/feature_mean", p), featureStd: try floats("/ridge/feature_std", p),
                           intercept: try floats("/ridge/intercept", u), cv: cv)
        var fit2 = fit
        if f.exists("/ridge/space_weights") {
            let g = try f.readDoubles("/ridge/space_weights").values
            guard g.count == config.features.count * u else { throw EncodingError.modelFile(file: path, reason: "/ridge/space_weights has \(g.count) values, expected \(config.features.count * u)") }
            fit2.spaceWeights = g
        }
        let names = f.exists("/ridge/feature_names") ? try f.readStrings("/ridge/feature_names") : (0..<p).map { "feature \($0)" }
        return RidgeModel(config: config, fit: fit2, featureNames: names)
    }
}
