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
import Cluster

/// What a row of a ridge design is; stored in the model file as "stimulus" or "trial".
public enum RidgeRowKind: String, Codable, Sendable {
    case stimulus, trial
    /// The plural noun ("stimuli", "trials").
    public var plural: String { self == .stimulus ? "stimuli" : "trials" }
}

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
    /// Rows of the design: one per training stimulus (repeats averaged) or per training trial (time series).
    public var rows: RidgeRowKind
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
    /// How many processes (MPI ranks) and threads the fit ran on.
    public var execution: ExecutionRecord?

    public init(features: [FeatureSource], featureCounts: [Int], alphaGrid: [Double], folds: Int, foldGrouping: String,
                form: RidgeForm, rows: RidgeRowKind, trainingStimuli: Int, data: DataProvenance) {
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
                           progress: ((String, Int, Int) -> Void)? = nil,
                           cluster: Cluster = SingleProcess(), allUnitNames: [String]? = nil,
                           runs: [Int]? = nil) throws -> RidgeModel {
        let shown = dataset.repeatsPerStimulus
        let train = dataset.stimuli(in: .train).filter { shown[$0] > 0 }
        guard train.count >= max(2, folds) else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the training split has \(train.count) shown stimuli; \(folds)-fold cross-validation needs at least \(max(2, folds))")
        }
        let matrices = try sources.map { try FeatureSpace.compute($0, dataset: dataset, stimuli: train, progress: featureProgress) }
        let phi = matrices.count == 1 ? matrices[0] : FeatureMatrix.concatenated(matrices)
        // Memory the solve needs besides the dataset (RidgeRegression.swift): X in double twice, the
        // centred targets, the weights, the CV scores, one fold's decomposition and one batch; the
        // resolvent path's G and H (12 r²) and batch buffers (4n + 52r per target, close pairs ≤ r
        // included), and the dual refit's Xᵀ U (4 n p).
        let n = phi.rows, p = phi.columns, u = dataset.unitCount, r = min(n, p), b = min(targetBatch, u)
        // The refit's output: dual coefficients (n × u) when a single space is fitted in the dual
        // form (fewer rows than features), else the weights (p × u).
        let banded = bandedSamples > 0 && sources.count >= 2
        let stored = !banded && n < p ? n : p
        let needed = 16 * n * p + 8 * n * u + 4 * stored * u + 8 * alphas.count * u + 24 * r * r + 8 * (2 * n + 3 * r) * b + 8 * n * n
            + 12 * r * r + (4 * n + 52 * r) * b + 4 * n * p
        if let available = availableMemoryBytes(), needed > available {
            throw EncodingError.ridgeTooLarge(stimuli: n, features: p, targets: u, neededBytes: needed, availableBytes: available)
        }
        let stats = RepeatStatistics(dataset: dataset, stimuli: train)
        let foldOfRow: [Int]
        if let runs {
            foldOfRow = try Self.runFolds(dataset: dataset, runs: runs, stimuli: train, folds: folds)
        } else {
            foldOfRow = RidgeRegression.contiguousFolds(count: train.count, folds: folds)
        }
        let t0 = Date()
        let local = try RidgeRegression.fit(features: phi.values, rows: phi.rows, featureCount: phi.columns,
                                            targets: stats.meanResponses, targetCount: dataset.unitCount, foldOfRow: foldOfRow,
                                            alphas: alphas, targetBatch: targetBatch, standardize: standardize,
                                            bandedSpaces: banded ? matrices.map { $0.columns } : nil,
                                            gammas: banded ? BandedRidge.simplexSamples(count: bandedSamples, spaces: sources.count, seed: seed) : [],
                                            progress: progress)
        let fit = try gathered(local, cluster: cluster, spaces: banded ? sources.count : 0)
        var config = RidgeModelConfig(features: sources, featureCounts: matrices.map { $0.columns }, alphaGrid: alphas, folds: folds,
                                      foldGrouping: runs == nil ? "contiguous blocks of training stimuli (repeats averaged, so a stimulus never spans folds)"
                                          : "contiguous blocks of runs (/runs): a stimulus goes with the run of its first trial (repeats averaged)",
                                      form: fit.cv.form, rows: .stimulus, trainingStimuli: train.count,
                                      data: provenance(dataset, units: fit.intercept.count, cluster: cluster, allUnitNames: allUnitNames))
        config.seconds = Date().timeIntervalSince(t0)
        config.standardized = standardize
        if banded { config.bandedSamples = bandedSamples; config.seed = seed }
        return RidgeModel(config: config, fit: fit, featureNames: phi.descriptions)
    }

    /// Time series (DelayedFeatures.swift): rows are the training trials in file order, the design
    /// stacks `delays`, folds are k contiguous blocks of runs.
    public static func fitTimeSeries(dataset: Dataset, runs: [Int], delays: [Int], sources: [FeatureSource], alphas: [Double], folds: Int,
                                     targetBatch: Int = 4096, featureProgress: ((Int, Int) -> Void)? = nil,
                                     progress: ((String, Int, Int) -> Void)? = nil,
                                     cluster: Cluster = SingleProcess(), allUnitNames: [String]? = nil,
                                     bandedSamples: Int = 0, seed: UInt64 = 0) throws -> RidgeModel {
        let trials = dataset.trials(in: .train)
        let banded = bandedSamples > 0 && sources.count >= 2
        let runCount = Set(trials.map { runs[$0] }).count
        guard runCount >= folds else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the training trials span \(runCount) runs; \(folds)-fold cross-validation by run needs at least \(folds)")
        }
        let (x, spaceColumns) = try delayedDesign(dataset: dataset, sources: sources, runs: runs, trials: trials, delays: delays,
                                                  perSpace: banded, progress: featureProgress)
        let y = dataset.responses(trials: trials).data
        let foldOfRow = try RidgeRegression.groupedFolds(groups: trials.map { runs[$0] }, folds: folds)
        let t0 = Date()
        let local = try RidgeRegression.fit(features: x.values, rows: x.rows, featureCount: x.columns, targets: y, targetCount: dataset.unitCount,
                                            foldOfRow: foldOfRow, alphas: alphas, targetBatch: targetBatch,
                                            bandedSpaces: banded ? spaceColumns : nil,
                                            gammas: banded ? BandedRidge.simplexSamples(count: bandedSamples, spaces: sources.count, seed: seed) : [],
                                            progress: progress)
        let fit = try gathered(local, cluster: cluster, spaces: banded ? sources.count : 0)
        var config = RidgeModelConfig(features: sources, featureCounts: banded ? spaceColumns.map { $0 / delays.count } : [x.columns / delays.count], alphaGrid: alphas, folds: folds,
                                      foldGrouping: "contiguous blocks of runs (/runs)", form: fit.cv.form, rows: .trial,
                                      trainingStimuli: trials.count,
                                      data: provenance(dataset, units: fit.intercept.count, cluster: cluster, allUnitNames: allUnitNames))
        config.delays = delays
        if banded { config.bandedSamples = bandedSamples; config.seed = seed }
        config.seconds = Date().timeIntervalSince(t0)
        return RidgeModel(config: config, fit: fit, featureNames: x.descriptions)
    }

    /// Folds of the training stimuli (rows of the stimulus design) when the file has `/runs`: each
    /// stimulus goes with the run of its first trial in the file; the runs, in order of first
    /// appearance among the rows, are dealt into `folds` contiguous blocks (RidgeRegression.groupedFolds), so
    /// the stimuli of one run are never split between fitting and validation.
    public static func runFolds(dataset: Dataset, runs: [Int], stimuli: [Int], folds: Int) throws -> [Int] {
        guard runs.count == dataset.trialCount else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): /runs has \(runs.count) values for \(dataset.trialCount) trials")
        }
        var firstRun = [Int?](repeating: nil, count: dataset.stimulusCount)
        for (t, s) in dataset.stimulusIndex.enumerated() where firstRun[s] == nil { firstRun[s] = runs[t] }
        let groups = stimuli.map { firstRun[$0]! }
        let count = Set(groups).count
        guard count >= folds else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the training stimuli span \(count) runs; \(folds)-fold cross-validation by run needs at least \(folds)")
        }
        return try RidgeRegression.groupedFolds(groups: groups, folds: folds)
    }

    private static func provenance(_ dataset: Dataset, units: Int, cluster: Cluster, allUnitNames: [String]?) -> DataProvenance {
        let names = cluster.size > 1 ? allUnitNames : (dataset.hasUnitNames ? dataset.unitNames : nil)
        return DataProvenance(file: dataset.file, paths: dataset.paths, units: units, unitNames: names)
    }

    /// Under MPI each rank has fitted its contiguous share of the targets (its dataset holds only
    /// those response columns; the design, its standardisation and the folds are the same on every
    /// rank). The per-target numbers — chosen α and its index, CV MSE, banded γ — are gathered on
    /// every rank (`allgather`, 8·(3 + S) bytes per target); the weights and intercepts only on
    /// rank 0 (`gatherToRoot`, 4·(p + 1) bytes per target), which writes the model. On the other
    /// ranks the returned fit has the gathered per-target numbers and empty weights.
    static func gathered(_ local: RidgeFit, cluster: Cluster, spaces: Int) throws -> RidgeFit {
        guard cluster.size > 1 else { return local }
        let u = local.intercept.count, per = 3 + spaces
        // Each target's column: its weights (p) or its dual coefficients (n; the design is the
        // same on every rank).
        let dual = local.cv.dual
        let p = dual?.rows ?? local.featureMean.count
        let coefficients = dual?.coefficients ?? local.cv.weights
        var scalars = [Double](); scalars.reserveCapacity(u * per)
        for t in 0..<u {
            scalars.append(local.cv.bestAlphas[t]); scalars.append(Double(local.cv.bestAlphaIndex[t])); scalars.append(local.cv.cvMeanSquaredError[t])
            for i in 0..<spaces { scalars.append(local.spaceWeights![i * u + t]) }
        }
        let all = cluster.allgather(scalars)
        guard all.count % per == 0 else { throw EncodingError.incompatibleData(reason: "gathered \(all.count) ridge values from \(cluster.size) ranks, not whole targets of \(per)") }
        let total = all.count / per
        // Target-major [u, 1 + p]: intercept, then the target's weight (or dual-coefficient) column.
        var columns = [Float](repeating: 0, count: u * (p + 1))
        for t in 0..<u {
            columns[t * (p + 1)] = local.intercept[t]
            for j in 0..<p { columns[t * (p + 1) + 1 + j] = coefficients[j * u + t] }
        }
        let gathered = cluster.gatherToRoot(columns, itemSize: p + 1)
        var fit = local
        fit.cv.bestAlphas = (0..<total).map { all[$0 * per] }
        fit.cv.bestAlphaIndex = (0..<total).map { Int(all[$0 * per + 1]) }
        fit.cv.cvMeanSquaredError = (0..<total).map { all[$0 * per + 2] }
        if spaces > 0 {
            var g = [Double](repeating: 0, count: spaces * total)
            for t in 0..<total { for i in 0..<spaces { g[i * total + t] = all[t * per + 3 + i] } }
            fit.spaceWeights = g
        }
        if cluster.isRoot {
            guard gathered.count == total * (p + 1) else {
                throw EncodingError.incompatibleData(reason: "gathered \(gathered.count) ridge weights from \(cluster.size) ranks, expected \(total * (p + 1))")
            }
            var w = [Float](repeating: 0, count: p * total), b = [Float](repeating: 0, count: total)
            for t in 0..<total {
                b[t] = gathered[t * (p + 1)]
                for j in 0..<p { w[j * total + t] = gathered[t * (p + 1) + 1 + j] }
            }
            fit.intercept = b
            if dual != nil { fit.cv.dual!.coefficients = w } else { fit.cv.weights = w }
        } else {
            fit.intercept = [Float](repeating: 0, count: total); fit.cv.weights = []
            if dual != nil { fit.cv.dual!.coefficients = [] }
        }
        return fit
    }

    /// The delayed design of `trials`. `perSpace` (banded models): each feature space's delayed
    /// copies form one block of columns, [space 1: delay 1 … delay D | space 2: …], so that a
    /// space's penalty covers all its delays; otherwise the spaces are concatenated first and then
    /// delayed. Returns the design and the columns of each block.
    static func delayedDesign(dataset: Dataset, sources: [FeatureSource], runs: [Int], trials: [Int], delays: [Int], perSpace: Bool = false,
                              progress: ((Int, Int) -> Void)? = nil) throws -> (FeatureMatrix, [Int]) {
        let all = Array(0..<dataset.stimulusCount)
        let ms = try sources.map { try FeatureSpace.compute($0, dataset: dataset, stimuli: all, progress: progress) }
        if perSpace && ms.count > 1 {
            let blocks = ms.map { DelayedFeatures.design(features: $0, stimulusIndex: dataset.stimulusIndex, runs: runs, trials: trials, delays: delays) }
            return (FeatureMatrix.concatenated(blocks), blocks.map { $0.columns })
        }
        let phi = ms.count == 1 ? ms[0] : FeatureMatrix.concatenated(ms)
        let x = DelayedFeatures.design(features: phi, stimulusIndex: dataset.stimulusIndex, runs: runs, trials: trials, delays: delays)
        return (x, [x.columns])
    }

    /// Time-series models: predictions [trials.count, U] of `trials`.
    public func predictTrials(dataset: Dataset, runs: [Int], trials: [Int]) throws -> [Float] {
        guard let delays = config.delays else { throw EncodingError.delaysMismatch(modelHasDelays: false) }
        let (x, _) = try Self.delayedDesign(dataset: dataset, sources: config.features, runs: runs, trials: trials, delays: delays,
                                            perSpace: fit.spaceWeights != nil)
        guard x.columns == featureCount else {
            throw EncodingError.incompatibleData(reason: "the delayed features of \(dataset.file) have \(x.columns) columns, the model was fitted on \(featureCount)")
        }
        return RidgeRegression.predict(features: x.values, rows: x.rows, fit: fit, targetBlock: Self.targetBlock)
    }

    /// Targets per matrix product of `predict`: the products are taken over blocks of this many
    /// targets (columns of the weights) from target 0, and `score` under MPI gives each rank whole
    /// blocks, so a rank computes exactly the products one process computes (OpenBLAS rounds a
    /// product over 20 columns differently from one over 40 by a float ulp).
    public static let targetBlock = 64

    /// Stimuli per block of `predict`: the feature spaces' batch (FeatureSpace.compute), so a
    /// rank's share of whole blocks computes the same features and products as one process.
    public static let predictionBlock = 256

    /// Predicted mean response [n, U] of `stimuli` of `dataset` (features recomputed from the
    /// sources), in blocks of `predictionBlock` stimuli. Under MPI each rank predicts its share of
    /// whole blocks and every rank receives all predictions (`allgather`, float32 as predicted, 4·U bytes per stimulus):
    /// the result equals one process's bit for bit.
    public func predict(dataset: Dataset, stimuli: [Int], cluster: Cluster = SingleProcess()) throws -> [Float] {
        if config.delays != nil {
            throw EncodingError.delaysMismatch(modelHasDelays: true)
        }
        let block = Self.predictionBlock
        let mine = cluster.share(of: stimuli.count, block: block)
        var out = [Float](); out.reserveCapacity(mine.count * unitCount)
        var start = mine.lowerBound
        while start < mine.upperBound {
            let idx = Array(stimuli[start..<min(start + block, mine.upperBound)])
            let ms = try config.features.map { try FeatureSpace.compute($0, dataset: dataset, stimuli: idx, batchSize: block) }
            let phi = ms.count == 1 ? ms[0] : FeatureMatrix.concatenated(ms)
            guard phi.columns == featureCount else {
                throw EncodingError.incompatibleData(reason: "the features of \(dataset.file) have \(phi.columns) columns, the model was fitted on \(featureCount)")
            }
            out += RidgeRegression.predict(features: phi.values, rows: phi.rows, fit: fit, targetBlock: Self.targetBlock)
            start += block
        }
        guard cluster.size > 1 else { return out }
        let all = cluster.allgather(out)
        guard all.count == stimuli.count * unitCount else {
            throw EncodingError.incompatibleData(reason: "gathered \(all.count) ridge predictions from \(cluster.size) ranks, expected \(stimuli.count * unitCount)")
        }
        return all
    }

    /// The model of the targets `columns` only (their weight columns, intercepts, α, CV MSE, banded
    /// γ; the features and their standardisation unchanged): what an MPI rank scores its share with.
    public func targets(_ columns: Range<Int>) -> RidgeModel {
        let u = unitCount
        var f = fit
        f.cv = fit.cv.targets(columns)
        f.intercept = Array(fit.intercept[columns])
        if let g = fit.spaceWeights {
            f.spaceWeights = ResponseMatrix(rows: g.count / max(u, 1), columns: u, values: g).columns(columns).values
        }
        var c = config
        c.data.units = columns.count
        c.data.unitNames = c.data.unitNames.flatMap { $0.count == u ? Array($0[columns]) : nil }
        return RidgeModel(config: c, fit: f, featureNames: featureNames)
    }

    /// Banded models: [S, U] each feature space's share of the explained variance of `measured`
    /// ([n, U], rows follow `stimuli`; centred by their mean over the stimuli) — BandedRidge.varianceSplit.
    public func spaceVarianceSplit(dataset: Dataset, stimuli: [Int], measured: [Float]) throws -> [Double]? {
        guard fit.spaceWeights != nil, config.delays == nil else { return nil }
        let ms = try config.features.map { try FeatureSpace.compute($0, dataset: dataset, stimuli: stimuli) }
        let phi = FeatureMatrix.concatenated(ms)
        let p = featureCount, u = unitCount, q = stimuli.count
        var z = phi.values
        for i in 0..<q { for j in 0..<p { z[i * p + j] = (z[i * p + j] - fit.featureMean[j]) / fit.featureStd[j] } }
        var mean = [Double](repeating: 0, count: u)
        for i in 0..<q { for t in 0..<u { mean[t] += Double(measured[i * u + t]) / Double(q) } }
        var y = ResponseMatrix<Double>(rows: q, columns: u)
        for i in 0..<q { for t in 0..<u { y.values[i * u + t] = Double(measured[i * u + t]) - mean[t] } }
        let weights = ResponseMatrix(rows: p, columns: u, values: fit.cv.primalWeights())
        // Per block of `targetBlock` targets, like `predict`, so a rank's share gives the same products.
        let sCount = config.featureCounts.count
        var out = [Double](repeating: 0, count: sCount * u)
        for t0 in stride(from: 0, to: u, by: Self.targetBlock) {
            let block = t0..<min(u, t0 + Self.targetBlock)
            let part = BandedRidge.varianceSplit(z: z, rows: q, spaceSizes: config.featureCounts, weights: weights.columns(block).values,
                                                 y: y.columns(block).values, targetCount: block.count)
            for i in 0..<sCount { for (t, j) in block.enumerated() { out[i * u + j] = part[i * block.count + t] } }
        }
        return out
    }

    // MARK: file

    public func write(to path: String, overwrite: Bool) throws {
        try HDF5File.writeAtomically(to: path, overwrite: overwrite) { f in
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            try f.setAttribute("config", string: String(decoding: try enc.encode(config), as: UTF8.self))
            try f.setAttribute("format", string: "receptive-model")
            let p = featureCount, u = unitCount
            if let d = fit.cv.dual {
                try f.write("/ridge/dual_coefficients", floats: d.coefficients, shape: [d.rows, u])
                try f.write("/ridge/training_design", floats: d.design, shape: [d.rows, p])
            } else {
                try f.write("/ridge/weights", floats: fit.cv.weights, shape: [p, u])
            }
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
        let alpha = try doubles("/ridge/alpha")
        var cv = RidgeCVResult(bestAlphas: alpha, bestAlphaIndex: alpha.map { a in config.alphaGrid.firstIndex(of: a) ?? -1 },
                               cvMeanSquaredError: try doubles("/ridge/cv_mse"), weights: [], form: config.form)
        if f.exists("/ridge/dual_coefficients") {
            // Dual storage: D [n, u] and the standardised training design X [n, p].
            let shape = try f.info("/ridge/dual_coefficients").shape
            guard shape.count == 2, shape[1] == u, shape[0] >= 1 else {
                throw EncodingError.modelFile(file: path, reason: "/ridge/dual_coefficients has shape \(shape), expected [rows, \(u)]")
            }
            let n = shape[0]
            cv.dual = RidgeDualCoefficients(coefficients: try floats("/ridge/dual_coefficients", n * u),
                                            design: try floats("/ridge/training_design", n * p), rows: n)
        } else {
            cv.weights = try floats("/ridge/weights", p * u)
        }
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
