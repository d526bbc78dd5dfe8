// Cost of filter learning images against backward passes, measured in one run (`receptive-bench
// scanner`, part of `make bench`; not a test — nothing here asserts a speed). The claim checked: the filter learning images of a
// whole layer cost at most 2× the time of one backward pass per filter.
//
//   backward   one data-gradient backward from the layer (inputGradient), after a forward
//   filters    filterLearningImages for all K filters of the layer, forward included
//   ratio      filters / (K · backward)
// On the stacked3 architecture (conv 9/7/7, 32 channels, batch-norm, ELU, factorized readout)
// with 64×64 one-channel stimuli, seeded random weights, layer act3 (the deepest).
import Foundation
import Tensors
import ConvEngine
import Encoding
import Scanner

enum ScannerBenchmark {
    struct Result: CustomStringConvertible, Sendable {
        let layer: String
        let filters: Int, stimuli: Int, filtersPerPass: Int
        /// Best-of-repeats seconds.
        let forwardSeconds: Double, backwardSeconds: Double, fullBackwardSeconds: Double, filterImagesSeconds: Double
        var ratio: Double { filterImagesSeconds / (Double(filters) * backwardSeconds) }
        /// Flat numbers for a JSON line (receptive-bench): seconds and the ratio.
        var fields: [(String, Double)] {
            [("stimuli", Double(stimuli)), ("filters", Double(filters)), ("filters_per_pass", Double(filtersPerPass)),
             ("forward_s", forwardSeconds), ("backward_s", backwardSeconds), ("backward_with_weights_s", fullBackwardSeconds),
             ("filter_learning_images_s", filterImagesSeconds), ("ratio_to_k_backward", ratio)]
        }
        var description: String {
            String(format: "NNS filter learning images, stacked3 64×64, %@ (%d filters), %d stimuli, %d filter(s)/pass: %.1f ms for all filters = %.2f × (K × one backward pass of %.2f ms); forward %.2f ms, backward with weight gradients %.2f ms",
                   layer, filters, stimuli, filtersPerPass, filterImagesSeconds * 1e3, ratio, backwardSeconds * 1e3,
                   forwardSeconds * 1e3, fullBackwardSeconds * 1e3)
        }
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    static func best(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        try body()
        var b = Double.infinity
        for _ in 0..<repeats { let t0 = now(); try body(); b = min(b, now() - t0) }
        return b
    }

    /// Runs the benchmark for `stimuli` stimuli per batch and each `filtersPerPass` setting.
    static func run(stimuli n: Int = 8, filtersPerPass: [Int] = [1, 4], repeats: Int = 3, layer: String = "act3") throws -> [Result] {
        let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: 64, width: 64, units: 16)
        let encoder = try NeuralEncoder(architecture: arch, seed: 1)
        let net = try ScanNetwork(encoder: encoder)
        let l = try net.layerIndex(named: layer)
        var rng = SeededRandom(seed: 2)
        let x = rng.normalTensor([n, 1, 64, 64])
        let k = net.channelCount(layer: l)
        let g = rng.normalTensor([n] + net.layerShapes[l])
        let fwd = best(repeats) { _ = net.forward(x, through: l) }
        let bwd = best(repeats) { _ = net.inputGradient(from: l, gradient: g) }
        let full = best(repeats) { _ = net.backwardWithParameterGradients(from: l, gradient: g) }
        for p in net.parameters { p.zeroGrad() }
        return try filtersPerPass.map { fpp in
            let t = try best(max(1, repeats - 1)) { _ = try net.filterLearningImages(x, layer: l, batchSize: n, filtersPerPass: fpp) }
            return Result(layer: layer, filters: k, stimuli: n, filtersPerPass: fpp, forwardSeconds: fwd, backwardSeconds: bwd,
                          fullBackwardSeconds: full, filterImagesSeconds: t)
        }
    }
}
