// RSA benchmark: the bootstrap over stimuli on the 92-image data (kriegeskorte92.h5), timed next to
// rsatoolbox doing the same work (../shared/peers/rsa_peer.py: eval_bootstrap_pattern, 1000
// resamples, Spearman, 4 session-averaged subjects × 8 models, noise ceiling per resample), in the
// same run. Skips with a message when the data or the Python peer is missing.
// Environment: RECEPTIVE_PYTHON (interpreter for the peer, set by --python; default python3), RSA_BENCH_PEER=0 (skip the peer).
import Foundation
import Analysis
import Tensors

enum RSABench {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    static func run() {
        let cwd = FileManager.default.currentDirectoryPath
        let dataPath = (cwd as NSString).appendingPathComponent("../shared/data/kriegeskorte92.h5")
        guard FileManager.default.fileExists(atPath: dataPath) else {
            print("rsa: ../shared/data/kriegeskorte92.h5 not found; RSA benchmark skipped")
            return
        }
        do {
            let sessions = try RSAInput.read(RSASource(file: dataPath, path: "/rdms/brain_hIT"))
            let models = try RSAInput.read(RSASource(file: dataPath, path: "/rdms/models"))
            let subjects = try sessions.averagingConsecutive(groupsOf: 2, source: dataPath)
            let threads = ProcessInfo.processInfo.activeProcessorCount
            let n = 1000
            for method in [RDMComparisonMethod.spearman, .pearson, .whitenedPearson] {
                let ev = try RSAEvaluator(subjects: sessions, models: models, method: method)
                _ = RSA.bootstrap(ev, resamples: 20, seed: 1, threads: threads)
                let t = seconds { _ = RSA.bootstrap(ev, resamples: n, seed: 0, threads: threads) }
                emit([("benchmark", "rsa bootstrap, \(method.rawValue): \(n) resamples × (92 stimuli, 8 subject RDMs, 8 models, noise ceiling)"),
                      ("seconds", t), ("threads", threads)])
            }
            let ev = try RSAEvaluator(subjects: subjects, models: models, method: .spearman)
            let tp = seconds { _ = RSA.permutationTest(ev, permutations: n, seed: 0, threads: threads) }
            emit([("benchmark", "rsa permutation test, spearman: \(n) permutations × (92 stimuli, 4 subjects, 8 models)"), ("seconds", tp)])
            _ = RSA.bootstrap(ev, resamples: 20, seed: 1, threads: threads)
            let ours = seconds { _ = RSA.bootstrap(ev, resamples: n, seed: 0, threads: threads) }
            let point = ev.evaluate()
            var fields: [(String, Any)] = [("benchmark", "rsa bootstrap, spearman: \(n) resamples × (92 stimuli, 4 session-averaged subjects, 8 models, noise ceiling), the rsa_peer.py work"),
                                           ("seconds", ours), ("threads", threads)]
            defer { emit(fields) }
            guard ProcessInfo.processInfo.environment["RSA_BENCH_PEER"] != "0" else { return }
            guard let peer = runPeer(data: dataPath, cwd: cwd, resamples: n) else { return }
            fields += [("rsatoolbox_seconds", peer.seconds), ("speedup_vs_rsatoolbox", peer.seconds / ours)]
            let diffs = zip(models.names, point.values).compactMap { name, v in peer.values[name].map { abs($0 - v) } }
            let ceilingDiff = zip([point.noiseCeilingLower!, point.noiseCeilingUpper!], peer.ceiling).map { abs($0 - $1) }.max() ?? .nan
            fields += [("max_abs_diff_values_vs_rsatoolbox", diffs.max() ?? .nan), ("max_abs_diff_noise_ceiling_vs_rsatoolbox", ceilingDiff)]
        } catch {
            print("rsa: benchmark failed: \(error)")
        }
    }

    /// Runs ../shared/peers/rsa_peer.py; nil (with a message) when it cannot.
    static func runPeer(data: String, cwd: String, resamples: Int) -> (seconds: Double, values: [String: Double], ceiling: [Double])? {
        let script = (cwd as NSString).appendingPathComponent("../shared/peers/rsa_peer.py")
        guard FileManager.default.fileExists(atPath: script) else {
            print("rsa: ../shared/peers/rsa_peer.py not found; rsatoolbox timing skipped")
            return nil
        }
        let env = ProcessInfo.processInfo.environment
        let python = env["RECEPTIVE_PYTHON"] ?? "python3"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, script, data, "--boot", "\(resamples)", "--method", "spearman"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch {
            print("rsa: cannot run \(python) (\(error)); rsatoolbox timing skipped")
            return nil
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let secs = obj["bootstrap_seconds"] as? Double else {
            print("rsa: the rsatoolbox peer failed (exit \(p.terminationStatus); is rsatoolbox installed for \(python)?); timing skipped")
            return nil
        }
        return (secs, obj["values"] as? [String: Double] ?? [:], obj["noise_ceiling"] as? [Double] ?? [])
    }
}
