// A synthetic contract file of any size, written in row blocks and never held whole: for the
// streaming tests (NeuralDataTests/StreamingTests) and `receptive-bench stream`.
import Foundation
import Tensors

public enum LargeContractFile {
    public struct FileInfo {
        public let path: String
        public let bytes: Int
        public let stimulusCount: Int
        public let shape: [Int]
        public let seconds: Double
    }

    /// Writes a contract file of at least `bytes` bytes of uint8 stimuli [N, 1, side, side] with
    /// Poisson-like integer responses [N, units] (one trial per stimulus, no index, seeded split
    /// left to the reader). Memory in use is one block of `blockRows` stimuli.
    public static func generate(at path: String, bytes: Int, side: Int = 128, units: Int = 16,
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
}

public enum ResidentMemory {
    /// Resets VmHWM to the current RSS (Linux: writing 5 to /proc/self/clear_refs).
    @discardableResult
    public static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }
}
