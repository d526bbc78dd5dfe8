import XCTest
import Analysis

/// Identification on patterns where the answer is known: predictions equal to the measurements
/// identify every image (accuracy 1 at every set size); predictions of the wrong image (a cyclic
/// shift) identify none; identical predictions for all images tie everywhere (accuracy = chance).
final class ImageIdentificationTests: XCTestCase {
    func testKnownAnswers() {
        let s = 12, u = 5
        let y: [Float] = (0..<(s * u)).map { Float(sin(Double($0) * 1.7) + 0.1 * Double($0 % 7)) }
        let variance = [Double](repeating: 1, count: u)
        let same = ImageIdentification.scores(measured: y, predicted: y, images: s, targets: u, variance: variance)
        XCTAssertEqual(ImageIdentification.accuracy(scores: same.correlation, images: s, setSize: s, draws: 1, seed: 0), 1)
        XCTAssertEqual(ImageIdentification.accuracy(scores: same.gaussian, images: s, setSize: 4, draws: 5, seed: 0), 1)
        var shifted = y
        for i in 0..<s { for j in 0..<u { shifted[i * u + j] = y[((i + 1) % s) * u + j] } }
        let wrong = ImageIdentification.scores(measured: y, predicted: shifted, images: s, targets: u, variance: variance)
        XCTAssertEqual(ImageIdentification.accuracy(scores: wrong.gaussian, images: s, setSize: s, draws: 1, seed: 0), 0)
        let flat = [Float]((0..<u).map { Float($0) }), constant = (0..<s).flatMap { _ in flat }
        let tie = ImageIdentification.scores(measured: y, predicted: constant, images: s, targets: u, variance: variance)
        XCTAssertEqual(ImageIdentification.accuracy(scores: tie.gaussian, images: s, setSize: 4, draws: 3, seed: 1), 0.25, accuracy: 1e-12)
        XCTAssertEqual(ImageIdentification.curveSizes(images: 120), [2, 5, 10, 20, 50, 100, 120])
    }
}
