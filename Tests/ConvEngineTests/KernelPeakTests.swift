import XCTest
import Foundation
import ConvEngine

/// The peak-throughput FMA loop computes what it claims: acc ← acc·mul + add, `iterations` times,
/// on every chain and lane of the instruction set (its speed is a benchmark, not a test).
final class KernelPeakTests: XCTestCase {
    func isas() -> [KernelInstructionSet] {
        if !KernelInstructionSet.avx512.isSupported { print("KernelPeakTests: AVX-512 not reported by this CPU, AVX2 only") }
        return KernelInstructionSet.allCases.filter { $0.isSupported }
    }

    /// mul = 1, add = 0.5: every lane ends at start + iterations/2, exactly (all values are
    /// multiples of 0.5 below 2^22); lanes beyond the vector width stay untouched.
    func testExactArithmeticProgression() {
        for isa in isas() {
            let n = 1000, lanes = FMAPeakLoop.lanes(isa)
            let start = (0..<(FMAPeakLoop.chains * 16)).map { Float($0) }
            var acc = start
            let flops = FMAPeakLoop.run(isa, iterations: n, multiplier: 1, addend: 0.5, accumulators: &acc)
            XCTAssertEqual(flops, FMAPeakLoop.chains * lanes * 2, "\(isa)")
            var maxDiff: Float = 0
            for i in 0..<acc.count {
                let expected = i % 16 < lanes ? start[i] + Float(n) / 2 : start[i]
                maxDiff = max(maxDiff, abs(acc[i] - expected))
            }
            print("KernelPeakTests \(isa) progression: max |diff| \(maxDiff) (tolerance 0, exact)")
            XCTAssertEqual(maxDiff, 0, "\(isa)")
        }
    }

    /// mul = 0.75, add = 1: a_n = 4 + (a_0 − 4)·0.75^n (closed form in double); relative tolerance 1e-5
    /// (one float rounding per step, contracting by 0.75).
    func testGeometricClosedForm() {
        for isa in isas() {
            let n = 40, lanes = FMAPeakLoop.lanes(isa)
            let start = (0..<(FMAPeakLoop.chains * 16)).map { Float($0 % 23) - 7 }
            var acc = start
            FMAPeakLoop.run(isa, iterations: n, multiplier: 0.75, addend: 1, accumulators: &acc)
            var maxRel = 0.0
            for i in 0..<acc.count where i % 16 < lanes {
                let exact = 4 + (Double(start[i]) - 4) * pow(0.75, Double(n))
                maxRel = max(maxRel, abs(Double(acc[i]) - exact) / abs(exact))
            }
            print("KernelPeakTests \(isa) geometric: max relative diff \(maxRel) (tolerance 1e-5)")
            XCTAssertLessThan(maxRel, 1e-5, "\(isa)")
        }
    }

    /// RECEPTIVE_KERNELS=avx2 and `current` choose the kernels; an unsupported choice changes nothing.
    func testSelection() {
        let saved = KernelInstructionSet.current
        KernelInstructionSet.current = .avx2
        XCTAssertEqual(KernelInstructionSet.current, .avx2)
        KernelInstructionSet.current = .avx512
        XCTAssertEqual(KernelInstructionSet.current, KernelInstructionSet.avx512.isSupported ? .avx512 : .avx2)
        KernelInstructionSet.current = saved
    }
}
