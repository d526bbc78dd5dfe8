// --format svg|png|pdf: the file format of every figure a command writes (docs/figures.md).
import ArgumentParser
import Report

extension FigureFormat: ExpressibleByArgument {}

/// The figure format option the figure-writing commands share.
struct FigureFormatOption: ParsableArguments {
    @Option(help: "File format of the figures: svg (vector, text stays text), png or pdf.")
    var format: FigureFormat = .svg
}
