// Stored (original, transformed) stimulus pairs of a file: what `receptive scramble` writes as
// `/pairs`, and what `receptive simulate --scrambled` records as `/ground_truth/partner` and
// `/ground_truth/scrambled`. The invariance test then compares responses to the two members of
// each pair instead of transforming stimuli on the fly.
import Foundation
import Tensors

/// Pairs of stimulus indices (original, transformed), each in 0..<N of the file's `/stimuli`.
public struct StimulusPairs: Equatable, Sendable {
    /// [P] (original, transformed).
    public let pairs: [(original: Int, transformed: Int)]
    /// Where they came from ("/pairs" or "/ground_truth/partner").
    public let source: String

    public init(pairs: [(original: Int, transformed: Int)], source: String) {
        self.pairs = pairs; self.source = source
    }

    public static func == (a: StimulusPairs, b: StimulusPairs) -> Bool {
        a.source == b.source && a.pairs.count == b.pairs.count
            && zip(a.pairs, b.pairs).allSatisfy { $0.original == $1.original && $0.transformed == $1.transformed }
    }

    public var originals: [Int] { pairs.map(\.original) }
    public var transformed: [Int] { pairs.map(\.transformed) }

    /// Reads the pairs of `file`: `path` ([P, 2], any integer type) when it exists, otherwise the
    /// simulator's `/ground_truth/partner` [N] with `/ground_truth/scrambled` [N] (pairs (i, partner[i])
    /// for the stimuli i that are not scrambled). Nil when the file has neither.
    /// - Throws: `ModelAnalysisError.pairs` for a wrong type, shape, or an index outside 0..<N.
    public static func read(file: String, stimulusCount n: Int, path: String = "/pairs") throws -> StimulusPairs? {
        let h5 = try HDF5File.open(file)
        if h5.exists(path) {
            let info = try h5.info(path)
            guard info.type.isInteger else {
                throw ModelAnalysisError.pairs(file: file, path: path, problem: "unsupported element type \(info.type); expected an integer type")
            }
            guard info.shape.count == 2, info.shape[1] == 2 else {
                throw ModelAnalysisError.pairs(file: file, path: path, problem: "has shape \(info.shape); expected [P, 2] (original, transformed)")
            }
            let v = try h5.readInts(path).values
            var out: [(Int, Int)] = []
            for p in 0..<info.shape[0] {
                let a = v[2 * p], b = v[2 * p + 1]
                for (col, x) in [(0, a), (1, b)] where x < 0 || x >= n {
                    throw ModelAnalysisError.pairs(file: file, path: path, problem: "entry [\(p), \(col)] is \(x), outside the stimulus range 0..<\(n)")
                }
                guard a != b else {
                    throw ModelAnalysisError.pairs(file: file, path: path, problem: "pair \(p) links stimulus \(a) to itself")
                }
                out.append((a, b))
            }
            return StimulusPairs(pairs: out, source: path)
        }
        let partnerPath = "/ground_truth/partner", flagPath = "/ground_truth/scrambled"
        guard h5.exists(partnerPath), h5.exists(flagPath) else { return nil }
        let partner = try h5.readDoubles(partnerPath).values, flag = try h5.readDoubles(flagPath).values
        guard partner.count == n, flag.count == n else {
            throw ModelAnalysisError.pairs(file: file, path: partnerPath, problem: "has \(partner.count) entries (and \(flagPath) \(flag.count)); expected one per stimulus (\(n))")
        }
        var out: [(Int, Int)] = []
        for i in 0..<n where flag[i] == 0 {
            let j = Int(partner[i])
            guard Double(j) == partner[i], j >= 0, j < n, j != i else {
                throw ModelAnalysisError.pairs(file: file, path: partnerPath, problem: "entry \(i) is \(partner[i]), not another stimulus index in 0..<\(n)")
            }
            out.append((i, j))
        }
        return StimulusPairs(pairs: out, source: partnerPath)
    }
}
