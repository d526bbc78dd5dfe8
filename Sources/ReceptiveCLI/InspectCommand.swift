// receptive inspect FILE [--json]: what a dataset holds, after full validation.
import ArgumentParser
import Foundation
import NeuralData

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Validate a dataset file and summarise it: sizes, types, split, repeats, rates, noise ceiling.",
        discussion: "Prints an aligned table, or with --json the keys documented in docs/data.md.")

    @Argument(help: "The HDF5 dataset file.")
    var file: String

    @OptionGroup var dataset: DatasetOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(name: .customLong("receptive-field"), help: ArgumentHelp("Also check that images are at least this many pixels on each side (a model's receptive field).", valueName: "pixels"))
    var receptiveField = 0

    func run() throws {
        let d = try Dataset.load(file, options: dataset.loadOptions(minimumImageSize: receptiveField))
        let summary = DatasetSummary(d)
        print(json ? try summary.json() : summary.table(), terminator: json ? "\n" : "")
    }
}
