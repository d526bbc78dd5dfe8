// Figure recipes shared by the commands that write figures (gabor, invariance, rsa) and the model
// report, so that one kind of figure is drawn by one piece of code.
import Foundation
import Tensors
import Analysis
import Report

public enum AnalysisFigures {
    /// First-layer filters (mean over input channels) beside their Gabor fits, each pair on shared
    /// symmetric limits of the diverging map, labelled with the channel and the fit's R².
    /// - Parameters:
    ///   - weight: the first conv's weight (O, Cin, kh, kw).
    public static func gaborPairs(report: FirstLayerGaborReport, fits: [ConvFilterGaborFits], weight: Tensor, columns: Int = 16) -> Figure {
        let cin = weight.shape[1], kh = weight.shape[2], kw = weight.shape[3], plane = kh * kw
        var images: [[Float]] = [], labels: [String] = []
        for f in fits {
            var mean = [Float](repeating: 0, count: plane)
            for c in 0..<cin { for k in 0..<plane { mean[k] += weight.data[(f.outputChannel * cin + c) * plane + k] / Float(cin) } }
            images.append(mean); labels.append("filter \(f.outputChannel)")
            images.append(f.channelMean.fitted); labels.append("R² \(fmt(f.channelMean.r2, 2))")
        }
        let scale = Double(max(4, 40 / max(kh, kw)))
        return ImageGrid.render(images: images, height: kh, width: kw, columns: columns, normalisation: .symmetricInGroups(2),
                                scale: scale, labels: labels,
                                title: "\(report.layer) filters and Gabor fits (\(Int((report.fractionGaborLike * 100).rounded()))% with R² ≥ \(report.threshold))")
    }

    /// Orientation and spatial-frequency histograms of the Gabor-like filters.
    public static func gaborHistograms(report: FirstLayerGaborReport) -> (orientation: Figure, frequency: Figure) {
        let like = report.filters.filter(\.gaborLike)
        let o = Histogram.render(values: like.map { $0.theta * 180 / .pi }, bins: 12,
                                 title: "orientation of Gabor-like filters (\(like.count) of \(report.filters.count))",
                                 xLabel: "orientation (degrees)", range: (0, 180))
        let f = Histogram.render(values: like.map(\.frequency), bins: 10,
                                 title: "spatial frequency of Gabor-like filters (\(like.count) of \(report.filters.count))",
                                 xLabel: "f (cycles/pixel)", range: (0, 0.5))
        return (o, f)
    }

    /// Invariance index D/B per unit with its bootstrap interval; falsified units in orange, τ dashed.
    public static func invarianceBars(units: [UnitInvariance], names: [String], threshold: Double, transform: String) -> Figure {
        let colors = units.map { $0.falsified ? RGB.palette[1] : RGB.palette[0] }
        return BarChart.render(labels: names, values: units.map(\.index), ciLow: units.map(\.ciLow), ciHigh: units.map(\.ciHigh),
                               band: (threshold, threshold), title: "D/B under \(transform); dashed: τ = \(threshold)",
                               yLabel: "D / B", colors: colors, width: Double(max(560, 20 * units.count + 140)))
    }
}
