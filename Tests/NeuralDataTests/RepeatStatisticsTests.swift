// Repeat statistics against numpy (fixture scripts/fixtures/neuraldata.py).
import Foundation
import NeuralData
import Tensors
import TestSupport
import XCTest

final class RepeatStatisticsTests: XCTestCase {
    func testAgainstNumpyReference() throws {
        let ref = try HDF5File.open(TestPaths.fixture("neuraldata_reference.h5"))
        let y = try ref.readFloats("/repeat/responses")
        let index = try ref.readInts("/repeat/stimulus_index").values
        let u = y.shape[1], s = 12
        let stats = RepeatStatistics(responses: y.values, unitCount: u, stimulusIndex: index, stimulusCount: s, stimuli: Array(0..<s))
        XCTAssertEqual(stats.repeatCounts, [1, 2, 3, 4, 2, 3, 1, 4, 2, 2, 3, 1])
        XCTAssertEqual(stats.repeatedStimulusCount, 9)
        XCTAssertTrue(compareArrays("repeat-averaged responses", stats.meanResponses, try ref.readFloats("/repeat/mean_responses").values, atol: 1e-5).ok)
        for (name, mine) in [("noise_variance", stats.noiseVariance), ("total_variance", stats.totalVariance),
                             ("explainable_variance", stats.explainableVarianceFraction), ("oracle_correlation", stats.oracleCorrelation)] {
            XCTAssertTrue(compareArrays(name, mine, try ref.readDoubles("/repeat/" + name).values, atol: 1e-9, rtol: 1e-9).ok)
        }
        let feve = stats.fractionOfExplainableVarianceExplained(predictions: try ref.readFloats("/repeat/predictions").values)
        XCTAssertTrue(compareArrays("FEVE", feve, try ref.readDoubles("/repeat/feve").values, atol: 1e-9, rtol: 1e-7).ok)
        // A subset in another order: rows follow the given order.
        let sub = RepeatStatistics(responses: y.values, unitCount: u, stimulusIndex: index, stimulusCount: s, stimuli: [3, 1])
        XCTAssertEqual(sub.repeatCounts, [4, 2])
        XCTAssertEqual(Array(sub.meanResponses[0..<u]), Array(stats.meanResponses[(3 * u)..<(4 * u)]))
    }

    func testNoRepeatsGivesUndefinedNotZero() {
        let stats = RepeatStatistics(responses: [1, 2, 3], unitCount: 1, stimulusIndex: [0, 1, 2], stimulusCount: 3, stimuli: [0, 1, 2])
        XCTAssertEqual(stats.repeatedStimulusCount, 0)
        XCTAssertTrue(stats.noiseVariance[0].isNaN && stats.oracleCorrelation[0].isNaN && stats.explainableVarianceFraction[0].isNaN)
        XCTAssertEqual(stats.meanResponses, [1, 2, 3])
    }
}
