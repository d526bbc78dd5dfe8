// receptive import nwb FILE.nwb --out data.h5: a recording in NWB (Neurodata Without Borders) to the
// dataset contract (NeuralData.NWBImport). See docs/data.md §8.
import ArgumentParser
import Foundation
import NeuralData
import Tensors

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a recording from another format into a dataset file.",
        subcommands: [ImportNWBCommand.self])
}

struct ImportNWBCommand: ParsableCommand, WithForceFlag, WithJSONFlag, WithQuietFlag {
    static let configuration = CommandConfiguration(
        commandName: "nwb",
        abstract: "Import an NWB file: spike counts (/units) or time-series means in windows after each stimulus onset, with the shown templates as stimuli.",
        discussion: """
        Presentations come from /intervals/<name> (start_time and a template-index column such as 'frame'; -1 = blank) \
        or an IndexSeries; templates from /stimulus/templates (Images with order_of_images, or an ImageSeries). \
        Both are found by themselves when the file has one of each. Spikes give modality spikes (counts); \
        a time series (--series) gives modality fmri (window means, Gaussian model). See docs/data.md.
        """)

    @Argument(help: "The NWB file (read only).")
    var file: String

    @Option(help: ArgumentHelp("Output dataset file.", valueName: "file"))
    var out: String

    @Option(name: .customLong("window"), parsing: .singleValue,
            help: ArgumentHelp("Response window after onset in seconds, START:END (counts spikes with START ≤ t − onset < END); repeat the option or separate with commas for several.", valueName: "start:end"))
    var windows: [String] = []

    @Option(help: ArgumentHelp("A TimeSeries to average in the window instead of counting /units spikes (e.g. /processing/ophys/DfOverF/RoiResponseSeries).", valueName: "path"))
    var series: String?

    @Option(name: .customLong("units-where"), parsing: .singleValue,
            help: ArgumentHelp("Keep units whose column passes COLUMN=VALUE (also !=, <, <=, >, >=), e.g. quality=good; repeat to require several.", valueName: "condition"))
    var unitsWhere: [String] = []

    @Option(help: ArgumentHelp("Presentation table (/intervals/NAME, or NAME) or IndexSeries path; needed when the file has several.", valueName: "name"))
    var presentations: String?

    @Option(help: ArgumentHelp("Templates (Images or ImageSeries path, or a name under /stimulus/templates); needed when the file has several.", valueName: "path"))
    var templates: String?

    @Option(name: .customLong("index-column"), help: ArgumentHelp("Column of the presentation table holding the template index (default: the first of frame, image_index, stimulus_index, template_index, image_id).", valueName: "name"))
    var indexColumn: String?

    @Option(help: "Seed of the 80/10/10 split by stimulus.")
    var seed: UInt64 = 0

    @OptionGroup var forceFlag: ForceFlag

    @OptionGroup var jsonFlag: JSONFlag

    @OptionGroup var quietFlag: QuietFlag

    func options() throws -> NWBImportOptions {
        var parsed: [ResponseWindow] = []
        for w in (windows.isEmpty ? ["0.05:0.25"] : windows).flatMap({ $0.split(separator: ",").map(String.init) }) {
            guard let r = ResponseWindow(parsing: w) else {
                throw OptionError(option: "--window", reason: "'\(w)' is not START:END in seconds with END > START (e.g. 0.05:0.25)")
            }
            parsed.append(r)
        }
        let filters = try unitsWhere.map { text -> UnitFilter in
            guard let f = UnitFilter(parsing: text) else {
                throw OptionError(option: "--units-where", reason: "'\(text)' is not COLUMN=VALUE (or !=, <, <=, >, >=), e.g. quality=good")
            }
            return f
        }
        if series != nil && !filters.isEmpty {
            throw OptionError(option: "--units-where", reason: "filters units of /units; it does not apply with --series")
        }
        return NWBImportOptions(windows: parsed, series: series, unitFilters: filters, presentations: presentations,
                                templates: templates, indexColumn: indexColumn, splitSeed: seed)
    }

    func run() throws {
        let o = try options()
        try OutputPolicy.checkFile(out, force: force)
        let start = Date()
        if !quiet { FileHandle.standardError.write(Data("importing \(file)…\n".utf8)) }
        let imported = try NWBImport.run(file: file, options: o)
        let command = (["receptive", "import", "nwb"] + CommandLine.arguments.dropFirst(3)).joined(separator: " ")
        try imported.write(to: out, overwrite: force, command: command)
        let seconds = Date().timeIntervalSince(start)
        if json {
            let summary: JSONValue = ["file": .string(out), "source_file": .string(file), "stimulus_count": .int(imported.stimulusCount),
                                      "trial_count": .int(imported.trialCount), "unit_count": .int(imported.unitCount),
                                      "modality": .string(imported.modality.rawValue), "sources": .object(imported.sources.mapValues { .string($0) }),
                                      "object_ids": .object(imported.objectIDs.mapValues { .string($0) }),
                                      "unit_names": .array(imported.unitNames.map { .string($0) }),
                                      "stimulus_shape": .array(imported.stimulusShape.map { .int($0) }), "seconds": .double(seconds)]
            print(summary.text(indent: 2))
        } else if !quiet {
            let src = imported.sources.keys.sorted().map { "\($0) \(imported.sources[$0]!)" }.joined(separator: ", ")
            FileHandle.standardError.write(Data(String(format: "wrote %@: N = %d stimuli, T = %d trials, U = %d %@ (%@; %.1f s)\n",
                                                       out, imported.stimulusCount, imported.trialCount, imported.unitCount,
                                                       imported.modality == .spikes ? "units" : "channels", src, seconds).utf8))
        }
    }
}
