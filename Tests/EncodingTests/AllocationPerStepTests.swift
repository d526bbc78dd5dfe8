// A warm training step allocates no tensor: every layer, the encoder and the trainer write the
// step's activations, gradients and batches into the storage of the step before
// (`ReusableStorage`, `Layer.releaseSaved`). Counted by the malloc interposer of
// CAllocationCounter (every allocation of the process, all threads) over steps of the real
// Trainer loop, between two of its per-step stop polls.
import XCTest
import CAllocationCounter
import Tensors
import ConvEngine
import NeuralData
import Encoding

final class AllocationPerStepTests: XCTestCase {
    /// Allocations of steps `first ..< first + count` (1-based) of a stacked3 fit on 32×32 images
    /// (first layer on the direct kernels, the 7×7 layers on the FFT path, factorized readout).
    /// "Large": 4 KiB or more.
    func countSteps(first: Int, count: Int, batch: Int = 16, repeats: Int = 1) throws -> rcp_allocation_counts {
        let u = 20, side = 32
        let ds = SmallTrainingData.poisson(stimuli: 240, side: side, units: u, repeats: repeats, seed: 7)
        let prep = try Preprocessing.fit(on: ds, options: PreprocessingOptions(grayscale: true))
        let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: side, width: side, units: u, channels: 16)
        var o = TrainingOptions()
        o.epochs = 1; o.batchSize = batch
        o.activationL1 = 1e-3  // the activity penalty's gradient too
        let encoder = try NeuralEncoder(architecture: arch, seed: 0)
        let trainer = try Trainer(encoder: encoder, data: try TrainingData(dataset: ds, preprocessing: prep),
                                  observation: PoissonObservation(), options: o)
        // Polled after every step but an epoch's last (and once before the epoch).
        var polls = 0
        var counts: rcp_allocation_counts?
        trainer.stopRequested = {
            polls += 1
            if polls == first { rcp_allocation_counting_begin(4096) }
            if polls == first + count { counts = rcp_allocation_counting_end() }
            return false
        }
        _ = try trainer.fit()
        return try XCTUnwrap(counts, "the epoch had fewer than \(first + count - 1) steps")
    }

    /// OpenBLAS's threaded sgemm driver mallocs its job table (512 KB) on every threaded call —
    /// the readout's products on several threads — which no setting of ours avoids; with one BLAS
    /// thread it takes its buffers from its own pool. Measured with one BLAS thread here;
    /// `receptive-bench train` reports the counts with the machine's threads.
    func withOneBLASThread<T>(_ body: () throws -> T) rethrows -> T {
        let before = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(before) }
        return try body()
    }

    func testWarmTrainingStepsAllocateNoTensor() throws {
        try XCTSkipUnless(rcp_allocation_counter_active() == 1, "the allocation counter is not the process's malloc here")
        XCTAssertTrue(ReusableStorage.uniquenessCheckWorks)
        let c = try withOneBLASThread { try countSteps(first: 3, count: 3) }
        print("3 warm training steps (B 16, 32×32, stacked3 16 channels, 20 units): \(c.count) allocations, \(c.bytes) bytes, "
              + "\(c.large_count) of at least 4 KiB (\(c.large_bytes) bytes), largest \(c.largest) bytes")
        // One activation here is 16·16·24·24 floats = 590 KB; the batch 64 KB; μ and ∂L/∂μ 1.3 KB.
        XCTAssertEqual(c.large_count, 0, "allocations of 4 KiB or more in warm steps (largest \(c.largest) bytes)")
        XCTAssertLessThan(c.largest, 1024, "largest allocation in warm steps")
    }

    /// The small allocations left (shape arrays, closure contexts) do not grow with the batch:
    /// the same count per step at batch 8 and 32, within a few.
    func testWhatRemainsDoesNotScaleWithTheBatch() throws {
        try XCTSkipUnless(rcp_allocation_counter_active() == 1, "the allocation counter is not the process's malloc here")
        let small = try withOneBLASThread { try countSteps(first: 3, count: 3, batch: 8) }
        let large = try withOneBLASThread { try countSteps(first: 3, count: 3, batch: 32) }
        print("3 warm steps: batch 8 \(small.count) allocations (\(small.bytes) bytes), batch 32 \(large.count) (\(large.bytes) bytes)")
        XCTAssertEqual(small.large_count + large.large_count, 0)
        XCTAssertLessThanOrEqual(abs(Int(large.count) - Int(small.count)), 30)
    }

    /// Trials grouped by stimulus with repeats: the trial-mean gather and the summed row gradient
    /// reuse their storage too.
    func testRepeatedTrialsAllocateNoTensor() throws {
        try XCTSkipUnless(rcp_allocation_counter_active() == 1, "the allocation counter is not the process's malloc here")
        let c = try withOneBLASThread { try countSteps(first: 3, count: 3, batch: 8, repeats: 3) }
        print("3 warm steps with 3 repeats per stimulus: \(c.count) allocations, largest \(c.largest) bytes")
        XCTAssertEqual(c.large_count, 0, "largest \(c.largest) bytes")
    }

    /// Backward's input gradients (and evaluation-mode activations) live briefly: they share the
    /// few arrays of the shared pool instead of one per layer, so keeping storage between steps
    /// does not add a gradient per layer to the memory of a step.
    func testGradientsShareAFewArrays() throws {
        let s = 32, u = 20, b = 16
        let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: s, width: s, units: u, channels: 16)
        let enc = try NeuralEncoder(architecture: arch, seed: 0)
        var rng = SeededRandom(seed: 0)
        let x = rng.normalTensor([b, 1, s, s])
        let dMean = rng.normalTensor([b, u])
        StoragePool.shared.drain()
        for _ in 0..<3 {
            _ = enc.forward(x, training: true)
            enc.backward(dMean, inputGradient: true)
            enc.releaseSaved()
        }
        // The largest gradient: an activation, (B, 16, 32, 32) (stacked3 pads its convolutions).
        let largest = b * 16 * s * s
        let train = StoragePool.shared.footprint
        print("shared pool after 3 training steps: \(train.entries) arrays, \(train.floats) floats (largest gradient \(largest))")
        XCTAssertLessThanOrEqual(train.entries, 4, "arrays for \(enc.core.layers.count + 1) layers' gradients")
        XCTAssertLessThanOrEqual(train.floats, 3 * largest)
        XCTAssertGreaterThanOrEqual(train.floats, 2 * largest, "the gradients did not go through the pool")
        StoragePool.shared.drain()
        for _ in 0..<3 { _ = enc.forward(x, training: false) }
        let eval = StoragePool.shared.footprint
        print("shared pool after 3 evaluation passes: \(eval.entries) arrays, \(eval.floats) floats")
        XCTAssertLessThanOrEqual(eval.entries, 3)
        XCTAssertLessThanOrEqual(eval.floats, 3 * largest)
        XCTAssertGreaterThanOrEqual(eval.floats, 2 * largest, "the evaluation activations did not go through the pool")
    }
}
