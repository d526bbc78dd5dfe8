import XCTest
import Tensors
import ConvEngine

/// `--threads N` goes through `Parallel.setThreads`: the conv and elementwise kernels split their
/// work into exactly N chunks and OpenBLAS uses N threads (it used to set BLAS only).
final class ThreadSettingTests: XCTestCase {
    func testSetThreadsReachesKernelsAndBLAS() {
        let saved = Parallel.threadCount
        defer { Parallel.setThreads(saved) }
        var rng = SeededRandom(seed: 3)
        let conv = Conv2D(inputChannels: 2, outputChannels: 4, kernelSize: 3, padding: 1)
        let x = rng.normalTensor([8, 2, 16, 16])
        for n in [1, 2, 3] {
            Parallel.setThreads(n)
            XCTAssertEqual(Parallel.threadCount, n)
            XCTAssertEqual(BLAS.threads, n, "OpenBLAS threads after setThreads(\(n))")
            _ = conv.forward(x, training: false)
            XCTAssertEqual(Parallel.lastChunkCount, n, "conv forward of 8 images split into \(n) chunks")
            let big = rng.normalTensor([4, 8, 64, 64])        // 131072 elements: worth splitting
            _ = ELU().forward(big, training: false)
            XCTAssertEqual(Parallel.lastChunkCount, n, "ELU over 131072 elements split into \(n) chunks")
        }
        Parallel.setThreads(0)
        XCTAssertEqual(Parallel.threadCount, 1, "a request for 0 threads runs on 1")
    }
}
