// Time series (per-TR responses, `/runs` present): the FIR approach of the voxelwise tutorials.
// Trial t (one TR) showed stimulus s(t) in run r(t); its design row stacks the features of the
// stimuli shown d TRs earlier in the same run, for every delay d of `delays`:
//     row_t = [Φ(s(t − d₁)) · 1{r(t − d₁) = r(t)}, …, Φ(s(t − d_D)) · 1{r(t − d_D) = r(t)}]
// (zeros before a run's start), so that each voxel learns its own haemodynamic lag. Trials are
// consecutive TRs in file order within a run.
import Foundation
import Tensors
import NeuralData

public enum DelayedFeatures {
    /// The run of every trial, `/runs` [T] integers; nil when the file has none.
    public static func runs(file: String, path: String = "/runs", trials: Int) throws -> [Int]? {
        let f = try HDF5File.open(file)
        guard f.exists(path) else { return nil }
        let (shape, values) = try f.readInts(path)
        guard shape.count == 1, shape[0] == trials else {
            throw EncodingError.incompatibleData(reason: "\(file): \(path) has shape \(shape), expected [\(trials)] (one run id per trial)")
        }
        return values
    }

    /// Rows `trials` of the delayed design: [trials.count, F · D] from Φ of all stimuli ([N, F]).
    public static func design(features phi: FeatureMatrix, stimulusIndex: [Int], runs: [Int], trials: [Int], delays: [Int]) -> FeatureMatrix {
        let f = phi.columns, d = delays.count, cols = f * d
        var v = [Float](repeating: 0, count: trials.count * cols)
        for (k, t) in trials.enumerated() {
            for (di, delay) in delays.enumerated() {
                let src = t - delay
                guard src >= 0, src < runs.count, runs[src] == runs[t] else { continue }
                let s = stimulusIndex[src]
                for j in 0..<f { v[k * cols + di * f + j] = phi.values[s * f + j] }
            }
        }
        let names = delays.flatMap { dl in phi.descriptions.map { "\($0) (delay \(dl) TR)" } }
        return FeatureMatrix(values: v, rows: trials.count, columns: cols, descriptions: names)
    }
}
