// Throughput of the convolution kernels against the OpenBLAS sgemm ceiling, measured in one run
// (`receptive-bench conv`, part of `make bench`). Not a test: nothing here asserts a speed.
import Foundation
import Tensors
import ConvEngine

enum ConvolutionBenchmark {
    struct Result: CustomStringConvertible, Sendable {
        let label: String
        /// Best-of-repeats seconds per call and the resulting GFLOP/s (2 flops per multiply-add).
        let forwardSeconds: Double, backwardDataSeconds: Double, backwardWeightsSeconds: Double
        let forwardGFLOPS: Double, backwardDataGFLOPS: Double, backwardWeightsGFLOPS: Double
        var description: String {
            String(format: "%@: forward %.1f GFLOP/s (%.2f ms), backward-data %.1f (%.2f ms), backward-weights %.1f (%.2f ms)",
                   label, forwardGFLOPS, forwardSeconds * 1e3, backwardDataGFLOPS, backwardDataSeconds * 1e3,
                   backwardWeightsGFLOPS, backwardWeightsSeconds * 1e3)
        }
    }

    /// The three benchmark layers: (label, geometry, batch).
    static let standardCases: [(String, ConvolutionGeometry, Int)] = [
        ("conv 32→32 k7 64×64 B=64", ConvolutionGeometry(inputChannels: 32, outputChannels: 32, height: 64, width: 64,
                                                        kernelSize: 7, padding: 3), 64),
        ("conv 1→32 k9 64×64 B=64", ConvolutionGeometry(inputChannels: 1, outputChannels: 32, height: 64, width: 64,
                                                       kernelSize: 9, padding: 4), 64),
        ("conv 32→32 k3 s2 64×64 B=64", ConvolutionGeometry(inputChannels: 32, outputChannels: 32, height: 64, width: 64,
                                                           kernelSize: 3, stride: 2, padding: 1), 64),
    ]

    /// Wall-clock time, or the calling thread's CPU time (single-threaded runs on a shared machine:
    /// time the thread spent descheduled is not counted).
    enum Clock: Sendable { case wall, threadCPU }
    nonisolated(unsafe) static var clock: Clock = .wall

    static func now() -> Double {
        switch clock {
        case .wall: return Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
        case .threadCPU:
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
        }
    }

    /// Best time of at least `repeats` runs, continuing (up to 20× repeats) while the runs so far
    /// took under `budget` seconds: on a shared machine short calls need many tries for a clean one.
    static func bestSeconds(repeats: Int, budget: Double = 3, _ body: () -> Void) -> Double {
        body()  // warm-up: scratch allocation, page faults
        var best = Double.infinity, spent = 0.0, runs = 0
        while runs < repeats || (spent < budget && runs < 20 * repeats) {
            let t0 = now()
            body()
            let t = now() - t0
            best = min(best, t); spent += t; runs += 1
        }
        return best
    }

    /// GFLOP/s of a square sgemm of order n (OpenBLAS, its own thread count).
    static func sgemmCeiling(order n: Int = 2048, repeats: Int = 5) -> Double {
        var rng = SeededRandom(seed: 1)
        let a = rng.uniformTensor([n, n], -1, 1), b = rng.uniformTensor([n, n], -1, 1)
        var c = [Float](repeating: 0, count: n * n)
        let s = bestSeconds(repeats: repeats) {
            a.data.withUnsafeBufferPointer { pa in b.data.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: n, k: n, alpha: 1, a: pa.baseAddress!, lda: n,
                           b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
            } } }
        }
        return 2 * Double(n) * Double(n) * Double(n) / s / 1e9
    }

    /// Peak single-precision GFLOP/s of the register-only FMA loop (`FMAPeakLoop`) with the
    /// kernels' instruction set: one thread (timed by `clock`) and `threads` threads at once
    /// (wall clock, each thread running the same loop).
    static func fmaPeak(_ isa: KernelInstructionSet, threads: Int, repeats: Int = 5) -> (perThread: Double, allThreads: Double) {
        let iterations = 20_000_000
        var acc = [Float](repeating: 1, count: FMAPeakLoop.chains * 16)
        var flopsPerRound = 0
        let one = bestSeconds(repeats: repeats, budget: 1) {
            flopsPerRound = FMAPeakLoop.run(isa, iterations: iterations, multiplier: 0.999, addend: 0.001, accumulators: &acc)
        }
        let perThread = Double(flopsPerRound) * Double(iterations) / one / 1e9
        let saved = clock
        clock = .wall
        defer { clock = saved }
        let all = bestSeconds(repeats: repeats, budget: 1) {
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                var a = [Float](repeating: 1, count: FMAPeakLoop.chains * 16)
                FMAPeakLoop.run(isa, iterations: iterations, multiplier: 0.999, addend: 0.001, accumulators: &a)
            }
        }
        return (perThread, Double(threads) * Double(flopsPerRound) * Double(iterations) / all / 1e9)
    }

    /// The layers measured on the FFT path too (`fft` lines): stacked3's 7×7 layers at 64×64 and at
    /// the V4 size, and the first layer (one input channel, k9).
    static let fftCases: [(String, ConvolutionGeometry, Int)] = [
        standardCases[0],
        ("conv 32→32 k7 56×56 B=64", ConvolutionGeometry(inputChannels: 32, outputChannels: 32, height: 56, width: 56,
                                                        kernelSize: 7, padding: 3), 64),
        standardCases[1],
    ]

    /// `fft`: FFTConvolution instead of the direct kernels; GFLOP/s are then *effective* (the direct
    /// method's multiply-adds / time) and may exceed the FMA peak. Its forward includes the filter
    /// transform (weights change every training step).
    static func measure(_ label: String, _ g: ConvolutionGeometry, batch: Int, repeats: Int = 5, fft: Bool = false) -> Result {
        var rng = SeededRandom(seed: 2)
        let x = rng.normalTensor([batch, g.inputChannels, g.height, g.width])
        let w = rng.normalTensor([g.outputChannels, g.inputChannels / g.groups, g.kernelSize, g.kernelSize], std: 0.1)
        let b = rng.normalTensor([g.outputChannels])
        let dy = rng.normalTensor([batch, g.outputChannels, g.outputHeight, g.outputWidth])
        var y = [Float](repeating: 0, count: dy.count)
        var dx = [Float](repeating: 0, count: x.count)
        var dw = [Float](repeating: 0, count: w.count), db = [Float](repeating: 0, count: b.count)
        let engine = FastConvolution()
        let fftEngine = FFTConvolution()
        let flops = 2 * Double(g.multiplyAddsPerImage) * Double(batch)
        let tf = bestSeconds(repeats: repeats) {
            x.data.withUnsafeBufferPointer { px in w.data.withUnsafeBufferPointer { pw in b.data.withUnsafeBufferPointer { pb in
                y.withUnsafeMutableBufferPointer { py in
                    if fft {
                        fftEngine.forgetFilterSpectra()
                        fftEngine.forward(g, batch: batch, x: px.baseAddress!, weight: pw.baseAddress!, bias: pb.baseAddress!, y: py.baseAddress!)
                    } else {
                        engine.forward(g, batch: batch, x: px.baseAddress!, weight: pw.baseAddress!, bias: pb.baseAddress!, y: py.baseAddress!)
                    }
                } } } }
        }
        let td = bestSeconds(repeats: repeats) {
            dy.data.withUnsafeBufferPointer { pdy in w.data.withUnsafeBufferPointer { pw in dx.withUnsafeMutableBufferPointer { pdx in
                if fft {
                    fftEngine.backwardData(g, batch: batch, dy: pdy.baseAddress!, weight: pw.baseAddress!, dx: pdx.baseAddress!)
                } else {
                    engine.backwardData(g, batch: batch, dy: pdy.baseAddress!, weight: pw.baseAddress!, dx: pdx.baseAddress!)
                }
            } } }
        }
        let tw = bestSeconds(repeats: repeats) {
            x.data.withUnsafeBufferPointer { px in dy.data.withUnsafeBufferPointer { pdy in
                dw.withUnsafeMutableBufferPointer { pdw in db.withUnsafeMutableBufferPointer { pdb in
                    if fft {
                        fftEngine.backwardWeights(g, batch: batch, x: px.baseAddress!, dy: pdy.baseAddress!, dWeight: pdw.baseAddress!, dBias: pdb.baseAddress!)
                    } else {
                        engine.backwardWeights(g, batch: batch, x: px.baseAddress!, dy: pdy.baseAddress!, dWeight: pdw.baseAddress!, dBias: pdb.baseAddress!)
                    }
                } } } }
        }
        return Result(label: label, forwardSeconds: tf, backwardDataSeconds: td, backwardWeightsSeconds: tw,
                      forwardGFLOPS: flops / tf / 1e9, backwardDataGFLOPS: flops / td / 1e9, backwardWeightsGFLOPS: flops / tw / 1e9)
    }
}
