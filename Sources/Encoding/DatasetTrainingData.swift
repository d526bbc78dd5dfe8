// Bridges a NeuralData `Dataset` and its `Preprocessing` to what training and scoring consume.
import Foundation
import Tensors
import NeuralData

/// Preprocessed stimuli of a dataset. When the dataset's stimuli are in memory, all of them are
/// preprocessed once; when they are streamed from the file, each request reads its row ranges and
/// preprocesses just those (bounded memory).
public final class PreprocessedStimuli: StimulusProvider {
    public let dataset: Dataset
    public let preprocessing: Preprocessing
    private var cache: Tensor?

    public init(dataset: Dataset, preprocessing: Preprocessing) throws {
        self.dataset = dataset
        self.preprocessing = preprocessing
        if !dataset.isStreaming {
            var out: [Float] = []
            let shape = preprocessing.outputShape
            out.reserveCapacity(dataset.stimulusCount * shape.product)
            var start = 0
            while start < dataset.stimulusCount {
                let end = min(dataset.stimulusCount, start + 256)
                out.append(contentsOf: preprocessing.apply(try dataset.stimuli(Array(start..<end))).data)
                start = end
            }
            cache = Tensor(shape: [dataset.stimulusCount] + shape, data: out)
        }
    }

    public var stimulusShape: [Int] { preprocessing.outputShape }
    public var stimulusCount: Int { dataset.stimulusCount }

    public func stimuli(_ indices: [Int]) throws -> Tensor {
        if let c = cache { return c.gather(indices) }
        return preprocessing.apply(try dataset.stimuli(indices))
    }

    /// In memory: gathered into `storage` when it can be reused. Streamed: read and preprocessed anew.
    public func stimuli(_ indices: [Int], into storage: ReusableStorage) throws -> Tensor {
        if let c = cache { return c.gather(indices, into: storage) }
        return preprocessing.apply(try dataset.stimuli(indices))
    }
}

extension TrainingData {
    /// Training data of a dataset: trials by split, preprocessed stimuli.
    public init(dataset: Dataset, preprocessing: Preprocessing) throws {
        self.init(stimuli: try PreprocessedStimuli(dataset: dataset, preprocessing: preprocessing),
                  responses: dataset.responseMatrix, stimulusIndex: dataset.stimulusIndex,
                  trainTrials: dataset.trials(in: .train), validationTrials: dataset.trials(in: .validation),
                  testTrials: dataset.trials(in: .test))
    }
}
