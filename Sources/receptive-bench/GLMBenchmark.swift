// The Poisson GLM (IRLS / Newton with Cholesky solves) beside statsmodels and nemos on one seeded
// design (`receptive-bench glm`, part of `make bench`): scripts/peers/glm_bench_peer.py draws
// the design, fits it with the peers and writes X, Y and their coefficients; we fit the same
// arrays and print the time ratios and the largest coefficient difference. Not a test.
import Foundation
import Tensors
import Encoding

enum GLMBenchmark {
    static let peerScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/peers/glm_bench_peer.py").path

    /// Runs the peer, then our fits of unit 0 alone and of all units at once; one JSON line each.
    static func run(python: String, threads: Int, rows n: Int, columns p: Int, units: Int) throws -> [[(String, Any)]] {
        let dir = NSTemporaryDirectory() + "receptive-glm-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/design.h5"
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proc.arguments = [python, peerScript, "--out", path, "--n", "\(n)", "--p", "\(p)", "--units", "\(units)", "--threads", "\(threads)"]
        let pipe = Pipe()
        proc.standardOutput = pipe
        proc.standardError = FileHandle.nullDevice
        var peer: [String: Any] = [:]
        do {
            try proc.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            proc.waitUntilExit()
            if proc.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
               let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { peer = obj }
        } catch {}
        let peerOK = !peer.isEmpty && FileManager.default.fileExists(atPath: path)
        var x: [Double], yAll: [Double]
        var peerCoefficients: [String: [Double]] = [:]
        if peerOK {
            let file = try HDF5File.open(path)
            defer { file.close() }
            x = try file.readDoubles("X").values
            yAll = try file.readDoubles("Y").values
            for name in ["statsmodels", "nemos"] where file.exists("coef_" + name) {
                peerCoefficients[name] = try file.readDoubles("coef_" + name).values
            }
        } else {
            // No peer: the same kind of design drawn here (X = N(0,1)/√p, w ~ 0.8·N(0,1), y ~ Poisson(e^{0.3 + Xw})).
            var rng = SeededRandom(seed: 0)
            x = (0..<(n * p)).map { _ in rng.normal() / Double(p).squareRoot() }
            yAll = [Double](repeating: 0, count: n * units)
            for u in 0..<units {
                let w = (0..<p).map { _ in 0.8 * rng.normal() }
                for t in 0..<n {
                    var eta = 0.3
                    for j in 0..<p { eta += x[t * p + j] * w[j] }
                    yAll[t * units + u] = Double(rng.poisson(Foundation.exp(eta)))
                }
            }
        }
        // The peers converge to 1e-10 (statsmodels' tol on the deviance) / 1e-12 (nemos LBFGS):
        // ours to the same relative deviance change, 1e-10.
        let glm = GLM(family: .poisson, tolerance: 1e-10)
        var y0 = [Double](repeating: 0, count: n)
        for t in 0..<n { y0[t] = yAll[t * units] }
        var one: GLMFit?
        let tOne = try seconds { one = try glm.fit(X: x, rows: n, columns: p, y: y0) }
        var all: [GLMFit] = []
        let tAll = try seconds { all = try glm.fit(X: x, rows: n, columns: p, Y: yAll, units: units) }
        let q = p + 1

        func maxDiff(_ c: [Double], units u: Int) -> Double {
            var m = 0.0
            for i in 0..<u { for j in 0..<q { m = max(m, abs(all[i].coefficients[j] - c[i * q + j])) } }
            return m
        }
        var lineOne: [(String, Any)] = [("benchmark", "Poisson GLM \(n) × \(p), one unit"), ("threads", threads),
                                        ("seconds", tOne), ("iterations", one!.iterations)]
        var lineAll: [(String, Any)] = [("benchmark", "Poisson GLM \(n) × \(p), \(units) units"), ("threads", threads),
                                        ("seconds", tAll), ("iterations_max", all.map(\.iterations).max() ?? 0)]
        for name in ["statsmodels", "nemos"] {
            if let s1 = peer[name + "_one_unit_seconds"] as? Double {
                lineOne += [(name + "_seconds", s1), ("speedup_vs_" + name, s1 / tOne)]
            } else {
                lineOne.append((name, peer[name] ?? "not measured"))
            }
            if let sa = peer[name + "_all_units_seconds"] as? Double {
                lineAll += [(name + "_seconds", sa), ("speedup_vs_" + name, sa / tAll)]
            }
            if let c = peerCoefficients[name] {
                lineAll.append(("max_coefficient_difference_vs_" + name, maxDiff(c, units: units)))
                var d = 0.0
                for j in 0..<q { d = max(d, abs(one!.coefficients[j] - c[j])) }
                lineOne.append(("max_coefficient_difference_vs_" + name, d))
            }
        }
        if !peerOK {
            let note = "not measured: '\(python) \(peerScript)' failed (needs numpy, h5py, statsmodels; nemos optional); design drawn here"
            lineOne.append(("peers", note)); lineAll.append(("peers", note))
        }
        if peer["nemos_one_unit_seconds"] != nil {
            lineAll.append(("nemos_note", "nemos times include its JIT compilation for each new model"))
        }
        return [lineOne, lineAll]
    }
}
