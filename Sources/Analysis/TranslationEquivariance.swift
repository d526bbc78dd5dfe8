// Translation equivariance of each layer of a conv stack: does shifting the input by (dx, dy) shift
// the layer's activation map by (dx, dy)/J, J the layer's cumulative stride?
//
//   e_l = ‖a_l(T x) − T′ a_l(x)‖ / ‖a_l(x)‖          over the valid positions, all images and channels
//
// x [N, C, H, W] is the network's input (after preprocessing), T the circular shift by (dx, dy)
// pixels (TranslateTransform, .wrap), T′ the shift by (dx/J, dy/J) in the layer's grid, rounded to
// the nearest integer when J does not divide the shift (then no integer shift can match, which is
// exactly how striding breaks equivariance). Positions are "away from borders": an output position
// p of layer l is used only when the receptive field of a_l(T x) at p lies inside the image and
// inside the part of T x that did not wrap around, and the receptive field of a_l(x) at p − d′ lies
// inside the image (no zero padding enters either). With J | shift a conv stack of convolutions,
// pointwise layers (batch-norm in evaluation mode, activations) and pooling is then exactly
// equivariant (e ≈ 1e-7, float round-off); with J ∤ shift it is not (e of order 1).
//
// Receptive-field geometry along one axis, per layer (input: J = 1, R = 1, left = 0):
//   conv/pool with kernel extent k = dilation·(K − 1) + 1, stride s, padding P:
//     left ← left − P·J;  R ← R + (k − 1)·J;  J ← J·s
//   output index p covers input pixels [left + p·J, left + p·J + R − 1].
import Foundation
import Tensors
import ConvEngine
import Encoding
import NeuralData

/// Equivariance of one layer's output.
public struct LayerEquivariance: Codable, Equatable, Sendable {
    public var layer: String
    /// Cumulative stride J (input pixels per step of this layer's grid).
    public var stride: Int
    /// Receptive field R (input pixels).
    public var receptiveField: Int
    /// The input shift in this layer's grid, (dx/J, dy/J).
    public var layerShiftX: Double
    public var layerShiftY: Double
    /// The integer shift T′ compared with (rounded when J does not divide the input shift).
    public var comparedShiftX: Int
    public var comparedShiftY: Int
    /// Whether (dx/J, dy/J) is an integer shift.
    public var integerShift: Bool
    /// ‖a(Tx) − T′a(x)‖/‖a(x)‖ over the valid positions; NaN (null in JSON) when none is valid.
    public var relativeError: Double
    /// Valid spatial positions (per image and channel) and all positions of the map.
    public var positions: Int
    public var totalPositions: Int

    enum CodingKeys: String, CodingKey {
        case layer, stride, positions
        case receptiveField = "receptive_field", layerShiftX = "layer_shift_x", layerShiftY = "layer_shift_y"
        case comparedShiftX = "compared_shift_x", comparedShiftY = "compared_shift_y", integerShift = "integer_shift"
        case relativeError = "relative_error", totalPositions = "total_positions"
    }
}

/// Receptive-field geometry of one layer's output along one axis.
public struct AxisGeometry: Equatable, Sendable {
    public var jump = 1, field = 1, left = 0
    public init() {}

    /// After a window of `kernel` taps, `dilation`, `stride`, `padding`.
    mutating func apply(kernel: Int, dilation: Int, stride: Int, padding: Int) {
        left -= padding * jump
        field += dilation * (kernel - 1) * jump
        jump *= stride
    }
}

public enum TranslationEquivariance {
    /// Geometry after each layer (same along rows and columns: every layer here is square).
    /// - Throws: `ModelAnalysisError.invalidOption` for a layer that is neither a convolution, a
    ///   pooling layer nor pointwise (its effect on positions is unknown).
    public static func geometry(of layers: [Layer]) throws -> [AxisGeometry] {
        var g = AxisGeometry()
        var out: [AxisGeometry] = []
        for l in layers {
            if let c = l as? Conv2D {
                g.apply(kernel: c.kernelSize, dilation: c.dilation, stride: c.stride, padding: c.padding)
            } else if let p = l as? MaxPool2D {
                g.apply(kernel: p.geometry.kernelSize, dilation: 1, stride: p.geometry.stride, padding: p.geometry.padding)
            } else if let p = l as? AvgPool2D {
                g.apply(kernel: p.geometry.kernelSize, dilation: 1, stride: p.geometry.stride, padding: p.geometry.padding)
            } else if l is BatchNorm2D || l is ElementwiseActivation {
                // Pointwise: positions unchanged.
            } else {
                throw ModelAnalysisError.invalidOption(option: .translateTransform,
                    reason: "layer \(l.name) (\(type(of: l))) is not a convolution, pooling or pointwise layer; its equivariance is not defined here")
            }
            out.append(g)
        }
        return out
    }

    /// Equivariance of the core of a fitted model under a shift of the raw stimuli: the first
    /// `sampleSize` of `stimuli` from `source`, through the model's preprocessing.
    public static func measure(model: FittedModel, source: StimulusSource, stimuli: [Int], dx: Int, dy: Int,
                               sampleSize: Int = 64) throws -> [LayerEquivariance] {
        let x = model.config.preprocessing.apply(try source.stimuli(Array(stimuli.prefix(sampleSize))))
        return try measure(layers: model.encoder.core.layers, input: x, dx: dx, dy: dy)
    }

    /// Measures every layer of `layers` (run in evaluation mode) on `input` [N, C, H, W].
    /// - Throws: see `geometry(of:)`; `ImageTransformError` for non-finite input.
    public static func measure(layers: [Layer], input x: Tensor, dx: Int, dy: Int) throws -> [LayerEquivariance] {
        precondition(x.rank == 4, "input must be [N, C, H, W]")
        let geometry = try geometry(of: layers)
        var rng = SeededRandom(seed: 0)   // the translation draws nothing
        let tx = try TranslateTransform(dx: dx, dy: dy, fill: .wrap).apply(x, rng: &rng)
        let h = x.shape[2], w = x.shape[3]
        var a = x, b = tx
        var out: [LayerEquivariance] = []
        for (l, g) in zip(layers, geometry) {
            a = l.forward(a, training: false)
            b = l.forward(b, training: false)
            precondition(a.rank == 4, "layer \(l.name) does not output [N, C, H, W]")
            let sx = Double(dx) / Double(g.jump), sy = Double(dy) / Double(g.jump)
            let cx = Int(sx.rounded(.toNearestOrAwayFromZero)), cy = Int(sy.rounded(.toNearestOrAwayFromZero))
            let validX = validPairs(extent: a.shape[3], image: w, shift: dx, compared: cx, g: g)
            let validY = validPairs(extent: a.shape[2], image: h, shift: dy, compared: cy, g: g)
            var diff = 0.0, norm = 0.0
            let n = a.shape[0], c = a.shape[1], oh = a.shape[2], ow = a.shape[3]
            for plane in 0..<(n * c) {
                let base = plane * oh * ow
                for (py, qy) in validY {
                    for (px, qx) in validX {
                        let vb = Double(b.data[base + py * ow + px]), va = Double(a.data[base + qy * ow + qx])
                        diff += (vb - va) * (vb - va); norm += va * va
                    }
                }
            }
            let count = validX.count * validY.count
            let err = count == 0 ? Double.nan : (norm > 0 ? (diff / norm).squareRoot() : (diff > 0 ? .infinity : 0))
            out.append(LayerEquivariance(layer: l.name, stride: g.jump, receptiveField: g.field, layerShiftX: sx, layerShiftY: sy,
                                         comparedShiftX: cx, comparedShiftY: cy, integerShift: sx == Double(cx) && sy == Double(cy),
                                         relativeError: err, positions: count, totalPositions: oh * ow))
        }
        return out
    }

    /// Pairs (p, q = p − compared) along one axis where the receptive field of a(Tx) at p lies in
    /// the image and in the un-wrapped part of T x ([shift, size − 1] for shift ≥ 0, [0, size − 1 +
    /// shift] otherwise), and the receptive field of a(x) at q lies in the image.
    static func validPairs(extent: Int, image: Int, shift: Int, compared: Int, g: AxisGeometry) -> [(Int, Int)] {
        let lo = max(0, shift), hi = image - 1 + min(0, shift)
        var out: [(Int, Int)] = []
        for p in 0..<extent {
            let q = p - compared
            guard q >= 0, q < extent else { continue }
            let pl = g.left + p * g.jump, ql = g.left + q * g.jump
            if pl >= lo, pl + g.field - 1 <= hi, ql >= 0, ql + g.field - 1 <= image - 1 { out.append((p, q)) }
        }
        return out
    }
}
