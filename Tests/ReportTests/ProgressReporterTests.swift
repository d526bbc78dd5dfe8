import XCTest
import Report

final class ProgressReporterTests: XCTestCase {
    final class FakeClock { var now = 100.0; func read() -> Double { now } }

    func testLinesAndETA() {
        let clock = FakeClock()
        var written: [String] = []
        let p = ProgressReporter(total: 5, unit: "epoch", isTerminal: false, sink: { written.append($0) }, clock: clock.read)
        XCTAssertNil(p.etaSeconds)
        clock.now = 102   // first epoch took 2 s → mean 2 s, 4 left → ETA 8 s
        let l1 = p.step([ProgressField("train LL", -0.5), ProgressField("val LL", -0.52345, precision: 3)])
        XCTAssertEqual(l1, "epoch 1/5  train LL -0.5000  val LL -0.523  2.00 s/epoch  ETA 8 s")
        XCTAssertEqual(p.etaSeconds, 8)
        clock.now = 106   // second took 4 s → mean 3 s, 3 left → 9 s
        p.step([ProgressField("bits/spike", "n/a")])
        XCTAssertEqual(p.meanStepSeconds, 3)
        XCTAssertEqual(p.etaSeconds, 9)
        XCTAssertEqual(written.last, "epoch 2/5  bits/spike n/a  4.00 s/epoch  ETA 9 s\n")
        p.status("batch 3/10")   // not a terminal: dropped
        clock.now = 300
        p.step([]); p.step([])
        clock.now = 400
        let last = p.step([])
        XCTAssertEqual(p.etaSeconds, 0)
        XCTAssertEqual(last, "epoch 5/5  100 s/epoch  total 5 min 00 s")
        XCTAssertEqual(written.count, 5)
        XCTAssertFalse(written.joined().contains("\r"))
    }

    func testCounterPadding() {
        let clock = FakeClock()
        let p = ProgressReporter(total: 120, unit: "round", isTerminal: false, sink: { _ in }, clock: clock.read)
        clock.now = 100.5
        XCTAssertTrue(p.step([]).hasPrefix("round   1/120  0.50 s/round  ETA 1 min 00 s"))
    }

    func testQuietWritesNothing() {
        let clock = FakeClock()
        var written: [String] = []
        let p = ProgressReporter(total: 3, quiet: true, isTerminal: true, sink: { written.append($0) }, clock: clock.read)
        clock.now = 101
        p.step([ProgressField("LL", 1.0)]); p.status("x"); p.message("hello"); p.finish()
        XCTAssertTrue(written.isEmpty)
        XCTAssertEqual(p.completed, 1)
        XCTAssertEqual(p.etaSeconds, 2)   // still computed
    }

    func testTerminalStatusLineIsRewrittenAndCleared() {
        let clock = FakeClock()
        var written: [String] = []
        let p = ProgressReporter(total: 2, isTerminal: true, sink: { written.append($0) }, clock: clock.read)
        p.status("batch 1/4"); p.status("batch 2/4")
        clock.now = 101
        p.step([])
        p.status("batch 1/4")
        p.finish()
        XCTAssertEqual(written, ["\r\u{1B}[Kbatch 1/4", "\r\u{1B}[Kbatch 2/4", "\r\u{1B}[K", "epoch 1/2  1.00 s/epoch  ETA 1 s\n",
                                 "\r\u{1B}[Kbatch 1/4", "\r\u{1B}[K"])
    }

    func testDurationFormats() {
        XCTAssertEqual(ProgressReporter.formatDuration(42.4), "42 s")
        XCTAssertEqual(ProgressReporter.formatDuration(185), "3 min 05 s")
        XCTAssertEqual(ProgressReporter.formatDuration(7650), "2 h 07 min")
        XCTAssertEqual(ProgressReporter.formatDuration(.nan), "?")
        XCTAssertEqual(ProgressReporter.formatSeconds(0.0123), "0.012 s")
        XCTAssertEqual(ProgressReporter.formatSeconds(12.34), "12.3 s")
    }
}
