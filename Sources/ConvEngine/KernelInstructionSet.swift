// Which instruction set the convolution kernels of Sources/CKernels use, and the register-only
// FMA loop that measures the machine's peak (receptive-bench reports every conv figure as a
// fraction of it).
import CKernels

/// The instruction set of the convolution kernels, chosen at run time: AVX-512 when the CPU
/// reports avx512f/vl/dq, unless the environment sets `RECEPTIVE_KERNELS=avx2`; AVX2 + FMA otherwise.
public enum KernelInstructionSet: String, CaseIterable, Sendable {
    case avx2, avx512

    var code: Int32 { self == .avx512 ? RCP_ISA_AVX512 : RCP_ISA_AVX2 }

    /// Whether this CPU can run the kernels of this instruction set.
    public var isSupported: Bool { rcp_isa_supported(code) != 0 }

    /// The kernels in use now. Setting an unsupported one leaves the choice unchanged; change it
    /// only while no convolution runs.
    public static var current: KernelInstructionSet {
        get { rcp_isa() == RCP_ISA_AVX512 ? .avx512 : .avx2 }
        set { _ = rcp_set_isa(newValue.code) }
    }

    /// Runs `body` with the kernels of `isa` (which must be supported), then restores the choice.
    public static func with<T>(_ isa: KernelInstructionSet, _ body: () throws -> T) rethrows -> T {
        let saved = current
        precondition(isa.isSupported, "the CPU does not support \(isa.rawValue)")
        current = isa
        defer { current = saved }
        return try body()
    }
}

/// The peak-throughput loop: `RCP_PEAK_CHAINS` independent chains acc ← acc·mul + add, each a
/// vector register (8 lanes for AVX2, 16 for AVX-512), no memory traffic inside the loop.
public enum FMAPeakLoop {
    /// Chains of the loop.
    public static var chains: Int { Int(RCP_PEAK_CHAINS) }
    /// Vector lanes of one chain.
    public static func lanes(_ isa: KernelInstructionSet) -> Int { isa == .avx512 ? 16 : 8 }

    /// Runs `iterations` rounds; `accumulators` (chains × 16 floats, chain i at 16i ..< 16i + lanes)
    /// hold the starting values and receive the final ones. Returns the flops of one round.
    @discardableResult
    public static func run(_ isa: KernelInstructionSet, iterations: Int, multiplier: Float, addend: Float,
                           accumulators: inout [Float]) -> Int {
        precondition(accumulators.count == chains * 16, "accumulators must hold \(chains * 16) floats")
        precondition(isa.isSupported, "the CPU does not support \(isa.rawValue)")
        return accumulators.withUnsafeMutableBufferPointer {
            rcp_fma_peak_loop(isa.code, iterations, multiplier, addend, $0.baseAddress!)
        }
    }
}
