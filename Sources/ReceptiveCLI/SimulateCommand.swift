// receptive simulate --out FILE: a simulated recording with ground truth (NeuralData.Simulator).
import ArgumentParser
import Foundation
import NeuralData
import Tensors

struct SimulateCommand: ParsableCommand, WithForceFlag, WithJSONFlag, WithQuietFlag {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a recording from model cells with known parameters; write a dataset file with /ground_truth.",
        discussion: "The same options and seed write the same file, bit for bit. See docs/data.md.")

    @Option(help: ArgumentHelp("Output HDF5 file.", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Cell families, comma separated, each optionally with a count: simple, complex, v2, voxel (e.g. simple:12,complex:8).", valueName: "list"))
    var cells = "simple,complex"

    @Option(name: .customLong("units-per-family"), help: "Units of a family listed without a count.")
    var unitsPerFamily = 8

    @Option(help: "Number of distinct stimuli N.")
    var stimuli = 1000

    @Option(help: "Repeats (trials) of every stimulus.")
    var repeats = 1

    @Option(name: .customLong("test-repeats"), help: "Repeats of test-split stimuli (default: --repeats).")
    var testRepeats: Int?

    @Option(help: "Stimulus family: white-noise, gratings, dead-leaves, natural-1f.")
    var family: StimulusFamily = .natural1f

    @Option(help: "Image side in pixels.")
    var size = 32

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 0

    @Flag(help: "Add a phase-scrambled partner of every stimulus (N → 2N).")
    var scrambled = false

    @Option(help: "Frames per drifting grating (1: static gratings).")
    var frames = 8

    @Option(help: "Stored stimulus type: uint8 or float32.")
    var dtype: SimulatedStimulusType = .uint8

    @Option(help: ArgumentHelp("Range of the spiking units' mean rates, spikes per trial, as MIN,MAX (default: 1,4).", valueName: "min,max"), transform: CommaList<Double>.parse)
    var rate = CommaList<Double>([1, 4])

    @OptionGroup var forceFlag: ForceFlag

    @OptionGroup var jsonFlag: JSONFlag

    @OptionGroup var quietFlag: QuietFlag

    func options() throws -> SimulationOptions {
        let parts = rate.values
        guard parts.count == 2 else {
            throw OptionError(option: "--rate", reason: "'\(rate)' is not MIN,MAX (e.g. 1,4)")
        }
        let lo = parts[0], hi = parts[1]
        return SimulationOptions(cells: try CellCount.parse(cells, defaultCount: unitsPerFamily), stimulusCount: stimuli,
                                 repeats: repeats, testRepeats: testRepeats, family: family, size: size, seed: seed,
                                 scrambledPartners: scrambled, gratingFrames: frames, stimulusType: dtype,
                                 rateMin: lo, rateMax: hi)
    }

    /// The command line that regenerates a simulation bit for bit (stored in the file).
    static func commandLine(_ o: SimulationOptions) -> String {
        var c = "receptive simulate --out FILE --cells \(o.cells.map(\.description).joined(separator: ","))"
        c += " --stimuli \(o.stimulusCount) --repeats \(o.repeats)"
        if let r = o.testRepeats { c += " --test-repeats \(r)" }
        c += " --family \(o.family.rawValue) --size \(o.size) --seed \(o.seed)"
        if o.scrambledPartners { c += " --scrambled" }
        if o.family == .gratings { c += " --frames \(o.gratingFrames)" }
        c += " --dtype \(o.stimulusType.rawValue) --rate \(o.rateMin),\(o.rateMax)"
        return c
    }

    func validate() throws {
        if unitsPerFamily < 1 { throw ValidationError("--units-per-family must be at least 1") }
    }

    func run() throws {
        let o = try options()
        try o.validate()
        try OutputPolicy.checkFile(out, force: force)
        let start = Date()
        if !quiet { FileHandle.standardError.write("simulating \(o.unitCount) units on \(o.stimulusCount) \(o.family.rawValue) stimuli of \(o.size)×\(o.size)…\n".data(using: .utf8)!) }
        let data = try Simulator.simulate(o)
        try data.write(to: out, overwrite: force, command: Self.commandLine(o))
        let seconds = Date().timeIntervalSince(start)
        if json {
            let summary: JSONValue = ["file": .string(out), "stimulus_count": .int(data.stimulusCount), "trial_count": .int(data.trialCount),
                                      "unit_count": .int(data.unitCount), "modality": .string(o.modality.rawValue),
                                      "unit_types": .array(data.unitTypes.map { .string($0) }), "command": .string(Self.commandLine(o)),
                                      "seconds": .double(seconds)]
            print(summary.text(indent: 2))
        } else if !quiet {
            FileHandle.standardError.write(String(format: "wrote %@: N = %d stimuli, T = %d trials, U = %d units (%.1f s)\n",
                                                  out, data.stimulusCount, data.trialCount, data.unitCount, seconds).data(using: .utf8)!)
        }
    }
}
