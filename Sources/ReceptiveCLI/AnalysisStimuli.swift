// Stimuli for the model analyses (invariance, gabor --data, scramble): a full dataset file (validated
// by Dataset.load), or a stimulus set — a file with `/stimuli` but no responses, such as what
// `receptive scramble` writes from a stimulus-only input. Stored pairs (`/pairs`) are read too.
import ArgumentParser
import Foundation
import Tensors
import NeuralData
import Analysis

struct AnalysisStimuli {
    let file: String
    /// Raw stimuli [N, C, H, W] as stored.
    let source: StimulusSource
    /// The validated dataset when the file has responses; nil for a stimulus set.
    let dataset: Dataset?
    let storedShape: [Int]
    let storedType: HDF5ElementType
    let pairs: StimulusPairs?

    var count: Int { source.count }
    var itemShape: [Int] { source.itemShape }

    /// Loads `file` with the dataset paths of `options`. A file without the responses dataset is read
    /// as a stimulus set (stimuli validated here: rank, type, finite values).
    static func load(_ file: String, options: DatasetLoadOptions) throws -> AnalysisStimuli {
        let h5 = FileManager.default.fileExists(atPath: file) ? (try? HDF5File.open(file)) : nil
        if h5 == nil || h5!.exists(options.paths.responses) {
            // Dataset.load gives the standard messages for a missing or broken file, too.
            let d = try Dataset.load(file, options: options)
            return AnalysisStimuli(file: file, source: d.stimulusSource, dataset: d, storedShape: d.storedStimulusShape,
                                   storedType: d.stimulusType,
                                   pairs: try StimulusPairs.read(file: file, stimulusCount: d.stimulusCount))
        }
        let f = h5!, path = options.paths.stimuli
        guard f.exists(path) else {
            throw DatasetError.missingDataset(file: file, path: path, role: "stimuli", array: .stimuli)
        }
        guard !f.isGroup(path) else { throw DatasetError.notADataset(file: file, path: path) }
        let info = try f.info(path)
        guard info.type.isNumeric else {
            throw DatasetError.unsupportedType(file: file, path: path, type: info.type.description, expected: "uint8, an integer type, float32 or float64")
        }
        guard info.shape.count == 3 || info.shape.count == 4, info.shape.allSatisfy({ $0 > 0 }) else {
            throw DatasetError.wrongRank(file: file, path: path, shape: info.shape, expected: "[N, H, W] or [N, C, H, W]")
        }
        let source = HDF5StimulusSource(file: f, path: path, shape: info.shape, storedType: info.type == .uint8 ? .uint8 : .float32)
        // Finite values, one block of rows at a time.
        var start = 0
        while start < source.count {
            let end = min(source.count, start + 256)
            let x = try source.stimuli(Array(start..<end))
            if let k = x.data.firstIndex(where: { !$0.isFinite }) {
                let per = source.itemCount
                throw DatasetError.nonFinite(file: file, path: path, position: [start + k / per, k % per], value: x.data[k])
            }
            start = end
        }
        return AnalysisStimuli(file: file, source: source, dataset: nil, storedShape: info.shape, storedType: info.type,
                               pairs: try StimulusPairs.read(file: file, stimulusCount: source.count))
    }

    /// Stimuli of `split` (nil: all). A stimulus set has no split.
    func indices(split: Split?) throws -> [Int] {
        guard let s = split else { return Array(0..<count) }
        guard let d = dataset else {
            throw OptionError(option: "--eval-split", reason: "\(file) is a stimulus set (no responses, no split); use --eval-split all")
        }
        return d.stimuli(in: s)
    }
}

/// `--split`: one split of the dataset, or all stimuli.
enum StimulusSelection: String, ExpressibleByArgument, CaseIterable {
    case all, train, validation, test
    var split: Split? {
        switch self {
        case .all: return nil
        case .train: return .train
        case .validation: return .validation
        case .test: return .test
        }
    }
}

/// One progress line on stderr unless quiet.
func progress(_ s: String, quiet: Bool) {
    if !quiet { FileHandle.standardError.write(Data((s + "\n").utf8)) }
}
