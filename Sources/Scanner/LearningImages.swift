// NNS learning images (thesis ch. 3), fast construction by backward passes. Shapes: stimuli
// x [N, C, H, W]; a learning image has the stimulus' shape [C, H, W] per stimulus.
//
//   neuron q of layer l     I_q(x) = x ⊙ ∂a_q/∂x                       (eq. 3-11/3-13 collapsed)
//   filter k of layer l     L^k(x) = Σ_ij a_kij · I_kij(x) = x ⊙ ∂(Σ_ij ā_kij a_kij)/∂x   (eq. 5-2)
//                           with ā = a held fixed: ONE backward with the activation map of
//                           channel k (other channels zero) as upstream gradient
//   layer l                 L(x) = Σ_k L^k(x): one backward with the whole activation as gradient
//   readout unit u          I_u(x) = x ⊙ ∂η_u/∂x (η before the link): a receptive-field map
//
// Origin of the split. What is split is x − x₀, x₀ = `ScanNetwork.inputOrigin` (0 when nil): the
// model input of an all-zero (black) stimulus. For a fitted encoder, x = P(v) is the preprocessed
// stimulus (z-scored, maybe whitened/resized: affine, P(v) = A v + x₀), so x − x₀ = A v splits the
// stimulus itself, as the thesis splits image intensities; with x₀ = 0 the z-scored input is split
// (its pixels are signed around the mean). The preprocessing shift then acts as a bias.
// `ScanNetwork(encoder:preprocessing:)` sets x₀ = P(0); every formula below reads x − x₀ for x.
//
// Why this is the split-image construction: the thesis carries each single-pixel image forward
// with contributions c_pq = S(x_q)·w_pq. That product of gated weight matrices is exactly the
// Jacobian of a piecewise-linear network at x taken along the bias-free path (biases and
// batch-norm shifts add constants, not pixel contributions; max pooling routes the selected input;
// batch-norm in evaluation mode contributes its scale γ/√(var+ε)); multiplying by x splits it per
// pixel. For a bias-free ReLU network (no batch-norm shift) Σ I_q = a_q exactly (Euler).
//
// Gate (eq. 3-9, 3-10). By default (`ScanNetwork.gate = .step`) every activation layer passes the
// learning images of the neurons whose value is > 0 and blocks the others, S = [x_q > 0], as the
// thesis writes it for ReLU — for ELU that is z > 0, softplus and exp (always positive) pass
// everything. The backward then multiplies by S instead of f′ (`learningImageGradient`). For ReLU
// the two coincide. `.derivative` (ours, not the thesis') uses S = f′(z), what backward computes:
// I_q is then the first-order (gradient × input) split. Either way Σ I_q ≠ a_q in general for
// smooth activations; completeness holds only for ReLU/identity networks without biases.
// `LiteralLearningImages` takes the network's gate, so literal and fast agree for both.
import Foundation
import Tensors
import ConvEngine

extension ScanNetwork {
    /// Checks a layer index.
    func requireLayer(_ l: Int, option: ScannerParameter = .layer) throws {
        guard l >= 0 && l < layerCount else { throw ScannerError.indexOutOfRange(option: option, index: l, count: layerCount, what: "layer") }
    }

    /// Learning images of neuron `neuron` (flat index within the per-stimulus output) of layer
    /// `layer`, one per stimulus [N, C, H, W]; computed in batches of `batchSize` stimuli, one
    /// backward each.
    public func neuronLearningImages(_ x: Tensor, layer l: Int, neuron q: Int, batchSize: Int = 32) throws -> Tensor {
        try validate(stimuli: x)
        try requireLayer(l)
        let per = neuronCount(layer: l)
        guard q >= 0 && q < per else {
            throw ScannerError.indexOutOfRange(option: l == readoutIndex ? .unit : .neuron, index: q, count: per,
                                               what: l == readoutIndex ? "unit" : "neuron")
        }
        return chunked(x, batchSize: batchSize) { xb in
            let a = forward(xb, through: l)
            var g = Tensor(shape: a.shape)
            for n in 0..<xb.shape[0] { g.data[n * per + q] = 1 }
            var d = learningImageGradient(from: l, gradient: g)
            multiplyBySplit(&d, xb)
            return d
        }
    }

    /// Learning images of readout unit `unit` [N, C, H, W].
    public func unitLearningImages(_ x: Tensor, unit u: Int, batchSize: Int = 32) throws -> Tensor {
        guard let r = readoutIndex else {
            throw ScannerError.invalidOption(option: .unit, reason: "the model has no readout; name a layer and a neuron instead")
        }
        return try neuronLearningImages(x, layer: r, neuron: u, batchSize: batchSize)
    }

    /// Filter learning images L^k [N, K, C, H, W] of channels `filters` (default: all) of layer `l`.
    /// One forward per batch of stimuli, then one backward per filter with the activation map of
    /// that channel as upstream gradient. `filtersPerPass` > 1 replicates the batch that many
    /// times so one backward serves several filters (worth it for small stimulus batches).
    public func filterLearningImages(_ x: Tensor, layer l: Int, filters: [Int]? = nil,
                                     batchSize: Int = 32, filtersPerPass: Int = 1) throws -> Tensor {
        try validate(stimuli: x)
        try requireLayer(l)
        let channels = channelCount(layer: l)
        let ks = filters ?? Array(0..<channels)
        for k in ks where k < 0 || k >= channels {
            throw ScannerError.indexOutOfRange(option: .filter, index: k, count: channels, what: "filter")
        }
        let nk = ks.count
        let (n, img) = (x.shape[0], inputShape.product)
        var out = Tensor(shape: [n, nk] + inputShape)
        let plane = neuronCount(layer: l) / channels          // positions per channel (1 for [U])
        let g = max(1, min(filtersPerPass, nk))
        var start = 0
        while start < n {
            let stop = min(n, start + batchSize)
            let xb = x.slice(start..<stop)
            let m = stop - start
            // Replicated batch: replica r holds the chunk at rows r·m…r·m+m−1.
            var xr = Tensor(shape: [g * m] + inputShape)
            for r in 0..<g { for i in 0..<xb.count { xr.data[r * xb.count + i] = xb.data[i] } }
            let split = splitValues(xb)
            let a = forward(xr, through: l)
            var k0 = 0
            while k0 < nk {
                let group = Array(ks[k0..<min(nk, k0 + g)])
                var grad = Tensor(shape: a.shape)
                for (r, k) in group.enumerated() {
                    for i in 0..<m {
                        let base = ((r * m + i) * channels + k) * plane
                        for p in 0..<plane { grad.data[base + p] = a.data[base + p] }
                    }
                }
                let d = learningImageGradient(from: l, gradient: grad)
                for (r, _) in group.enumerated() {
                    let slot = k0 + r
                    for i in 0..<m {
                        let src = (r * m + i) * img, dst = ((start + i) * nk + slot) * img
                        for p in 0..<img { out.data[dst + p] = d.data[src + p] * split.data[i * img + p] }
                    }
                }
                k0 += group.count
            }
            start = stop
        }
        return out
    }

    /// Layer learning image Σ_k L^k [N, C, H, W]: one backward with the whole activation.
    public func layerLearningImages(_ x: Tensor, layer l: Int, batchSize: Int = 32) throws -> Tensor {
        try validate(stimuli: x)
        try requireLayer(l)
        return chunked(x, batchSize: batchSize) { xb in
            let a = forward(xb, through: l)
            var d = learningImageGradient(from: l, gradient: a)
            multiplyBySplit(&d, xb)
            return d
        }
    }

    /// Learning images of several neurons of layer `l` for ONE stimulus [Q, C, H, W]: the stimulus
    /// is replicated Q times and one backward carries all Q one-hot gradients.
    public func learningImages(of stimulus: Tensor, layer l: Int, neurons: [Int]) throws -> Tensor {
        let x1 = stimulus.rank == 3 ? stimulus.reshaped([1] + stimulus.shape) : stimulus
        try validate(stimuli: x1)
        guard x1.shape[0] == 1 else { throw ScannerError.invalidOption(option: .stimulus, reason: "expected one stimulus, got \(x1.shape[0])") }
        try requireLayer(l)
        let per = neuronCount(layer: l)
        for q in neurons where q < 0 || q >= per {
            throw ScannerError.indexOutOfRange(option: .neuron, index: q, count: per, what: "neuron")
        }
        let qn = neurons.count
        var xr = Tensor(shape: [qn] + inputShape)
        for r in 0..<qn { for i in 0..<x1.count { xr.data[r * x1.count + i] = x1.data[i] } }
        let a = forward(xr, through: l)
        var g = Tensor(shape: a.shape)
        for (r, q) in neurons.enumerated() { g.data[r * per + q] = 1 }
        var d = learningImageGradient(from: l, gradient: g)
        multiplyBySplit(&d, xr)
        return d
    }

    /// x − x₀ for a batch [n, C, H, W] (x₀ = `inputOrigin`, 0 when nil): what the split images add up to.
    public func splitValues(_ x: Tensor) -> Tensor {
        guard let o = inputOrigin else { return x }
        var d = x
        let img = o.count
        for i in 0..<x.shape[0] { for p in 0..<img { d.data[i * img + p] -= o.data[p] } }
        return d
    }

    /// g ← g ⊙ (x − x₀).
    func multiplyBySplit(_ g: inout Tensor, _ x: Tensor) {
        g.multiply(by: splitValues(x))
    }

    /// Runs `body` on consecutive batches of stimuli and concatenates the [n, …] results.
    func chunked(_ x: Tensor, batchSize: Int, _ body: (Tensor) throws -> Tensor) rethrows -> Tensor {
        let n = x.shape[0]
        var parts: [Float] = []
        var shape: [Int] = []
        var start = 0
        while start < n {
            let stop = min(n, start + max(1, batchSize))
            let r = try body(x.slice(start..<stop))
            shape = Array(r.shape.dropFirst())
            parts += r.data
            start = stop
        }
        return Tensor(shape: [n] + (shape.isEmpty ? inputShape : shape), data: parts)
    }
}
