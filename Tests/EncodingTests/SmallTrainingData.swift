import Foundation
import Tensors
import NeuralData

/// Small seeded Poisson datasets for trainer tests: N stimuli of side×side standard-normal pixels,
/// `repeats` trials each; unit j's rate is 2·exp(0.5·x) at pixel (side/2, side/2 − 1 + j), so every
/// unit has something to learn.
enum SmallTrainingData {
    static func poisson(stimuli n: Int, side: Int, units u: Int, repeats: Int = 1, seed: UInt64) -> Dataset {
        var rng = SeededRandom(seed: seed)
        let x = rng.normalTensor([n, 1, side, side])
        let plane = side * side, centre = (side / 2) * side + side / 2 - 1
        var index: [Int] = []
        for s in 0..<n { for _ in 0..<repeats { index.append(s) } }
        var y = Tensor(shape: [index.count, u])
        for (t, s) in index.enumerated() { for j in 0..<u {
            y.data[t * u + j] = Float(rng.poisson(2 * Foundation.exp(0.5 * Double(x.data[s * plane + centre + j]))))
        } }
        return Dataset(stimuli: x, responses: y, stimulusIndex: repeats > 1 ? index : nil)
    }
}

/// max |a − b| over two equally long arrays, without printing (for checks inside loops).
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
