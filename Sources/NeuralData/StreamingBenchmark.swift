// Bounded-memory streaming, shown: generate a dataset file larger than memory (written in row
// blocks, never held whole), then draw one shuffled epoch of minibatches from it through
// `HDF5StimulusSource`, handing each batch to a caller's closure (the trainer, in the benchmark),
// and report the peak resident set size.
import Foundation
import Tensors

public enum StreamingBenchmark {
    public struct FileInfo {
        public let path: String
        public let bytes: Int
        public let stimulusCount: Int
        public let shape: [Int]
        public let seconds: Double
    }

    public struct EpochReport: CustomStringConvertible {
        public let fileBytes: Int
        public let trials: Int
        public let batches: Int
        public let seconds: Double
        /// Peak resident set size during the epoch (VmHWM, reset before the epoch where the kernel
        /// allows; otherwise the process's peak so far).
        public let peakResidentBytes: Int
        public let peakWasReset: Bool
        public let stimulusBytesRead: Int
        public var description: String {
            let gb = Double(fileBytes) / 1e9, mb = Double(peakResidentBytes) / 1_048_576
            return String(format: "streamed one epoch over a %.2f GB file: %d trials in %d batches, %.1f s (%.0f MB/s of stimuli as float32), peak RSS %.0f MiB%@",
                          gb, trials, batches, seconds, Double(stimulusBytesRead) / 1e6 / max(seconds, 1e-9), mb,
                          peakWasReset ? "" : " (process peak; could not reset)")
        }
    }

    /// Writes a contract file of at least `bytes` bytes of uint8 stimuli [N, 1, side, side] with
    /// Poisson-like integer responses [N, units] (one trial per stimulus, no index, seeded split
    /// left to the reader). Memory in use is one block of `blockRows` stimuli.
    public static func generateFile(at path: String, bytes: Int, side: Int = 128, units: Int = 16,
                                    seed: UInt64 = 1, blockRows: Int = 2048) throws -> FileInfo {
        let start = Date()
        let plane = side * side
        let n = max(2, (bytes + plane - 1) / plane)
        try HDF5File.writeAtomically(to: path, overwrite: true) { f in
            try f.createDataset("/stimuli", type: .uint8, shape: [n, 1, side, side])
            var rng = SeededRandom(seed: seed)
            var block = [UInt8](repeating: 0, count: min(n, blockRows) * plane)
            var row = 0
            while row < n {
                let end = min(n, row + blockRows)
                let count = (end - row) * plane
                if block.count != count { block = [UInt8](repeating: 0, count: count) }
                // Cheap pseudo-random texture: 8 random bytes per next() call.
                var k = 0
                while k < count {
                    var v = rng.next()
                    for _ in 0..<min(8, count - k) { block[k] = UInt8(truncatingIfNeeded: v); v >>= 8; k += 1 }
                }
                try f.writeRows("/stimuli", rows: row..<end, uint8s: block)
                row = end
            }
            var responses = [Float](repeating: 0, count: n * units)
            for i in 0..<responses.count { responses[i] = Float(rng.poisson(2)) }
            try f.write("/responses", floats: responses, shape: [n, units])
            try f.setAttribute("modality", string: "spikes")
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        return FileInfo(path: path, bytes: size, stimulusCount: n, shape: [n, 1, side, side],
                        seconds: Date().timeIntervalSince(start))
    }

    /// Loads `path` with streamed stimuli (timed and measured from here) and draws one epoch of training minibatches (shuffled,
    /// seeded), each passed to `body` (preprocessed when `preprocessing` is given).
    public static func runEpoch(path: String, batchSize: Int = 256, seed: UInt64 = 0,
                                preprocessing: Preprocessing? = nil,
                                body: (Minibatch) throws -> Void = { _ in }) throws -> EpochReport {
        // The peak covers loading (responses, index, split in memory) and the epoch.
        let reset = resetPeakResident()
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

    /// Resets VmHWM to the current RSS (Linux: writing 5 to /proc/self/clear_refs).
    @discardableResult
    public static func resetPeakResident() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }
}
