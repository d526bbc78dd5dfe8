// Gabor fits of a fitted model's first-layer filters (GaborFit.swift for the fit itself): every
// output channel of the first convolution, per input channel and for the mean over input channels.
// A filter is "Gabor-like" when the fit of its channel mean (the filter itself for one input
// channel) reaches R² ≥ threshold.
import Foundation
import Tensors
import Encoding

/// The fit of one filter, in the units of `GaborParameters` (radians, cycles/pixel, pixels).
public struct FilterGaborFit: Codable, Equatable, Sendable {
    /// Output channel of the first convolution.
    public var index: Int
    public var r2: Double
    public var theta: Double
    public var frequency: Double
    public var sigmaX: Double
    public var sigmaY: Double
    public var phase: Double
    public var x0: Double
    public var y0: Double
    public var amplitude: Double
    public var gaborLike: Bool
    /// The fitted centre lies in the outermost ring of pixels of the kernel (x0 or y0 within half a
    /// pixel of the first or last pixel centre, or beyond): the filter's energy sits at the kernel's
    /// edge, which a tiny Gabor fits well — Gabor-like by R² but not a localised, interior Gabor.
    public var atBorder: Bool
    /// Fits of each input channel (only when the layer has more than one).
    public var channels: [FilterGaborFit]?

    enum CodingKeys: String, CodingKey {
        case index, r2, theta, frequency, phase, x0, y0, amplitude, channels
        case sigmaX = "sigma_x", sigmaY = "sigma_y", gaborLike = "gabor_like", atBorder = "at_border"
    }

    init(index: Int, fit: GaborFit, threshold: Double, channels: [FilterGaborFit]? = nil) {
        let p = fit.parameters
        self.index = index; r2 = fit.r2; theta = p.theta; frequency = p.frequency
        sigmaX = p.sigmaX; sigmaY = p.sigmaY; phase = p.phase; x0 = p.x0; y0 = p.y0; amplitude = p.amplitude
        gaborLike = fit.isGaborLike(threshold: threshold); self.channels = channels
        atBorder = p.x0 < 0.5 || p.y0 < 0.5 || p.x0 > Double(fit.width) - 1.5 || p.y0 > Double(fit.height) - 1.5
    }
}

public struct FirstLayerGaborReport: Codable, Equatable, Sendable {
    public var layer: String
    /// Kernel height and width, input channels.
    public var kernel: [Int]
    public var inputChannels: Int
    public var threshold: Double
    public var restarts: Int
    public var seed: UInt64
    public var filters: [FilterGaborFit]
    public var fractionGaborLike: Double
    /// Gabor-like and not `atBorder`, over all filters.
    public var fractionGaborLikeInterior: Double

    enum CodingKeys: String, CodingKey {
        case layer, kernel, threshold, restarts, seed, filters
        case inputChannels = "input_channels", fractionGaborLike = "fraction_gabor_like"
        case fractionGaborLikeInterior = "fraction_gabor_like_interior"
    }
}

public enum FirstLayerGabor {
    /// Fits every first-layer filter of `model`.
    /// - Returns: the report, the fits (per output channel) and the weight [Cout, Cin, KH, KW].
    /// - Throws: `ModelAnalysisError.invalidOption` when the model has no convolution or kernels
    ///   smaller than 5×5 (e.g. a GLM's 1×1 layer).
    public static func analyse(model: FittedModel, fitter: GaborFitter) throws -> (report: FirstLayerGaborReport, fits: [ConvFilterGaborFits], weight: Tensor) {
        guard let conv = model.encoder.firstConv else {
            throw ModelAnalysisError.invalidOption(option: .model, reason: "the model has no convolution layer")
        }
        let weight = conv.weight.value
        let fits: [ConvFilterGaborFits]
        do { fits = try fitter.fit(convWeight: weight) } catch let e as GaborFitError {
            throw ModelAnalysisError.invalidOption(option: .model, reason: "\(conv.name): \(e)" +
                (model.config.kind == .glm ? " (a GLM is stored with a 1×1 first layer; its filters are the readout weights)" : ""))
        }
        let cin = weight.shape[1]
        let filters = fits.map { f -> FilterGaborFit in
            let channels = cin > 1 ? f.channels.map { FilterGaborFit(index: f.outputChannel, fit: $0, threshold: fitter.threshold) } : nil
            return FilterGaborFit(index: f.outputChannel, fit: f.channelMean, threshold: fitter.threshold, channels: channels)
        }
        let fraction = filters.isEmpty ? .nan : Double(filters.filter(\.gaborLike).count) / Double(filters.count)
        let interior = filters.isEmpty ? .nan : Double(filters.filter { $0.gaborLike && !$0.atBorder }.count) / Double(filters.count)
        let report = FirstLayerGaborReport(layer: conv.name, kernel: [weight.shape[2], weight.shape[3]], inputChannels: cin,
                                           threshold: fitter.threshold, restarts: fitter.restarts, seed: fitter.seed,
                                           filters: filters, fractionGaborLike: fraction, fractionGaborLikeInterior: interior)
        return (report, fits, weight)
    }
}
