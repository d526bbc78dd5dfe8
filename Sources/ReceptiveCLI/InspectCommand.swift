// receptive inspect FILE [--json] [--full]: what a dataset holds. A file that reads in about a
// second is validated whole; a larger one is summarised from its metadata plus bounded samples
// (docs/reliability.md), and --full reads and checks every value, with progress.
import ArgumentParser
import Foundation
import NeuralData

struct InspectCommand: ParsableCommand, WithJSONFlag, WithQuietFlag {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Validate a dataset file and summarise it: sizes, types, split, repeats, rates, noise ceiling.",
        discussion: """
        Prints an aligned table, or with --json the keys documented in docs/data.md. A file too large \
        to read in about a second is summarised from its headers and bounded samples of its values \
        (the output says which); --full reads and checks every value.
        """)

    @Argument(help: "The HDF5 dataset file.")
    var file: String

    @OptionGroup var dataset: DatasetOptions

    @OptionGroup var jsonFlag: JSONFlag

    @Flag(help: "Read and check every value, however large the file (progress on stderr).")
    var full = false

    @OptionGroup var quietFlag: QuietFlag

    @Option(name: .customLong("receptive-field"), help: ArgumentHelp("Also check that images are at least this many pixels on each side (a model's receptive field).", valueName: "pixels"))
    var receptiveField = 0

    func run() throws {
        let options = dataset.loadOptions(minimumImageSize: receptiveField)
        if !full {
            let header = try Dataset.readHeader(file, options: options)
            if !DatasetOverview.isSmall(header) {
                let overview = try DatasetOverview.read(file, options: options)
                print(json ? try overview.json() : overview.table(fullCheck: "run `receptive inspect --full`"), terminator: json ? "\n" : "")
                return
            }
        }
        var last = Date()
        let started = Date()
        let d = try Dataset.load(file, options: options) { done, total in
            guard !quiet, Date().timeIntervalSince(last) >= 1 else { return }
            last = Date()
            let elapsed = Date().timeIntervalSince(started)
            let eta = done > 0 ? elapsed * Double(total - done) / Double(done) : 0
            FileHandle.standardError.write(Data(String(format: "scanning %@: %d/%d stimuli (%.0f%%), %.0f s, ETA %.0f s\n",
                                                       options.paths.stimuli, done, total, 100 * Double(done) / Double(max(1, total)), elapsed, eta).utf8))
        }
        let summary = DatasetSummary(d)
        print(json ? try summary.json() : summary.table(), terminator: json ? "\n" : "")
    }
}
