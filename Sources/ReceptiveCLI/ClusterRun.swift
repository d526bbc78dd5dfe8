// Commands that run across MPI ranks (fit --model glm, score, predict; docs/scaling.md) start
// here. One process: the body runs as always. Under mpirun: every rank runs the body on its share;
// an error on any rank prints one line naming that rank and ends the whole job (MPI_Abort), so
// no rank waits forever in a collective and no model file is written.
import ArgumentParser
import Cluster

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
        cluster.abort(Refusal.message(for: error), code: 1)
    }
    cluster.finish()
}
