// receptive scramble IN --out OUT: originals and their phase-scrambled versions in one file, linked
// by /pairs, for presenting to neurons and for `receptive invariance --transform pairs`.
import ArgumentParser
import Foundation
import Tensors
import NeuralData
import Analysis

struct ScrambleCommand: ParsableCommand, WithForceFlag, WithQuietFlag {
    static let configuration = CommandConfiguration(
        commandName: "scramble",
        abstract: "Write a file with every stimulus and its phase-scrambled version (2N stimuli, /pairs).",
        discussion: """
        OUT holds /stimuli float32 [2N, …] (IN's N stimuli as stored, then their scrambles, same shape), \
        /pairs int64 [N, 2] = (i, N + i), and IN's modality. When IN is a dataset, OUT is one too: its \
        responses, trial index, unit names and split are copied (no trial shows a scrambled stimulus, so \
        OUT is a stimulus set ready for recording and a valid dataset for fitting and scoring; a \
        scrambled stimulus is in its original's split). A stimulus-only IN gives a stimulus set (no \
        /responses; `inspect` rejects it, `invariance` takes it). Colour images share one noise phase \
        across channels. See docs/analysis.md.
        Example: receptive scramble data/demo.h5 --out demo-scrambled.h5 --seed 1
        """)

    @Argument(help: "Input HDF5 file (a dataset or a stimulus set with /stimuli).") var input: String
    @Option(help: "Output HDF5 file.") var out: String
    @Option(help: "Scrambling strength α in [0, 1] (1: full scramble).") var alpha = 1.0
    @Option(help: ArgumentHelp("Scramble only radial frequencies LO ≤ ρ ≤ HI cycles/pixel (0 < LO < HI ≤ 0.5).", valueName: "lo,hi"))
    var band: String?
    @Option(help: "Seed of the noise phases.") var seed: UInt64 = 0
    @OptionGroup var forceFlag: ForceFlag
    @OptionGroup var quietFlag: QuietFlag
    @OptionGroup var dataset: DatasetOptions

    func run() throws {
        let scrambler = try PhaseScrambler(alpha: alpha, band: try band.map { try FrequencyBand(parsing: $0) })
        try OutputPolicy.checkFile(out, force: force)
        if URL(fileURLWithPath: out).standardizedFileURL == URL(fileURLWithPath: input).standardizedFileURL {
            throw OptionError(option: "--out", reason: "\(out) is the input file")
        }
        let stim = try AnalysisStimuli.load(input, options: dataset.loadOptions())
        let n = stim.count, per = stim.source.itemCount
        let shape = stim.storedShape
        let outShape = [2 * n] + Array(shape.dropFirst())
        progress("scrambling \(n) stimuli \(stim.itemShape.map(String.init).joined(separator: "×")) (alpha \(alpha)\(band.map { ", band \($0)" } ?? ""), seed \(seed))…", quiet: quiet)
        let modality = try stim.dataset.map { $0.modality.rawValue } ?? HDF5File.open(input).stringAttribute("modality")
        var settings: [String: Any] = ["alpha": alpha, "seed": seed, "source": input]
        if let b = scrambler.band { settings["band"] = [b.low, b.high] }
        let settingsJSON = String(decoding: try JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys]), as: UTF8.self)

        try HDF5File.writeAtomically(to: out, overwrite: force) { f in
            try f.createDataset("/stimuli", type: .float32, shape: outShape, chunkRows: min(n, 64))
            // Same random stream as `invariance --transform phase-scramble --seed S` on all stimuli,
            // so both give the same scrambled images.
            var rng = SeededRandom.derived(seed: seed, stream: ModelInvariance.transformStream)
            var start = 0
            while start < n {
                let end = min(n, start + 256)
                let x = try stim.source.stimuli(Array(start..<end))
                let y = try scrambler.scramble(x, rng: &rng)
                try f.writeRows("/stimuli", rows: start..<end, floats: x.data)
                try f.writeRows("/stimuli", rows: (n + start)..<(n + end), floats: y.data)
                start = end
            }
            precondition(per > 0)
            var pairs = [Int]()
            for i in 0..<n { pairs.append(i); pairs.append(n + i) }
            try f.write("/pairs", int64s: pairs, shape: [n, 2])
            if let d = stim.dataset {
                let u = d.unitCount
                if d.responseType.isInteger {
                    try f.write("/responses", int32s: d.responses.map { Int32($0) }, shape: [d.trialCount, u])
                } else {
                    try f.write("/responses", floats: d.responses, shape: [d.trialCount, u])
                }
                try f.write("/stimulus_index", int64s: d.stimulusIndex, shape: [d.trialCount])
                try f.write("/split", uint8s: (d.split + d.split).map(\.rawValue), shape: [2 * n])
                if d.hasUnitNames { try f.write("/unit_names", strings: d.unitNames) }
                if let m = d.masks {
                    // A scrambled image has no foreground: its mask is empty (as `simulate --scrambled`).
                    try f.write("/masks", uint8s: m + [UInt8](repeating: 0, count: m.count), shape: [2 * n, d.height, d.width], compress: true)
                }
            }
            if let m = modality { try f.setAttribute("modality", string: m) }
            try f.setAttribute("generator", string: "receptive scramble")
            try f.setAttribute("scramble", string: settingsJSON)
        }
        progress("wrote \(out): \(2 * n) stimuli (\(n) originals, \(n) scrambled), /pairs [\(n), 2]" +
                 (stim.dataset == nil ? " — a stimulus set (no responses)" : ", responses of \(stim.dataset!.trialCount) trials copied"), quiet: quiet)
    }
}
