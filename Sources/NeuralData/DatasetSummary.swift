// What `receptive inspect` reports about a dataset: sizes, types, modality, split, repeats, mean
// rate per unit and the noise ceiling. Encodes to JSON with the keys documented in docs/data.md;
// undefined statistics (no repeats) are null.
import Foundation
import Tensors

@dynamicMemberLookup
public struct DatasetSummary: Codable, Equatable, DescribesDataset {
    public struct SplitSize: Codable, Equatable {
        public var stimuli: Int
        public var trials: Int
    }
    public struct Range: Codable, Equatable {
        public var min: Double?
        public var median: Double?
        public var max: Double?
        init(_ values: [Double]) {
            let v = values.filter { $0.isFinite }.sorted()
            min = v.first; max = v.last
            median = v.isEmpty ? nil : (v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2)
        }
    }
    public struct Repeats: Codable, Equatable {
        public var min: Int
        public var max: Int
        public var mean: Double
        /// Stimuli with at least two trials.
        public var stimuliWithRepeats: Int
        /// Histogram: repeats → number of stimuli, as [[repeats, stimuli], …] ascending.
        public var histogram: [[Int]]
    }
    public struct Unit: Codable, Equatable {
        public var name: String
        public var type: String?
        public var meanResponse: Double
        public var noiseVariance: Double?
        public var explainableVariance: Double?
        public var oracleCorrelation: Double?
    }
    public struct NoiseCeiling: Codable, Equatable {
        /// Stimuli with ≥ 2 repeats (all splits) the statistics use.
        public var stimuli: Int
        public var trials: Int
        public var oracleCorrelation: Range
        public var explainableVariance: Range
    }

    /// Counts, shapes, types, modality, split source, optional groups (encoded at the top level).
    public var dataset: DatasetDescription
    public var split: [String: SplitSize]
    public var repeats: Repeats
    public var units: [Unit]
    public var noiseCeiling: NoiseCeiling
    /// Mean log-likelihood per test observation of the true model (simulated files only).
    public var groundTruthTestLogLikelihood: Double?
    /// Where the file came from: the root string attributes in `provenanceAttributes` that it has
    /// (`generator`, `command`, and for imports `source_file`, `import_options`, `nwb_source`).
    public var provenance: [String: String]?

    /// Root attributes shown as provenance, in display order.
    public static let provenanceAttributes = ["generator", "command", "source_file", "import_options", "nwb_source"]

    private enum CodingKeys: String, CodingKey {
        case split, repeats, units, noiseCeiling, groundTruthTestLogLikelihood, provenance
    }

    public init(from decoder: Decoder) throws {
        dataset = try DatasetDescription(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        split = try c.decode([String: SplitSize].self, forKey: .split)
        repeats = try c.decode(Repeats.self, forKey: .repeats)
        units = try c.decode([Unit].self, forKey: .units)
        noiseCeiling = try c.decode(NoiseCeiling.self, forKey: .noiseCeiling)
        groundTruthTestLogLikelihood = try c.decodeIfPresent(Double.self, forKey: .groundTruthTestLogLikelihood)
        provenance = try c.decodeIfPresent([String: String].self, forKey: .provenance)
    }

    public func encode(to encoder: Encoder) throws {
        try dataset.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(split, forKey: .split)
        try c.encode(repeats, forKey: .repeats)
        try c.encode(units, forKey: .units)
        try c.encode(noiseCeiling, forKey: .noiseCeiling)
        try c.encodeIfPresent(groundTruthTestLogLikelihood, forKey: .groundTruthTestLogLikelihood)
        try c.encodeIfPresent(provenance, forKey: .provenance)
    }

    public init(_ d: Dataset) {
        dataset = DatasetDescription(d)
        var sizes: [String: SplitSize] = [:]
        var trialsPer = [Int](repeating: 0, count: 3)
        for s in d.stimulusIndex { trialsPer[Int(d.split[s].rawValue)] += 1 }
        for s in Split.allCases {
            sizes[s.description] = SplitSize(stimuli: d.split.filter { $0 == s }.count, trials: trialsPer[Int(s.rawValue)])
        }
        split = sizes
        let reps = d.repeatsPerStimulus
        var hist: [Int: Int] = [:]
        for r in reps { hist[r, default: 0] += 1 }
        repeats = Repeats(min: reps.min() ?? 0, max: reps.max() ?? 0,
                          mean: Double(d.trialCount) / Double(max(1, d.stimulusCount)),
                          stimuliWithRepeats: reps.filter { $0 >= 2 }.count,
                          histogram: hist.keys.sorted().map { [$0, hist[$0]!] })
        let stats = RepeatStatistics(dataset: d, stimuli: Array(0..<d.stimulusCount))
        let u = d.unitCount
        let r = d.responseMatrix
        var means = [Double](repeating: 0, count: u)
        for t in 0..<d.trialCount { for (j, y) in r.row(t).enumerated() { means[j] += Double(y) } }
        func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
        units = (0..<u).map { j in
            Unit(name: d.unitNames[j], type: d.unitTypes?[j], meanResponse: means[j] / Double(max(1, d.trialCount)),
                 noiseVariance: finite(stats.noiseVariance[j]), explainableVariance: finite(stats.explainableVarianceFraction[j]),
                 oracleCorrelation: finite(stats.oracleCorrelation[j]))
        }
        noiseCeiling = NoiseCeiling(stimuli: stats.repeatedStimulusCount, trials: stats.repeatedTrialCount,
                                    oracleCorrelation: Range(stats.oracleCorrelation),
                                    explainableVariance: Range(stats.explainableVarianceFraction))
        groundTruthTestLogLikelihood = d.groundTruth?.logLikelihood(on: d, split: .test)
        if FileManager.default.fileExists(atPath: d.file), let f = try? HDF5File.open(d.file) {
            var p: [String: String] = [:]
            for k in Self.provenanceAttributes { if let v = try? f.stringAttribute(k) { p[k] = v } }
            provenance = p.isEmpty ? nil : p
        }
    }

    /// JSON with snake_case keys, sorted, pretty-printed.
    public func json() throws -> String { try SnakeCaseJSON.encode(self, pretty: true) }

    /// A readable, aligned table.
    public func table() -> String {
        func f(_ x: Double?, _ digits: Int = 3) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "–" }
        func range(_ r: Range) -> String {
            guard let m = r.median else { return "– (no repeated stimuli)" }
            return "median \(f(m)) (min \(f(r.min)), max \(f(r.max)))"
        }
        let shape = dataset.stimulusShape.map(String.init).joined(separator: "×")
        let sp = ["train", "validation", "test"].map { k in "\(k) \(split[k]!.stimuli) stimuli / \(split[k]!.trials) trials" }
        var lines: [(String, String)] = [
            ("file", dataset.file),
            ("modality", dataset.modality + (dataset.modality == "spikes" ? " (Poisson)" : " (Gaussian)")),
            ("stimuli", "N = \(dataset.stimulusCount), \(shape) \(dataset.stimulusType) (stored as [\(dataset.storedStimulusShape.map(String.init).joined(separator: ", "))])"),
            ("responses", "T = \(dataset.trialCount) trials × U = \(dataset.unitCount) units, \(dataset.responseType)"),
            ("split", sp.joined(separator: ", ") + " (\(dataset.splitSource == "file" ? "from the file" : "seeded 80/10/10, no /split in the file"))"),
            ("repeats", "\(repeats.min)–\(repeats.max) per stimulus (mean \(f(repeats.mean, 2))); \(repeats.stimuliWithRepeats) stimuli repeated"),
            ("noise ceiling", "\(noiseCeiling.stimuli) repeated stimuli, \(noiseCeiling.trials) trials"),
            ("  oracle r", range(noiseCeiling.oracleCorrelation)),
            ("  explainable var", range(noiseCeiling.explainableVariance)),
            ("masks", dataset.hasMasks ? "yes" : "no"),
            ("ground truth", dataset.hasGroundTruth ? "yes" : "no"),
        ]
        if let ll = groundTruthTestLogLikelihood { lines.append(("  true-model LL", "\(f(ll, 4)) nats per test observation")) }
        for k in Self.provenanceAttributes { if let v = provenance?[k] { lines.append((k, v)) } }
        let keyWidth = lines.map(\.0.count).max() ?? 0
        var out = lines.map { $0.0.padding(toLength: keyWidth, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
        out += "\n\n"
        let header = ["unit", "name", "type", "mean response", "noise var", "explainable var", "oracle r"]
        var rows: [[String]] = [header]
        for (j, unit) in units.enumerated() {
            rows.append([String(j), unit.name, unit.type ?? "–", f(unit.meanResponse), f(unit.noiseVariance),
                         f(unit.explainableVariance), f(unit.oracleCorrelation)])
        }
        let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for (i, row) in rows.enumerated() {
            let cells = row.enumerated().map { c, text -> String in
                let pad = String(repeating: " ", count: widths[c] - text.count)
                return c >= 3 ? pad + text : text + pad   // numbers right-aligned
            }
            out += cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
            if i == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out
    }
}
