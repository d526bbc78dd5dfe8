import XCTest
import Tensors
import ConvEngine

/// Prints convolution throughput against the sgemm ceiling. Run by hand:
///   RECEPTIVE_CONV_BENCH=1 swift test -c release --skip-build --filter ConvolutionBenchmarkTests
/// Speeds are reported, never asserted; the test checks only that every measurement is a
/// positive finite number.
final class ConvolutionBenchmarkTests: XCTestCase {
    func testPrintThroughput() throws {
        guard ProcessInfo.processInfo.environment["RECEPTIVE_CONV_BENCH"] == "1" else {
            throw XCTSkip("benchmark: set RECEPTIVE_CONV_BENCH=1 to run")
        }
        // RECEPTIVE_CONV_BENCH_MODE=cpu: single thread, timed by thread CPU time (shared machines).
        let cpu = ProcessInfo.processInfo.environment["RECEPTIVE_CONV_BENCH_MODE"] == "cpu"
        let (ceiling, results) = ConvolutionBenchmark.report(singleThreadCPUTime: cpu)
        XCTAssertTrue(ceiling.isFinite && ceiling > 0)
        for r in results {
            XCTAssertTrue([r.forwardGFLOPS, r.backwardDataGFLOPS, r.backwardWeightsGFLOPS].allSatisfy { $0.isFinite && $0 > 0 })
        }
    }
}
