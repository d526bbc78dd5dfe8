// Commands that run across MPI ranks (fit, score, predict; docs/scaling.md) start here. One
// process: the body runs as always. Under mpirun every rank runs the body on its share in two
// phases (docs/scaling.md, "When a rank fails"):
// - the input phase (options checked, model and data files opened, the rank's share read) ends at
//   the agreement point, `passAgreementPoint`, which every path of the three commands reaches
//   before its first collective. A rank that fails before it meets the others there with its
//   failure (one MPI_Allreduce): if every rank failed with the same message, rank 0 prints the
//   one-process refusal (`Error: …`); otherwise the lowest failing rank prints
//   `receptive: rank r of R: …`. Every rank then ends through MPI_Finalize with that rank's exit
//   status; nothing is written.
// - after the agreement point (the fit, the gathers, the output), an error on any rank prints one
//   line naming that rank and ends the whole job (MPI_Abort), so no rank waits forever in a
//   collective and no model file is written.
import ArgumentParser
import Cluster
import Foundation
import NeuralData

func onCluster(_ body: (Cluster) throws -> Void) throws {
    let cluster: Cluster
    do { cluster = try Clusters.start() } catch let e as ClusterError {
        throw OptionError(option: "mpirun", reason: e.reason)
    }
    if cluster.size == 1 { return try body(cluster) }
    do {
        try body(cluster)
    } catch {
        // An exit code (a stop every rank agreed on, or success): all ranks end alike.
        if let code = error as? ExitCode { cluster.finish(); if code == .success { return }; throw code }
        // Another rank failed in its input phase and has printed the message.
        if let other = error as? AgreedFailure { cluster.barrier(); cluster.finish(); throw ExitCode(other.code) }
        // This rank failed in its input phase (no collective yet): meet the others at the agreement point.
        if !cluster.hasAgreed && cluster.collectiveCalls == 0 {
            let message = Refusal.message(for: error)
            let failure = RankFailure(code: ReceptiveCommand.exitCode(for: error).rawValue, message: message)
            let agreed = cluster.agree(failure) ?? AgreedFailure(rank: cluster.rank, code: failure.code, everyRankAlike: false)
            if agreed.everyRankAlike {
                if cluster.isRoot { FileHandle.standardError.write(Data("Error: \(message)\n".utf8)) }
            } else if agreed.rank == cluster.rank {
                FileHandle.standardError.write(Data("receptive: rank \(cluster.rank) of \(cluster.size): \(message)\n".utf8))
            }
            // The message is written before any rank exits (mpirun may end the others once one
            // has exited with a non-zero status).
            cluster.barrier()
            cluster.finish()
            throw ExitCode(agreed.code)
        }
        cluster.abort(Refusal.message(for: error), code: 1)
    }
    cluster.finish()
}

/// The agreement point (above): every path of fit, score and predict calls it once its input phase
/// is done and before its first collective. Throws `AgreedFailure` when another rank failed in its
/// input phase. One process: nothing (its errors are thrown where they arise, as always).
func passAgreementPoint(_ cluster: Cluster) throws {
    guard cluster.size > 1, !cluster.hasAgreed else { return }
    if let failed = cluster.agree(nil) { throw failed }
}

/// Under mpirun, a many-target command's reading rule (docs/scaling.md): DATA's header (its unit
/// count, its names) and this rank's share of its response columns — whole blocks of `block`
/// units — set in `options`, so that the rank reads those columns only (one HDF5 hyperslab).
func shareResponseColumns(of data: String, options: inout DatasetLoadOptions, cluster: Cluster,
                          block: Int = 1) throws -> (header: DatasetHeader, columns: Range<Int>) {
    let header = try Dataset.readHeader(data, options: options)
    let columns = cluster.share(of: header.unitCount, block: block)
    options.responseColumns = columns
    return (header, columns)
}
