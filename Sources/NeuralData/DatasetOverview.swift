// What `receptive inspect` says about a file too large to read whole in a few seconds: everything
// the metadata declares (every header check of the contract passes first), plus the values of
// bounded samples — a few stimulus patches, a few blocks of trials, the start of the split — each
// checked as `Dataset.load` would check it. It says exactly what it sampled; values outside the
// samples are not read (`inspect --full` reads them all). Memory and time are bounded whatever
// the declared sizes: about `valueBudget` values per array.
import Foundation
import Tensors

@dynamicMemberLookup
public struct DatasetOverview: Codable, Equatable, DescribesDataset {
    public struct Stats: Codable, Equatable {
        public var values: Int
        public var min: Double?
        public var max: Double?
        public var mean: Double?
    }
    public struct Sample: Codable, Equatable {
        /// In words: which elements were read.
        public var description: String
        public var stats: Stats
    }

    /// Counts, shapes, types, modality, split source, optional groups (encoded at the top level).
    public var dataset: DatasetDescription
    public var stimulusChunks: [Int]?
    /// Bytes the arrays declare as stored (not what the file occupies: unwritten chunks cost nothing).
    public var declaredStimulusBytes: Double
    public var declaredResponseBytes: Double
    public var hasStimulusIndex: Bool
    public var stimuliSample: Sample
    public var responsesSample: Sample
    public var stimulusIndexSample: Sample?
    public var splitSample: Sample?
    /// Stimuli per split value among the sampled split entries (train, validation, test).
    public var splitCounts: [String: Int]?
    /// Mean response of the first units (at most 20) over the sampled trials.
    public var unitMeans: [Double]
    public var unitNames: [String]?
    /// Always false here: values outside the samples were not read.
    public var fullScan: Bool

    private enum CodingKeys: String, CodingKey {
        case stimulusChunks, declaredStimulusBytes, declaredResponseBytes, hasStimulusIndex, stimuliSample, responsesSample
        case stimulusIndexSample, splitSample, splitCounts, unitMeans, unitNames, fullScan
    }

    public init(from decoder: Decoder) throws {
        dataset = try DatasetDescription(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stimulusChunks = try c.decodeIfPresent([Int].self, forKey: .stimulusChunks)
        declaredStimulusBytes = try c.decode(Double.self, forKey: .declaredStimulusBytes)
        declaredResponseBytes = try c.decode(Double.self, forKey: .declaredResponseBytes)
        hasStimulusIndex = try c.decode(Bool.self, forKey: .hasStimulusIndex)
        stimuliSample = try c.decode(Sample.self, forKey: .stimuliSample)
        responsesSample = try c.decode(Sample.self, forKey: .responsesSample)
        stimulusIndexSample = try c.decodeIfPresent(Sample.self, forKey: .stimulusIndexSample)
        splitSample = try c.decodeIfPresent(Sample.self, forKey: .splitSample)
        splitCounts = try c.decodeIfPresent([String: Int].self, forKey: .splitCounts)
        unitMeans = try c.decode([Double].self, forKey: .unitMeans)
        unitNames = try c.decodeIfPresent([String].self, forKey: .unitNames)
        fullScan = try c.decode(Bool.self, forKey: .fullScan)
    }

    public func encode(to encoder: Encoder) throws {
        try dataset.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(stimulusChunks, forKey: .stimulusChunks)
        try c.encode(declaredStimulusBytes, forKey: .declaredStimulusBytes)
        try c.encode(declaredResponseBytes, forKey: .declaredResponseBytes)
        try c.encode(hasStimulusIndex, forKey: .hasStimulusIndex)
        try c.encode(stimuliSample, forKey: .stimuliSample)
        try c.encode(responsesSample, forKey: .responsesSample)
        try c.encodeIfPresent(stimulusIndexSample, forKey: .stimulusIndexSample)
        try c.encodeIfPresent(splitSample, forKey: .splitSample)
        try c.encodeIfPresent(splitCounts, forKey: .splitCounts)
        try c.encode(unitMeans, forKey: .unitMeans)
        try c.encodeIfPresent(unitNames, forKey: .unitNames)
        try c.encode(fullScan, forKey: .fullScan)
    }

    init(dataset: DatasetDescription, stimulusChunks: [Int]?, declaredStimulusBytes: Double, declaredResponseBytes: Double,
         hasStimulusIndex: Bool, stimuliSample: Sample, responsesSample: Sample, stimulusIndexSample: Sample?,
         splitSample: Sample?, splitCounts: [String: Int]?, unitMeans: [Double], unitNames: [String]?, fullScan: Bool) {
        self.dataset = dataset; self.stimulusChunks = stimulusChunks; self.declaredStimulusBytes = declaredStimulusBytes
        self.declaredResponseBytes = declaredResponseBytes; self.hasStimulusIndex = hasStimulusIndex
        self.stimuliSample = stimuliSample; self.responsesSample = responsesSample
        self.stimulusIndexSample = stimulusIndexSample; self.splitSample = splitSample; self.splitCounts = splitCounts
        self.unitMeans = unitMeans; self.unitNames = unitNames; self.fullScan = fullScan
    }

    /// Values read per array, at most.
    public static let valueBudget = 1 << 20

    /// Whether `Dataset.load` reads this file in about a second (then `inspect` checks every value).
    public static func isSmall(_ h: DatasetHeader) -> Bool {
        let s = h.stimulusInfo.shape.reduce(1.0) { $0 * Double($1) }
        let r = Double(h.trialCount) * Double(h.unitCount)
        return s * 4 <= 256 * 1_048_576 && r <= 32e6 && h.stimulusCount <= 4_000_000 && h.trialCount <= 16_000_000
    }

    /// Reads the header and the samples; throws `DatasetError` at the first problem found.
    public static func read(_ file: String, options: DatasetLoadOptions = DatasetLoadOptions(), seed: UInt64 = 0) throws -> DatasetOverview {
        let h = try Dataset.readHeader(file, options: options)
        let h5 = h.h5, p = h.paths
        let sShape = h.stimulusInfo.shape
        let n = h.stimulusCount, t = h.trialCount, u = h.unitCount
        var rng = SeededRandom(seed: seed)

        // Stimuli: up to 8 (first, last, 6 seeded at random), a central patch of ≤ 128×128 pixels
        // in ≤ 4 channels of each.
        var chosen = Set([0, n - 1])
        while chosen.count < min(n, 8) { chosen.insert(Int(rng.next() % UInt64(n))) }
        let rowsPicked = chosen.sorted()
        let rank = sShape.count
        let hh = sShape[rank - 2], ww = sShape[rank - 1], c = rank == 4 ? sShape[1] : 1
        let ph = min(hh, 128), pw = min(ww, 128), pc = min(c, 4)
        let y0 = (hh - ph) / 2, x0 = (ww - pw) / 2
        var sStats = Accumulator()
        for row in rowsPicked {
            let start = rank == 4 ? [row, 0, y0, x0] : [row, y0, x0]
            let count = rank == 4 ? [1, pc, ph, pw] : [1, ph, pw]
            let v = try Dataset.read(file, p.stimuli) { try h5.readDoubles(p.stimuli, start: start, count: count) }
            for (k, x) in v.enumerated() {
                if !x.isFinite {
                    var pos = [row], rest = k
                    let dims = Array(count.dropFirst())
                    var idx = [Int](repeating: 0, count: dims.count)
                    for a in stride(from: dims.count - 1, through: 0, by: -1) { idx[a] = rest % dims[a]; rest /= dims[a] }
                    pos += zip(idx, start.dropFirst()).map { $0 + $1 }
                    throw DatasetError.nonFinite(file: file, path: p.stimuli, position: pos, value: Float(x))
                }
                sStats.add(x)
            }
        }
        let patch = "\(pc == c ? "" : "first \(pc) of \(c) channels, ")\(ph == hh && pw == ww ? "whole \(hh)×\(ww) images" : "central \(ph)×\(pw) patches")"
        let stimuliSample = Sample(description: "\(rowsPicked.count) of \(n) stimuli (\(patch); rows \(describe(rowsPicked)))",
                                   stats: sStats.stats)

        // Trials: blocks of rows (first block, then up to 3 seeded blocks), the first ≤ 4096 units.
        let cols = min(u, 4096)
        let blockRows = max(1, min(t, valueBudget / 4 / cols))
        var blocks = [0]
        let blockCount = (t + blockRows - 1) / blockRows
        while blocks.count < min(blockCount, 4) {
            let b = Int(rng.next() % UInt64(blockCount))
            if !blocks.contains(b) { blocks.append(b) }
        }
        blocks.sort()
        var rStats = Accumulator(), iStats = Accumulator()
        var sums = [Double](repeating: 0, count: min(u, 20))
        var trialsRead = 0
        for b in blocks {
            let r0 = b * blockRows, rows = min(blockRows, t - r0)
            let v = try Dataset.read(file, p.responses) { try h5.readDoubles(p.responses, start: [r0, 0], count: [rows, cols]) }
            for (k, y) in v.enumerated() {
                let trial = r0 + k / cols, unit = k % cols
                if !y.isFinite { throw DatasetError.nonFinite(file: file, path: p.responses, position: [trial, unit], value: Float(y)) }
                if h.countModel {
                    if y < 0 { throw DatasetError.negativeResponse(file: file, path: p.responses, trial: trial, unit: unit, value: y) }
                    if !options.quasiLikelihood && y != y.rounded() {
                        throw DatasetError.nonIntegerCount(file: file, path: p.responses, trial: trial, unit: unit, value: y)
                    }
                }
                rStats.add(y)
                if unit < sums.count { sums[unit] += y }
            }
            trialsRead += rows
            if h.hasIndex {
                let idx = try Dataset.read(file, p.stimulusIndex) { try h5.readDoubles(p.stimulusIndex, start: [r0], count: [rows]) }
                for (k, x) in idx.enumerated() {
                    guard x >= 0 && x < Double(n) else {
                        throw DatasetError.indexOutOfRange(file: file, path: p.stimulusIndex, position: r0 + k,
                                                           value: x.magnitude < 9e18 ? Int(x) : (x < 0 ? Int.min : Int.max), count: n)
                    }
                    iStats.add(x)
                }
            }
        }
        let trialBlocks = blocks.map { b in "\(b * blockRows)..<\(min(t, (b + 1) * blockRows))" }.joined(separator: ", ")
        let unitsText = cols == u ? "all \(u) units" : "the first \(cols) of \(u) units"
        let responsesSample = Sample(description: "\(trialsRead) of \(t) trials (rows \(trialBlocks)) × \(unitsText)", stats: rStats.stats)
        let indexSample = h.hasIndex ? Sample(description: "the same \(trialsRead) trials", stats: iStats.stats) : nil

        // Split: its first ≤ valueBudget entries.
        var splitSample: Sample? = nil, splitCounts: [String: Int]? = nil
        if h.hasSplit {
            let m = min(n, valueBudget)
            let v = try Dataset.read(file, p.split) { try h5.readDoubles(p.split, start: [0], count: [m]) }
            var counts = [0, 0, 0], st = Accumulator()
            for (k, x) in v.enumerated() {
                guard x == 0 || x == 1 || x == 2 else {
                    throw DatasetError.invalidSplitValue(file: file, path: p.split, position: k,
                                                         value: x.isFinite && x.magnitude < 9e18 ? Int(x) : -1)
                }
                counts[Int(x)] += 1; st.add(x)
            }
            splitSample = Sample(description: m == n ? "all \(n) entries" : "entries 0..<\(m) of \(n)", stats: st.stats)
            splitCounts = ["train": counts[0], "validation": counts[1], "test": counts[2]]
        }

        var names: [String]? = nil
        if h.hasNames && u <= 100_000 {
            names = Array(try Dataset.read(file, p.unitNames) { try h5.readStrings(p.unitNames) }.prefix(20))
        }
        let chunks = try? h5.chunkShape(p.stimuli)
        let sBytes = sShape.reduce(1.0) { $0 * Double($1) } * Double(h.stimulusInfo.type.byteSize)
        let rBytes = Double(t) * Double(u) * Double(h.responseInfo.type.byteSize)
        let description = DatasetDescription(
            file: file, stimulusCount: n, trialCount: t, unitCount: u, stimulusShape: h.stimulusShape, storedStimulusShape: sShape,
            stimulusType: h.stimulusInfo.type.description, responseType: h.responseInfo.type.description,
            modality: h.modality.rawValue, splitSource: h.hasSplit ? "file" : "seeded",
            hasMasks: h.hasMasks, hasGroundTruth: h5.isGroup(p.groundTruth))
        return DatasetOverview(
            dataset: description, stimulusChunks: chunks ?? nil,
            declaredStimulusBytes: sBytes, declaredResponseBytes: rBytes, hasStimulusIndex: h.hasIndex,
            stimuliSample: stimuliSample, responsesSample: responsesSample,
            stimulusIndexSample: indexSample, splitSample: splitSample, splitCounts: splitCounts,
            unitMeans: sums.map { $0 / Double(max(1, trialsRead)) }, unitNames: names, fullScan: false)
    }

    private static func describe(_ rows: [Int]) -> String {
        rows.map(String.init).joined(separator: ", ")
    }

    private struct Accumulator {
        var count = 0, sum = 0.0, lo = Double.infinity, hi = -Double.infinity
        mutating func add(_ x: Double) { count += 1; sum += x; lo = Swift.min(lo, x); hi = Swift.max(hi, x) }
        var stats: Stats {
            Stats(values: count, min: count > 0 ? lo : nil, max: count > 0 ? hi : nil, mean: count > 0 ? sum / Double(count) : nil)
        }
    }

    /// JSON with snake_case keys, sorted, pretty-printed.
    public func json() throws -> String { try SnakeCaseJSON.encode(self, pretty: true) }

    /// A readable, aligned table.
    /// The overview as a table; `fullCheck` says how to check every value (the caller's command),
    /// appended to the last line.
    public func table(fullCheck: String? = nil) -> String {
        func f(_ x: Double?, _ d: Int = 3) -> String { x.map { String(format: "%.\(d)g", $0) } ?? "–" }
        func stats(_ s: Stats) -> String { "\(s.values) values, min \(f(s.min)), mean \(f(s.mean)), max \(f(s.max))" }
        func bytes(_ b: Double) -> String {
            let tib = 1_099_511_627_776.0, gib = 1_073_741_824.0, mib = 1_048_576.0
            return b >= tib ? String(format: "%.1f TiB", b / tib) : b >= gib ? String(format: "%.1f GiB", b / gib) : String(format: "%.1f MiB", b / mib)
        }
        let shape = dataset.stimulusShape.map(String.init).joined(separator: "×")
        var lines: [(String, String)] = [
            ("file", dataset.file),
            ("modality", dataset.modality + (dataset.modality == "spikes" ? " (Poisson)" : " (Gaussian)")),
            ("stimuli", "N = \(dataset.stimulusCount), \(shape) \(dataset.stimulusType) (stored as [\(dataset.storedStimulusShape.map(String.init).joined(separator: ", "))], \(bytes(declaredStimulusBytes))"
                + (stimulusChunks.map { ", chunks [\($0.map(String.init).joined(separator: ", "))]" } ?? ", contiguous") + ")"),
            ("responses", "T = \(dataset.trialCount) trials × U = \(dataset.unitCount) units, \(dataset.responseType) (\(bytes(declaredResponseBytes)))"),
            ("stimulus index", hasStimulusIndex ? "yes" : "no (trial t shows stimulus t)"),
            ("split", dataset.splitSource == "file" ? "from the file" : "seeded 80/10/10 (no /split in the file)"),
            ("masks", dataset.hasMasks ? "yes" : "no"),
            ("ground truth", dataset.hasGroundTruth ? "yes" : "no"),
            ("sampled stimuli", stimuliSample.description),
            ("  values", stats(stimuliSample.stats)),
            ("sampled responses", responsesSample.description),
            ("  values", stats(responsesSample.stats)),
        ]
        if let s = stimulusIndexSample { lines.append(("sampled index", s.description + ": all in range")) }
        if let s = splitSample, let c = splitCounts {
            lines.append(("sampled split", "\(s.description): train \(c["train"]!), validation \(c["validation"]!), test \(c["test"]!)"))
        }
        if !unitMeans.isEmpty {
            let shown = unitMeans.enumerated().map { j, m in "\(unitNames.map { j < $0.count ? $0[j] : String(j) } ?? String(j)) \(f(m))" }
            lines.append(("mean response", shown.joined(separator: ", ") + (dataset.unitCount > unitMeans.count ? ", … (first \(unitMeans.count) units, sampled trials)" : " (sampled trials)")))
        }
        lines.append(("checked", "headers of every array, and the sampled values above; nothing else was read" + (fullCheck.map { " — \($0) to check every value" } ?? "")))
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n") + "\n"
    }
}
