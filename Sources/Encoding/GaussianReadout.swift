// Gaussian readout (Lurz et al. 2021), deterministic variant: each unit u has a learned position
// μ_u ∈ [−1, 1]² in normalised feature-map coordinates and a feature vector f_u; the feature map is
// sampled bilinearly at μ_u (align-corners convention: −1 is the first pixel centre, +1 the last):
//   η[n,u] = Σ_c f[u,c] · bilinear(h[n,c], μ_u) + b[u]
// Lurz et al. sample the position from N(μ_u, σ_u²) during training; we use the mean position in
// training and evaluation alike (no sampling noise), so fits are deterministic for a seed. Positions
// are clamped to [−1, 1] in forward; the position gradient is zero on a clamped axis.
// Shapes: h (N, C, H, W); position (U, 2) as (x, y); features (U, C); bias (U); η (N, U).
import Tensors
import ConvEngine

public final class GaussianReadout: Layer {
    public var name: String
    public let channels: Int, height: Int, width: Int, units: Int
    public let position: Parameter  // (U, 2): (x, y) in [−1, 1]
    public let features: Parameter  // (U, C)
    public let bias: Parameter      // (U)
    public var parameters: [Parameter] { [position, features, bias] }
    public var state: [String: Tensor] = [:]
    public var retainsForBackward = false
    // Storage of the output and of dX, reused from pass to pass when nobody holds the last ones.
    private let storage = LayerStorage()

    public func releaseSaved() { savedInput = Tensor(shape: [0]); sampled = Tensor(shape: [0]) }
    private var savedInput = Tensor(shape: [0])
    private var sampled = Tensor(shape: [0])  // (N, U, C) bilinear samples, for the feature gradient
    private let samples = ReusableStorage()

    public init(name: String = "readout", channels: Int, height: Int, width: Int, units: Int, rng: inout SeededRandom) {
        self.name = name
        self.channels = channels; self.height = height; self.width = width; self.units = units
        position = Parameter(name: "position", value: rng.uniformTensor([units, 2], -0.3, 0.3))
        features = Parameter(name: "features", value: rng.normalTensor([units, channels], std: 0.1))
        bias = Parameter(name: "bias", value: Tensor(shape: [units]))
    }

    public var config: [String: LayerConfigValue] {
        ["type": .string("gaussian"), "channels": .int(channels), "height": .int(height), "width": .int(width), "units": .int(units)]
    }

    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], units] }

    /// Pixel coordinate, corner indices and weights for unit u along one axis.
    @inline(__always) private func axis(_ mu: Float, extent: Int) -> (i0: Int, i1: Int, w: Float, scale: Float, inside: Bool) {
        let m = min(max(mu, -1), 1)
        let p = (m + 1) / 2 * Float(extent - 1)
        let i0 = min(Int(p.rounded(.down)), max(extent - 2, 0))
        let i1 = min(i0 + 1, extent - 1)
        return (i0, i1, p - Float(i0), Float(extent - 1) / 2, mu > -1 && mu < 1)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == channels && x.shape[2] == height && x.shape[3] == width,
                     "gaussian readout expects (N, \(channels), \(height), \(width)), got \(x.shape)")
        let n = x.shape[0], c = channels, u = units, hw = height * width
        var v = samples.take([n, u, c])  // every value written below
        var out = storage.output(kept: training || retainsForBackward).take([n, u], zeroed: true)
        for j in 0..<u {
            let ax = axis(position.value.data[2 * j], extent: width)
            let ay = axis(position.value.data[2 * j + 1], extent: height)
            let w00 = (1 - ay.w) * (1 - ax.w), w01 = (1 - ay.w) * ax.w, w10 = ay.w * (1 - ax.w), w11 = ay.w * ax.w
            for i in 0..<n {
                var acc = bias.value.data[j]
                for ch in 0..<c {
                    let base = (i * c + ch) * hw
                    let s = w00 * x.data[base + ay.i0 * width + ax.i0] + w01 * x.data[base + ay.i0 * width + ax.i1]
                          + w10 * x.data[base + ay.i1 * width + ax.i0] + w11 * x.data[base + ay.i1 * width + ax.i1]
                    v.data[(i * u + j) * c + ch] = s
                    acc += s * features.value.data[j * c + ch]
                }
                out.data[i * u + j] = acc
            }
        }
        samples.keep(v)
        if training || retainsForBackward { savedInput = x; sampled = v }
        storage.output(kept: training || retainsForBackward).keep(out)
        return out
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let x = savedInput
        let n = x.shape[0], c = channels, u = units, hw = height * width
        var dx = storage.inputGradient.take(x.shape, zeroed: true)
        for j in 0..<u {
            let ax = axis(position.value.data[2 * j], extent: width)
            let ay = axis(position.value.data[2 * j + 1], extent: height)
            let w00 = (1 - ay.w) * (1 - ax.w), w01 = (1 - ay.w) * ax.w, w10 = ay.w * (1 - ax.w), w11 = ay.w * ax.w
            var dmx: Float = 0, dmy: Float = 0
            for i in 0..<n {
                let d = dOut.data[i * u + j]
                bias.grad.data[j] += d
                for ch in 0..<c {
                    let f = features.value.data[j * c + ch]
                    features.grad.data[j * c + ch] += d * sampled.data[(i * u + j) * c + ch]
                    let g = d * f
                    let base = (i * c + ch) * hw
                    let h00 = x.data[base + ay.i0 * width + ax.i0], h01 = x.data[base + ay.i0 * width + ax.i1]
                    let h10 = x.data[base + ay.i1 * width + ax.i0], h11 = x.data[base + ay.i1 * width + ax.i1]
                    dx.data[base + ay.i0 * width + ax.i0] += g * w00
                    dx.data[base + ay.i0 * width + ax.i1] += g * w01
                    dx.data[base + ay.i1 * width + ax.i0] += g * w10
                    dx.data[base + ay.i1 * width + ax.i1] += g * w11
                    dmx += g * ((1 - ay.w) * (h01 - h00) + ay.w * (h11 - h10))
                    dmy += g * ((1 - ax.w) * (h10 - h00) + ax.w * (h11 - h01))
                }
            }
            if ax.inside && width > 1 { position.grad.data[2 * j] += dmx * ax.scale }
            if ay.inside && height > 1 { position.grad.data[2 * j + 1] += dmy * ay.scale }
        }
        storage.inputGradient.keep(dx)
        return dx
    }
}
