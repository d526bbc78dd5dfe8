// Bounded-memory streaming, shown (`receptive-bench stream`): a dataset file larger than memory
// (TestSupport's LargeContractFile, written in row blocks, never held whole), then one shuffled
// epoch of minibatches drawn from it through `HDF5StimulusSource`, each handed to a caller's
// closure (the trainer), and the peak resident set size.
import Foundation
import Tensors
import NeuralData
import TestSupport

enum StreamingBenchmark {
    struct EpochReport: CustomStringConvertible {
        let fileBytes: Int, trials: Int, batches: Int
        let seconds: Double
        /// Peak resident set size during the epoch (VmHWM, reset before the epoch where the kernel
        /// allows; otherwise the process's peak so far).
        let peakResidentBytes: Int, peakWasReset: Bool
        let stimulusBytesRead: Int
        var description: String {
            let gb = Double(fileBytes) / 1e9, mb = Double(peakResidentBytes) / 1_048_576
            return String(format: "streamed one epoch over a %.2f GB file: %d trials in %d batches, %.1f s (%.0f MB/s of stimuli as float32), peak RSS %.0f MiB%@",
                          gb, trials, batches, seconds, Double(stimulusBytesRead) / 1e6 / max(seconds, 1e-9), mb,
                          peakWasReset ? "" : " (process peak; could not reset)")
        }
    }

    /// Loads `path` with streamed stimuli (timed and measured from here) and draws one epoch of training minibatches (shuffled,
    /// seeded), each passed to `body` (preprocessed when `preprocessing` is given).
    static func runEpoch(path: String, batchSize: Int = 256, seed: UInt64 = 0,
                                preprocessing: Preprocessing? = nil,
                                body: (Minibatch) throws -> Void = { _ in }) throws -> EpochReport {
        // The peak covers loading (responses, index, split in memory) and the epoch.
        let reset = ResidentMemory.resetPeak()
        let start = Date()
        let dataset = try Dataset.load(path, options: DatasetLoadOptions(storage: .stream))
        let sampler = MinibatchSampler(trials: dataset.trials(in: .train), batchSize: batchSize, seed: seed)
        var batches = 0, trials = 0
        for batch in sampler.batches(epoch: 0) {
            let mb = try dataset.minibatch(trials: batch, preprocessing: preprocessing)
            try body(mb)
            batches += 1; trials += batch.count
        }
        let seconds = Date().timeIntervalSince(start)
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        let read = (dataset.stimulusSource as? HDF5StimulusSource)?.floatsRead ?? 0
        return EpochReport(fileBytes: size, trials: trials, batches: batches, seconds: seconds,
                           peakResidentBytes: peakResidentBytes() ?? 0, peakWasReset: reset, stimulusBytesRead: read * 4)
    }
}
