import XCTest
import Tensors
import Encoding

/// `predict` (stimuli in memory) and `predictStimuli` (a stimulus source) share one batching loop:
/// both equal one forward pass over all stimuli, whatever the batch size (tolerance 1e-5: the
/// readout's sgemm may block a batch of 1 differently from one of 10).
final class EncoderPredictionTests: XCTestCase {
    func testPredictAndPredictStimuliAgreeWithOneForward() throws {
        let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: 12, width: 12, units: 3, channels: 2)
        let enc = try NeuralEncoder(architecture: arch, seed: 7)
        var rng = SeededRandom(seed: 8)
        let x = rng.normalTensor([10, 1, 12, 12])
        let whole = enc.forward(x, training: false)
        XCTAssertEqual(whole.shape, [10, 3])
        let order = [9, 0, 4, 4, 2]
        let reordered = enc.forward(Tensor(shape: [order.count, 1, 12, 12], data: order.flatMap { Array(x.slice($0..<($0 + 1)).data) }), training: false)
        for batch in [1, 3, 10, 128] {
            let p = enc.predict(x, batchSize: batch)
            let s = try enc.predictStimuli(InMemoryStimuli(x), indices: order, batchSize: batch)
            print("batch \(batch): max |predict − forward| \(maxAbsDifference(p.data, whole.data)), max |predictStimuli − forward| \(maxAbsDifference(s.data, reordered.data))")
            XCTAssertEqual(p.shape, [10, 3]); XCTAssertLessThanOrEqual(maxAbsDifference(p.data, whole.data), 1e-5)
            XCTAssertEqual(s.shape, [order.count, 3]); XCTAssertLessThanOrEqual(maxAbsDifference(s.data, reordered.data), 1e-5)
        }
        XCTAssertEqual(enc.predict(Tensor(shape: [0, 1, 12, 12])).shape, [0, 3])
    }
}
