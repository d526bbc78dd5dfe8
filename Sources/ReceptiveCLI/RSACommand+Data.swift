// `receptive rsa --data D [--model M --layers …]`: RDMs from a dataset's responses and from a fitted
// model's layers on the same stimuli.
import ArgumentParser
import Foundation
import Analysis
import Encoding
import NeuralData
import Report
import ModelReport
import Tensors

extension DissimilarityMeasure: ExpressibleByArgument {}

extension RSACommand {
    func runOnData(progress: (String) -> Void) throws {
        guard let dataPath = data else { throw OptionError(option: "--data", reason: "--model needs --data (the stimuli to present)") }
        if model == nil && models == nil { throw OptionError(option: "--models", reason: "with --data, give --model (layer profile) or --models FILE:/path") }
        let fitted = try model.map { try FittedModel.load($0) }
        let ds = try dataset.load(dataPath, options: fitted.map { dataset.loadOptions(for: $0) } ?? dataset.loadOptions(countModel: false))
        let shown = Set(ds.stimulusIndex)
        let pool: [Int]
        switch subset {
        case "all": pool = Array(0..<ds.stimulusCount)
        case "train": pool = ds.stimuli(in: .train)
        case "validation": pool = ds.stimuli(in: .validation)
        case "test": pool = ds.stimuli(in: .test)
        default: throw OptionError(option: "--subset", reason: "'\(subset)' is not one of all, train, validation, test")
        }
        let stimuli = pool.filter { shown.contains($0) }
        guard stimuli.count >= 3 else { throw OptionError(option: "--subset", reason: "\(stimuli.count) stimuli with responses; RSA needs at least 3") }
        if let out = out { try OutputPolicy.checkFolder(out, files: ["rsa.json"], force: force) }

        // Subject RDM(s): given, or from the dataset's responses.
        var subjects: RDMSet
        if let r = rdms {
            let src = try RSASource(parsing: r, option: "--rdms")
            subjects = try RSAInput.read(src).averagingConsecutive(groupsOf: averageGroups, source: src.description)
            guard subjects.conditions == stimuli.count else {
                throw OptionError(option: "--rdms", reason: "\(subjects.conditions) conditions but --data/--subset select \(stimuli.count) stimuli")
            }
        } else {
            subjects = RDMSet([try dataRDM(ds, stimuli: stimuli)], names: [(dataPath as NSString).lastPathComponent])
        }
        var options = RSAOptions(method: method, bootstrap: bootstrap, permutations: permutations, seed: seed, confidence: confidence)
        if let t = threads { options.threads = t }

        let result: RSAResult
        if let m = fitted {
            let acts = try layerActivations(m, ds, stimuli: stimuli)
            progress("rsa: \(acts.count) layers of \(model!) on \(stimuli.count) stimuli, \(method.rawValue)")
            guard measure != .crossnobis else { throw OptionError(option: "--measure", reason: "crossnobis needs repeats; model layers have none") }
            result = try RSA.layerProfile(layers: acts, subjects: subjects, measure: measure, options: options).result
        } else {
            let src = try RSASource(parsing: models!, option: "--models")
            result = try RSA.analyse(subjects: subjects, models: try RSAInput.read(src), options: options, modelsSource: src.description)
        }
        if let out = out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let figure = fitted != nil ? RSAFigures.layerProfile(result, modelName: (model! as NSString).lastPathComponent) : RSAFigures.bars(result)
            try AtomicOutput.write(text: result.json() + "\n", to: (out as NSString).appendingPathComponent("rsa.json"), overwrite: force)
            try figure.write(to: (out as NSString).appendingPathComponent(figures.format.fileName(fitted != nil ? "rsa_layer_profile" : "rsa_bars")), format: figures.format)
        }
        print(json ? result.json() : result.table(), terminator: json ? "\n" : "")
    }

    /// The dataset's RDM over `stimuli`: repeat-averaged responses (correlation/euclidean/cosine),
    /// or crossnobis across repeats (the r-th repeat of each stimulus is fold r).
    func dataRDM(_ ds: Dataset, stimuli: [Int]) throws -> RDM {
        let u = ds.unitCount
        var position = [Int: Int]()
        for (k, s) in stimuli.enumerated() { position[s] = k }
        if measure == .crossnobis {
            var rows: [Float] = [], index: [Int] = []
            for t in 0..<ds.trialCount { if let k = position[ds.stimulusIndex[t]] {
                rows.append(contentsOf: ds.responses[(t * u)..<((t + 1) * u)]); index.append(k)
            } }
            var counts = [Int](repeating: 0, count: stimuli.count)
            for k in index { counts[k] += 1 }
            guard let minRepeats = counts.min(), minRepeats >= 2 else {
                throw OptionError(option: "--measure", reason: "crossnobis needs at least 2 repeats of every stimulus")
            }
            return try RDM.fromTrials(responses: rows, stimulusIndex: index, conditions: stimuli.count, channels: u,
                                      measure: .crossnobis, repeats: minRepeats, source: ds.file)
        }
        var mean = [Float](repeating: 0, count: stimuli.count * u), n = [Float](repeating: 0, count: stimuli.count)
        for t in 0..<ds.trialCount { if let k = position[ds.stimulusIndex[t]] {
            n[k] += 1
            for j in 0..<u { mean[k * u + j] += ds.responses[t * u + j] }
        } }
        for k in 0..<stimuli.count { for j in 0..<u { mean[k * u + j] /= max(n[k], 1) } }
        return try RDM.compute(patterns: mean, conditions: stimuli.count, channels: u, measure: measure, source: ds.file)
    }

    /// Activations [K, C·H·W] of the selected layers (and the readout's predicted rates).
    func layerActivations(_ m: FittedModel, _ ds: Dataset, stimuli: [Int]) throws -> [RSALayerActivations] {
        try EncodingModel.checkCompatible(model: m, dataset: ds)
        let enc = m.encoder
        let available = enc.layerNames.filter { !$0.hasPrefix("bn") } + ["readout"]
        let names: [String]
        if layers == "all" {
            names = LayerActivations.defaultLayers(m)
        } else {
            names = layers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for n in names where !(enc.layerNames.contains(n) || n == "readout") {
                throw OptionError(option: "--layers", reason: "no layer named '\(n)' (layers: \(available.joined(separator: ", ")))")
            }
        }
        return try LayerActivations.collect(model: m, dataset: ds, stimuli: stimuli, names: names)
    }
}
