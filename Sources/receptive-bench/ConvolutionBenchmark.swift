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
        /// The FMA peak measured between the repeats of each pass (`measure(peakProbe:)`), GFLOP/s;
        /// nil without a probe.
        var forwardPeakGFLOPS: Double? = nil, backwardDataPeakGFLOPS: Double? = nil, backwardWeightsPeakGFLOPS: Double? = nil
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
        bestSeconds(repeats: repeats, budget: budget, body, beside: nil).body
    }

    /// The same, and when `probe` is given it runs after every run of `body` (its time not counted
    /// in the budget): the best of each, measured over the same seconds. On a shared host the
    /// clock this machine gets drifts by several percent from minute to minute (the FMA peak
    /// measured at the start of a run was 217–232 GFLOP/s on 2 threads in one session), so a
    /// fraction of a peak measured at another moment can be off by as much, either way.
    static func bestSeconds(repeats: Int, budget: Double = 3, _ body: () -> Void, beside probe: (() -> Void)?) -> (body: Double, probe: Double) {
        body()  // warm-up: scratch allocation, page faults
        var best = Double.infinity, bestProbe = Double.infinity, spent = 0.0, runs = 0
        while runs < repeats || (spent < budget && runs < 20 * repeats) {
            let t0 = now()
            body()
            let t = now() - t0
            best = min(best, t); spent += t; runs += 1
            if let probe {
                let p0 = now()
                probe()
                bestProbe = min(bestProbe, now() - p0)
            }
        }
        return (best, bestProbe)
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
        let one = peakProbe(isa, threads: 1)
        let perThread = one.flops / bestSeconds(repeats: repeats, budget: 1, one.run) / 1e9
        let saved = clock
        clock = .wall
        defer { clock = saved }
        let all = peakProbe(isa, threads: threads)
        return (perThread, all.flops / bestSeconds(repeats: repeats, budget: 1, all.run) / 1e9)
    }

    /// One run of the FMA loop on `threads` threads at once (each the same 20 million rounds; one
    /// thread: on the calling thread) and the flops it does: what `fmaPeak` times, and the probe
    /// `measure` runs between a pass's repeats.
    static func peakProbe(_ isa: KernelInstructionSet, threads: Int) -> (run: () -> Void, flops: Double) {
        let iterations = 20_000_000
        let flopsPerRound = FMAPeakLoop.chains * FMAPeakLoop.lanes(isa) * 2
        let loop: @Sendable () -> Void = {
            var a = [Float](repeating: 1, count: FMAPeakLoop.chains * 16)
            FMAPeakLoop.run(isa, iterations: iterations, multiplier: 0.999, addend: 0.001, accumulators: &a)
        }
        let run = threads == 1 ? loop : { DispatchQueue.concurrentPerform(iterations: threads) { _ in loop() } }
        return (run, Double(threads) * Double(flopsPerRound) * Double(iterations))
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
    ///
    /// `peakProbe` (flops and a run of the FMA loop, `peakProbe(_:threads:)`): run after every repeat
    /// of each pass, its best giving that pass's peak beside it (`Result.forwardPeakGFLOPS` …).
    static func measure(_ label: String, _ g: ConvolutionGeometry, batch: Int, repeats: Int = 5, fft: Bool = false,
                        peakProbe: (run: () -> Void, flops: Double)? = nil) -> Result {
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
        let tf = bestSeconds(repeats: repeats, {
            x.data.withUnsafeBufferPointer { px in w.data.withUnsafeBufferPointer { pw in b.data.withUnsafeBufferPointer { pb in
                y.withUnsafeMutableBufferPointer { py in
                    if fft {
                        fftEngine.forgetFilterSpectra()
                        fftEngine.forward(g, batch: batch, x: px.baseAddress!, weight: pw.baseAddress!, bias: pb.baseAddress!, y: py.baseAddress!)
                    } else {
                        engine.forward(g, batch: batch, x: px.baseAddress!, weight: pw.baseAddress!, bias: pb.baseAddress!, y: py.baseAddress!)
                    }
                } } } }
        }, beside: peakProbe?.run)
        let td = bestSeconds(repeats: repeats, {
            dy.data.withUnsafeBufferPointer { pdy in w.data.withUnsafeBufferPointer { pw in dx.withUnsafeMutableBufferPointer { pdx in
                if fft {
                    fftEngine.backwardData(g, batch: batch, dy: pdy.baseAddress!, weight: pw.baseAddress!, dx: pdx.baseAddress!)
                } else {
                    engine.backwardData(g, batch: batch, dy: pdy.baseAddress!, weight: pw.baseAddress!, dx: pdx.baseAddress!)
                }
            } } }
        }, beside: peakProbe?.run)
        let tw = bestSeconds(repeats: repeats, {
            x.data.withUnsafeBufferPointer { px in dy.data.withUnsafeBufferPointer { pdy in
                dw.withUnsafeMutableBufferPointer { pdw in db.withUnsafeMutableBufferPointer { pdb in
                    if fft {
                        fftEngine.backwardWeights(g, batch: batch, x: px.baseAddress!, dy: pdy.baseAddress!, dWeight: pdw.baseAddress!, dBias: pdb.baseAddress!)
                    } else {
                        engine.backwardWeights(g, batch: batch, x: px.baseAddress!, dy: pdy.baseAddress!, dWeight: pdw.baseAddress!, dBias: pdb.baseAddress!)
                    }
                } } } }
        }, beside: peakProbe?.run)
        let peak = { (t: (body: Double, probe: Double)) in peakProbe.map { $0.flops / t.probe / 1e9 } }
        return Result(label: label, forwardSeconds: tf.body, backwardDataSeconds: td.body, backwardWeightsSeconds: tw.body,
                      forwardGFLOPS: flops / tf.body / 1e9, backwardDataGFLOPS: flops / td.body / 1e9,
                      backwardWeightsGFLOPS: flops / tw.body / 1e9,
                      forwardPeakGFLOPS: peak(tf), backwardDataPeakGFLOPS: peak(td), backwardWeightsPeakGFLOPS: peak(tw))
    }
}
