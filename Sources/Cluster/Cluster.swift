// Where a command runs: one process (always), or R processes started by `mpirun` (Open MPI, when
// the package was built with its headers present; see Package.swift and docs/scaling.md).
// Library code talks to `Cluster` only; `#if RECEPTIVE_MPI` appears in this target alone.
import Foundation

/// The processes one command runs on, and the collective operations the commands need.
/// Every rank must call the collectives in the same order with buffers of the same length.
public protocol Cluster: AnyObject {
    /// This process, 0 ..< size. Rank 0 writes outputs and prints results.
    var rank: Int { get }
    var size: Int { get }
    /// "single process" or the MPI library's name and version.
    var backend: String { get }
    /// Element-wise sum over ranks, in place; every rank gets the result.
    func allreduceSum(_ buffer: inout [Float])
    func allreduceSum(_ buffer: inout [Double])
    /// Concatenation, in rank order, of every rank's `local` (lengths may differ); every rank gets it.
    func allgather(_ local: [Double]) -> [Double]
    /// The same for float32 values (half the bytes of gathering them as Double).
    func allgather(_ local: [Float]) -> [Float]
    /// Concatenation, in rank order, of every rank's `local` on rank 0 (an empty array on the
    /// others). `local` holds whole items of `itemSize` values; MPI counts items, so the total may
    /// exceed 2³¹ values as long as the items do not.
    func gatherToRoot(_ local: [Float], itemSize: Int) -> [Float]
    func barrier()
    /// Prints `message` on stderr (prefixed by this rank when size > 1) and ends every rank with `code`.
    func abort(_ message: String, code: Int32) -> Never
    /// Ends the MPI session (no-op for a single process). Call once, on every rank, before exiting.
    func finish()
    /// The agreement point of a command: every rank calls it once, after its input phase (options
    /// checked, files opened, its share read) and before any other collective, with its failure
    /// there (nil when it had none). Returns nil when no rank failed; otherwise the lowest failing
    /// rank, its exit code and whether every rank failed with the same message, the same on every
    /// rank (one MPI_Allreduce, MIN, of four int64: `AgreedFailure.contribution`).
    func agree(_ failure: RankFailure?) -> AgreedFailure?
    /// Whether this rank has passed its agreement point.
    var hasAgreed: Bool { get }
    /// Bytes this rank has contributed to collectives so far (its buffers' sizes; 0 in one process).
    var communicatedBytes: Int { get }
    /// Collective calls this rank has made so far.
    var collectiveCalls: Int { get }
}

extension Cluster {
    public var isRoot: Bool { rank == 0 }
    /// This rank's contiguous share of `count` items, balanced to within one item (or one block of
    /// `block` items: shares then start on multiples of `block`, so batched work forms the same
    /// batches as in one process).
    public func share(of count: Int, block: Int = 1) -> Range<Int> {
        Cluster_share(count: count, block: block, rank: rank, size: size)
    }
    /// The shares of every rank.
    public func shares(of count: Int, block: Int = 1) -> [Range<Int>] {
        (0..<size).map { Cluster_share(count: count, block: block, rank: $0, size: size) }
    }
}

/// Contiguous block partition of `count` items over `size` ranks (blocks of `block` items).
public func Cluster_share(count: Int, block: Int, rank: Int, size: Int) -> Range<Int> {
    let b = max(block, 1)
    let blocks = (count + b - 1) / b
    let q = blocks / size, r = blocks % size
    let first = rank * q + min(rank, r)
    let n = q + (rank < r ? 1 : 0)
    return min(count, first * b)..<min(count, (first + n) * b)
}

/// A rank's failure in its input phase, as the agreement point compares it: the exit code it would
/// end with (1 ... 255) and a digest of its one-line message (64-bit FNV-1a of the UTF-8 bytes, the
/// same on every machine, unlike Swift's seeded `Hasher`).
public struct RankFailure: Equatable, Sendable {
    public let code: Int32
    public let digest: UInt64
    public init(code: Int32, message: String) {
        let c = code & 0xff
        self.code = c == 0 ? 1 : c
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in message.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        digest = h
    }
}

/// What the ranks agreed at the agreement point when at least one failed: the lowest failing rank,
/// its exit code, and whether every rank failed with the same message (digest).
public struct AgreedFailure: Error, Equatable, Sendable {
    public let rank: Int
    public let code: Int32
    public let everyRankAlike: Bool
    public init(rank: Int, code: Int32, everyRankAlike: Bool) { self.rank = rank; self.code = code; self.everyRankAlike = everyRankAlike }

    /// This rank's four values for the element-wise MIN over ranks: [rank·256 + code (size·256 when
    /// it did not fail), 1 if it failed else 0, its digest (63 bits) or Int64.max, minus that digest or
    /// Int64.max]. The minima give the lowest failing rank with its code, whether all failed, and the
    /// smallest and largest digest of the failed ranks.
    public static func contribution(_ failure: RankFailure?, rank: Int, size: Int) -> [Int64] {
        guard let f = failure else { return [Int64(size) * 256, 0, Int64.max, Int64.max] }
        let d = Int64(bitPattern: f.digest & 0x7fff_ffff_ffff_ffff)
        return [Int64(rank) * 256 + Int64(f.code), 1, d, -d]
    }

    /// The outcome from the element-wise minima of every rank's `contribution`; nil when none failed.
    public static func decode(_ minima: [Int64], size: Int) -> AgreedFailure? {
        guard minima.count == 4, minima[0] < Int64(size) * 256 else { return nil }
        return AgreedFailure(rank: Int(minima[0] / 256), code: Int32(minima[0] % 256),
                             everyRankAlike: minima[1] == 1 && minima[2] == -minima[3])
    }
}

/// Why a cluster could not be started.
public struct ClusterError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// One process: collectives are identities.
public final class SingleProcess: Cluster {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var backend: String { "single process" }
    public func allreduceSum(_ buffer: inout [Float]) {}
    public func allreduceSum(_ buffer: inout [Double]) {}
    public func allgather(_ local: [Double]) -> [Double] { local }
    public func allgather(_ local: [Float]) -> [Float] { local }
    public func gatherToRoot(_ local: [Float], itemSize: Int) -> [Float] { local }
    public func barrier() {}
    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("receptive: \(message)\n".utf8))
        exit(code)
    }
    public func finish() {}
    public private(set) var hasAgreed = false
    public func agree(_ failure: RankFailure?) -> AgreedFailure? {
        hasAgreed = true
        return AgreedFailure.decode(AgreedFailure.contribution(failure, rank: 0, size: 1), size: 1)
    }
    public var communicatedBytes: Int { 0 }
    public var collectiveCalls: Int { 0 }
}

public enum Clusters {
    /// True when this binary was built with Open MPI.
    public static var mpiAvailable: Bool {
        #if RECEPTIVE_MPI
        return true
        #else
        return false
        #endif
    }

    /// This process's rank as the launcher (mpirun/srun) numbered it, from its environment, before
    /// MPI is started (0 when there is no launcher): argument errors are printed by rank 0 only.
    public static var launchedRank: Int {
        let env = ProcessInfo.processInfo.environment
        for key in ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"] {
            if let v = env[key], let n = Int(v) { return n }
        }
        return 0
    }

    /// The number of processes the launcher (mpirun/srun) started, from its environment; 1 when none.
    public static var launchedSize: Int {
        let env = ProcessInfo.processInfo.environment
        for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
            if let v = env[key], let n = Int(v) { return n }
        }
        // srun --mpi=pmix sets PMIX_RANK and the task count.
        if env["PMIX_RANK"] != nil, let v = env["SLURM_NTASKS"], let n = Int(v) { return n }
        return 1
    }

    nonisolated(unsafe) private static var started: Cluster?

    /// The cluster this process belongs to: MPI when started by a launcher with more than one
    /// process (or when `ranks` asks for it), a single process otherwise. Started once.
    public static func start() throws -> Cluster {
        if let c = started { return c }
        let n = launchedSize
        let c: Cluster
        if n > 1 {
            #if RECEPTIVE_MPI
            c = try MPICluster()
            #else
            throw ClusterError(reason: "started as one of \(n) processes (mpirun/srun) but this receptive was built without Open MPI; install libopenmpi-dev and rebuild (docs/scaling.md), or run it as one process")
            #endif
        } else {
            c = SingleProcess()
        }
        started = c
        return c
    }
}

#if RECEPTIVE_MPI
import CMPI

/// Open MPI through its C API. MPI is initialised with MPI_THREAD_FUNNELED: only the main thread
/// calls MPI; the compute threads (BLAS, conv kernels) never do.
public final class MPICluster: Cluster {
    public let rank: Int
    public let size: Int
    public let backend: String
    private let world: MPI_Comm
    private var finished = false
    public private(set) var communicatedBytes = 0
    public private(set) var collectiveCalls = 0

    init() throws {
        var provided: Int32 = 0
        guard MPI_Init_thread(nil, nil, rcp_mpi_thread_funneled(), &provided) == MPI_SUCCESS else {
            throw ClusterError(reason: "MPI_Init_thread failed")
        }
        world = rcp_mpi_comm_world()
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(world, &r); MPI_Comm_size(world, &s)
        rank = Int(r); size = Int(s)
        var major: Int32 = 0, minor: Int32 = 0
        MPI_Get_version(&major, &minor)
        var name = [CChar](repeating: 0, count: Int(MPI_MAX_LIBRARY_VERSION_STRING) + 1)
        var len: Int32 = 0
        MPI_Get_library_version(&name, &len)
        let lib = String(cString: name).split(separator: ",").first.map(String.init) ?? "MPI"
        backend = "\(lib) (MPI \(major).\(minor))"
    }

    private func check(_ rc: Int32, _ what: String) {
        if rc != MPI_SUCCESS { abort("\(what) failed (MPI error \(rc))", code: 70) }
    }

    public func allreduceSum(_ buffer: inout [Float]) { allreduceSum(&buffer, type: rcp_mpi_float()) }

    public func allreduceSum(_ buffer: inout [Double]) { allreduceSum(&buffer, type: rcp_mpi_double()) }

    /// In-place MPI_Allreduce (sum) of `buffer`, whose elements are MPI's `type`.
    private func allreduceSum<T>(_ buffer: inout [T], type: MPI_Datatype) {
        guard size > 1, !buffer.isEmpty else { return }
        let n = buffer.count
        communicatedBytes += MemoryLayout<T>.stride * n; collectiveCalls += 1
        let rc = buffer.withUnsafeMutableBytes { b in
            MPI_Allreduce(rcp_mpi_in_place(), b.baseAddress, Int32(n), type, rcp_mpi_sum(), world)
        }
        check(rc, "MPI_Allreduce")
    }

    public func allgather(_ local: [Double]) -> [Double] { allgather(local, type: rcp_mpi_double()) }

    public func allgather(_ local: [Float]) -> [Float] { allgather(local, type: rcp_mpi_float()) }

    /// MPI_Allgatherv of `local`, whose elements are MPI's `type`, after an MPI_Allgather of the counts.
    private func allgather<T: Numeric>(_ local: [T], type: MPI_Datatype) -> [T] {
        guard size > 1 else { return local }
        communicatedBytes += MemoryLayout<T>.stride * local.count + 8; collectiveCalls += 2
        var mine = Int64(local.count)
        var counts = [Int64](repeating: 0, count: size)
        check(MPI_Allgather(&mine, 1, rcp_mpi_int64(), &counts, 1, rcp_mpi_int64(), world), "MPI_Allgather")
        let total = counts.reduce(0, +)
        guard total < Int64(Int32.max) else { abort("allgather of \(total) values exceeds MPI's 32-bit counts", code: 70) }
        let c32 = counts.map { Int32($0) }
        var displ = [Int32](repeating: 0, count: size)
        for i in 1..<size { displ[i] = displ[i - 1] + c32[i - 1] }
        var out = [T](repeating: 0, count: Int(total))
        let rc = local.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                MPI_Allgatherv(src.baseAddress, Int32(local.count), type, dst.baseAddress, c32, displ, type, world)
            }
        }
        check(rc, "MPI_Allgatherv")
        return out
    }

    public func gatherToRoot(_ local: [Float], itemSize: Int) -> [Float] {
        guard size > 1 else { return local }
        let unit = max(1, itemSize)
        precondition(local.count % unit == 0, "gatherToRoot: \(local.count) values are not whole items of \(unit)")
        communicatedBytes += 4 * local.count + 8; collectiveCalls += 2
        var mine = Int64(local.count / unit)
        var counts = [Int64](repeating: 0, count: size)
        check(MPI_Gather(&mine, 1, rcp_mpi_int64(), &counts, 1, rcp_mpi_int64(), 0, world), "MPI_Gather")
        let total = counts.reduce(0, +)
        if rank == 0 && total >= Int64(Int32.max) { abort("gather of \(total) items exceeds MPI's 32-bit counts", code: 70) }
        var item = rcp_mpi_float()
        if unit > 1 {
            var t = rcp_mpi_float()
            check(MPI_Type_contiguous(Int32(unit), rcp_mpi_float(), &t), "MPI_Type_contiguous")
            check(MPI_Type_commit(&t), "MPI_Type_commit")
            item = t
        }
        defer { if unit > 1 { MPI_Type_free(&item) } }
        let c32 = counts.map { Int32(clamping: $0) }
        var displ = [Int32](repeating: 0, count: size)
        for i in 1..<size { displ[i] = displ[i - 1] + c32[i - 1] }
        var out = [Float](repeating: 0, count: rank == 0 ? Int(total) * unit : 0)
        let rc = local.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                MPI_Gatherv(src.baseAddress, Int32(local.count / unit), item, dst.baseAddress, c32, displ, item, 0, world)
            }
        }
        check(rc, "MPI_Gatherv")
        return out
    }

    public func barrier() { check(MPI_Barrier(world), "MPI_Barrier") }

    public private(set) var hasAgreed = false

    public func agree(_ failure: RankFailure?) -> AgreedFailure? {
        hasAgreed = true
        var v = AgreedFailure.contribution(failure, rank: rank, size: size)
        communicatedBytes += 8 * v.count; collectiveCalls += 1
        let rc = v.withUnsafeMutableBytes { b in
            MPI_Allreduce(rcp_mpi_in_place(), b.baseAddress, 4, rcp_mpi_int64(), rcp_mpi_min(), world)
        }
        check(rc, "MPI_Allreduce")
        return AgreedFailure.decode(v, size: size)
    }

    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("receptive: rank \(rank) of \(size): \(message)\n".utf8))
        MPI_Abort(world, code)
        exit(code)
    }

    public func finish() {
        guard !finished else { return }
        finished = true
        MPI_Finalize()
    }
}
#endif
