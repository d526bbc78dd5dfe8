import XCTest
import Tensors
import NeuralData
import Encoding
import TestSupport

/// VoxelScores on a case worked out by hand: one voxel, three stimuli shown twice,
/// responses s0: 1, 3; s1: 5, 7; s2: 2, 6; predictions 2.5, 5, 4.5.
///   σ²_noise = (2 + 2 + 8)/3 = 4; σ²_total = var(1,3,5,7,2,6; ddof 1) = 5.6;
///   ncsnr = √(1.6/4) = 0.632456; noise ceiling = 0.4/(0.4 + 1/2) = 0.444444;
///   means 2, 6, 4: R² = 1 − 0.75/8 − … = 0.8125, r = 0.944911; split half r(1,5,2; 3,7,6) = 0.846154.
final class VoxelScoresTests: XCTestCase {
    func testHandWorkedCase() {
        let stimuli = Tensor(shape: [3, 1, 2, 2], repeating: 0)
        let responses = Tensor(shape: [6, 1], data: [1, 5, 2, 3, 7, 6])
        let ds = Dataset(stimuli: stimuli, responses: responses, stimulusIndex: [0, 1, 2, 0, 1, 2],
                         split: [.test, .test, .test], modality: .fmri)
        let st = ds.repeatStatistics(in: .test)
        let r = VoxelScores.score(predictions: [2.5, 5, 4.5], statistics: st, dataset: ds, variance: [0.5], reliabilityThreshold: 0.5)
        let got = [r.ncsnr.mean!, r.noiseCeiling.mean!, r.r2.mean!, r.corr.mean!, r.splitHalf.mean!, r.fractionOfCeiling.mean!]
        let want = [0.632456, 0.444444, 0.8125, 0.944911, 0.846154, 0.8125 / 0.444444]
        let maxDiff = zip(got, want).map { abs($0 - $1) }.max()!
        print("voxel scores vs hand-worked values: max difference \(maxDiff)")
        XCTAssertLessThan(maxDiff, 1e-5)
        // LL per stimulus: mean of log N(m | p, 0.5) with residuals −0.5, 1, −0.5.
        let ll = (-1.5 * log(2 * Double.pi * 0.5) - (0.25 + 1 + 0.25) / (2 * 0.5)) / 3
        XCTAssertEqual(r.llPerStimulus.mean!, ll, accuracy: 1e-9)
        XCTAssertEqual(r.reliableUnits, 1)
    }
}
