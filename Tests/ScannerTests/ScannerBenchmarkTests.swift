// By-hand run of the scanner benchmark (RECEPTIVE_SCANNER_BENCH=1); `make bench` prints the same.
import XCTest
import Scanner

final class ScannerBenchmarkTests: XCTestCase {
    func testFilterLearningImageCost() throws {
        guard ProcessInfo.processInfo.environment["RECEPTIVE_SCANNER_BENCH"] == "1" else {
            throw XCTSkip("benchmark: set RECEPTIVE_SCANNER_BENCH=1 to run")
        }
        for n in [1, 8] { for r in try ScannerBenchmark.run(stimuli: n) { print(r) } }
    }
}
