// What the trainer and the scorer need from a dataset, independent of how stimuli are stored.
import Tensors

/// Supplies preprocessed stimuli by stimulus index, (n, C, H, W). Implementations hold them in
/// memory or stream row ranges from the HDF5 file (bounded memory).
public protocol StimulusProvider: AnyObject {
    /// Preprocessed stimulus shape (C, H, W).
    var stimulusShape: [Int] { get }
    var stimulusCount: Int { get }
    func stimuli(_ indices: [Int]) throws -> Tensor
    /// The same, written into `storage` when it can be reused (the trainer's batches).
    func stimuli(_ indices: [Int], into storage: ReusableStorage) throws -> Tensor
}

extension StimulusProvider {
    /// Providers that read from elsewhere (a file) have a new tensor each time.
    public func stimuli(_ indices: [Int], into storage: ReusableStorage) throws -> Tensor {
        try stimuli(indices)
    }
}

/// Preprocessed stimuli held in memory, (N, C, H, W).
public final class InMemoryStimuli: StimulusProvider {
    public let tensor: Tensor
    public init(_ tensor: Tensor) { precondition(tensor.rank == 4); self.tensor = tensor }
    public var stimulusShape: [Int] { Array(tensor.shape.dropFirst()) }
    public var stimulusCount: Int { tensor.shape[0] }
    public func stimuli(_ indices: [Int]) throws -> Tensor { tensor.gather(indices) }
    public func stimuli(_ indices: [Int], into storage: ReusableStorage) throws -> Tensor {
        tensor.gather(indices, into: storage)
    }
}

/// Trials and their responses, with the stimulus each trial showed and the split by stimulus.
public struct TrainingData {
    public let stimuli: StimulusProvider
    /// Responses, (T, U).
    public let responses: ResponseMatrix<Float>
    public var units: Int { responses.columns }
    /// Stimulus shown on each trial (T).
    public let stimulusIndex: [Int]
    public let trainTrials: [Int]
    public let validationTrials: [Int]
    public let testTrials: [Int]

    public init(stimuli: StimulusProvider, responses: ResponseMatrix<Float>, stimulusIndex: [Int],
                trainTrials: [Int], validationTrials: [Int], testTrials: [Int]) {
        precondition(responses.rows == stimulusIndex.count)
        self.stimuli = stimuli; self.responses = responses; self.stimulusIndex = stimulusIndex
        self.trainTrials = trainTrials; self.validationTrials = validationTrials; self.testTrials = testTrials
    }

    public var trialCount: Int { stimulusIndex.count }

    /// Responses of the given trials, (n, U), written into `storage` (new by default; the trainer
    /// passes one kept between batches).
    public func responses(of trials: [Int], into storage: ReusableStorage = ReusableStorage()) -> Tensor {
        let u = units
        return storage.tensor([trials.count, u]) { out in
            responses.values.withUnsafeBufferPointer { src in
                for (k, t) in trials.enumerated() {
                    precondition(t >= 0 && t < responses.rows, "trial \(t) out of range 0..<\(responses.rows)")
                    (out + k * u).update(from: src.baseAddress! + t * u, count: u)
                }
            }
        }
    }

    /// Mean response per unit over the given trials (the null model's rates).
    public func meanResponse(of trials: [Int]) -> [Float] {
        responses.columnMeans(of: trials).map(Float.init)
    }
}
