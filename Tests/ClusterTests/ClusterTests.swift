import XCTest
import Cluster

/// The work split and the single-process cluster (the MPI one is tested through mpirun in
/// CLITests/MPICLITests.swift).
final class ClusterTests: XCTestCase {
    func testSharesCoverEveryItemOnceInOrderAndBalance() {
        for count in [0, 1, 5, 7, 100, 1001] {
            for size in 1...9 {
                for block in [1, 3, 128] {
                    let shares = (0..<size).map { Cluster_share(count: count, block: block, rank: $0, size: size) }
                    XCTAssertEqual(shares.first?.lowerBound, 0)
                    XCTAssertEqual(shares.last?.upperBound, count, "count \(count) size \(size) block \(block)")
                    for (a, b) in zip(shares, shares.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                    // Shares start on block boundaries and differ by at most one block.
                    for s in shares where !s.isEmpty { XCTAssertEqual(s.lowerBound % block, 0) }
                    let blocks = shares.map { ($0.count + block - 1) / block }
                    XCTAssertLessThanOrEqual(blocks.max()! - blocks.min()!, 1, "count \(count) size \(size) block \(block)")
                }
            }
        }
        // Worked by hand: 10 items on 3 ranks → 4, 3, 3.
        XCTAssertEqual((0..<3).map { Cluster_share(count: 10, block: 1, rank: $0, size: 3) }, [0..<4, 4..<7, 7..<10])
        // 300 items in blocks of 128 on 2 ranks → blocks 0–1 and 2: 0..<256, 256..<300.
        XCTAssertEqual((0..<2).map { Cluster_share(count: 300, block: 128, rank: $0, size: 2) }, [0..<256, 256..<300])
    }

    func testSingleProcessCollectivesAreIdentities() {
        let c = SingleProcess()
        XCTAssertEqual(c.rank, 0); XCTAssertEqual(c.size, 1); XCTAssertTrue(c.isRoot)
        var f: [Float] = [1, 2.5, -3]; c.allreduceSum(&f); XCTAssertEqual(f, [1, 2.5, -3])
        var d: [Double] = [0.1, 1e300]; c.allreduceSum(&d); XCTAssertEqual(d, [0.1, 1e300])
        XCTAssertEqual(c.allgather([4, 5] as [Double]), [4, 5])
        XCTAssertEqual(c.allgather([Float(0.1), -7] as [Float]), [0.1, -7])
        XCTAssertEqual(c.share(of: 17), 0..<17)
        c.barrier(); c.finish()
    }

    /// The agreement point's reduction, worked through without MPI: every rank's contribution, the
    /// element-wise minimum (what MPI_Allreduce with MPI_MIN computes), decoded.
    func testAgreementPointFindsTheLowestFailingRankAndWhetherAllFailedAlike() {
        func agree(_ failures: [RankFailure?]) -> AgreedFailure? {
            let size = failures.count
            let v = failures.enumerated().map { AgreedFailure.contribution($0.element, rank: $0.offset, size: size) }
            return AgreedFailure.decode((0..<4).map { i in v.map { $0[i] }.min()! }, size: size)
        }
        let missing = RankFailure(code: 1, message: "data/x.h5 does not exist")
        let nan1 = RankFailure(code: 1, message: "non-finite value nan at [0, 4]")
        let nan2 = RankFailure(code: 64, message: "non-finite value nan at [0, 7]")
        XCTAssertNil(agree([nil, nil, nil]))
        XCTAssertNil(agree([nil]))
        XCTAssertEqual(agree([missing, missing, missing]), AgreedFailure(rank: 0, code: 1, everyRankAlike: true))
        XCTAssertEqual(agree([missing, missing]), AgreedFailure(rank: 0, code: 1, everyRankAlike: true))
        XCTAssertEqual(agree([nil, nan1, nan2]), AgreedFailure(rank: 1, code: 1, everyRankAlike: false))
        XCTAssertEqual(agree([nil, nil, nan2]), AgreedFailure(rank: 2, code: 64, everyRankAlike: false))
        XCTAssertEqual(agree([nil, missing, missing]), AgreedFailure(rank: 1, code: 1, everyRankAlike: false))   // not every rank
        XCTAssertEqual(agree([nan2, nan1, nan1]), AgreedFailure(rank: 0, code: 64, everyRankAlike: false))     // every rank, not alike
        XCTAssertEqual(agree([missing]), AgreedFailure(rank: 0, code: 1, everyRankAlike: true))
        XCTAssertEqual(agree(Array(repeating: nan2, count: 64)), AgreedFailure(rank: 0, code: 64, everyRankAlike: true))
        // Exit codes: a failure never ends with 0; only the low 8 bits reach the shell.
        XCTAssertEqual(RankFailure(code: 0, message: "").code, 1)
        XCTAssertEqual(RankFailure(code: 256 + 70, message: "").code, 70)
        // The digest is 64-bit FNV-1a (reference values of the FNV test suite), not Swift's seeded Hasher.
        XCTAssertEqual(RankFailure(code: 1, message: "").digest, 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(RankFailure(code: 1, message: "a").digest, 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(RankFailure(code: 1, message: "foobar").digest, 0x8594_4171_f739_67e8)
        // One process: the agreement point returns its own failure, alike (it is every rank).
        let c = SingleProcess()
        XCTAssertFalse(c.hasAgreed)
        XCTAssertNil(c.agree(nil)); XCTAssertTrue(c.hasAgreed)
        XCTAssertEqual(c.agree(nan2), AgreedFailure(rank: 0, code: 64, everyRankAlike: true))
    }

    func testStartsAsOneProcessWithoutALauncher() throws {
        guard Clusters.launchedSize == 1 else { throw XCTSkip("running under a launcher (\(Clusters.launchedSize) processes)") }
        let c = try Clusters.start()
        XCTAssertEqual(c.size, 1)
        print("Cluster: MPI compiled in: \(Clusters.mpiAvailable); backend here: \(c.backend)")
    }
}
