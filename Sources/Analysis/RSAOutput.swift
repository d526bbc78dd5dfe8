// Output of an RSA run: the JSON document and the figure data (HDF5 arrays for the RDM heatmaps,
// the model bar plot with confidence intervals and the noise-ceiling band, and a layer profile).
// PNG rendering belongs to the Report target; these arrays are what it draws.
import Foundation
import Report
import Tensors

extension RSAResult {
    /// The JSON document (keys in a fixed order; NaN/∞ and absent values as null):
    ///   method, rsatoolbox_method, conditions, subjects, models: [{name, value, ci_low, ci_high,
    ///   se, p, per_subject}], noise_ceiling: {lower, upper}, bootstrap, valid_resamples,
    ///   permutations, confidence, seed, seconds.
    public func json(pretty: Bool = true) -> String {
        let nl = pretty ? "\n" : "", ind = pretty ? "  " : "", sp = pretty ? " " : ""
        func num(_ x: Double?) -> String {
            guard let x = x, x.isFinite else { return "null" }
            return "\(x)"
        }
        func str(_ s: String) -> String { JSONValue.quoted(s) }
        var lines: [String] = []
        lines.append("\(ind)\"method\":\(sp)\(str(method.rawValue))")
        lines.append("\(ind)\"rsatoolbox_method\":\(sp)\(str(method.rsatoolboxName))")
        lines.append("\(ind)\"conditions\":\(sp)\(conditions)")
        lines.append("\(ind)\"subjects\":\(sp)[\(subjectNames.map(str).joined(separator: ",\(sp)"))]")
        let models = self.models.map { m in
            "\(ind)\(ind){\"name\":\(sp)\(str(m.name)),\(sp)\"value\":\(sp)\(num(m.value)),\(sp)\"ci_low\":\(sp)\(num(m.ciLow)),\(sp)\"ci_high\":\(sp)\(num(m.ciHigh)),\(sp)\"se\":\(sp)\(num(m.standardError)),\(sp)\"p\":\(sp)\(num(m.p)),\(sp)\"per_subject\":\(sp)[\(m.perSubject.map { num($0) }.joined(separator: ",\(sp)"))]}"
        }
        lines.append("\(ind)\"models\":\(sp)[\(nl)\(models.joined(separator: ",\(nl)"))\(nl)\(ind)]")
        lines.append("\(ind)\"noise_ceiling\":\(sp){\"lower\":\(sp)\(num(noiseCeilingLower)),\(sp)\"upper\":\(sp)\(num(noiseCeilingUpper))}")
        lines.append("\(ind)\"bootstrap\":\(sp)\(bootstrap)")
        lines.append("\(ind)\"valid_resamples\":\(sp)\(validResamples)")
        lines.append("\(ind)\"permutations\":\(sp)\(permutations)")
        lines.append("\(ind)\"confidence\":\(sp)\(confidence)")
        lines.append("\(ind)\"seed\":\(sp)\(seed)")
        lines.append("\(ind)\"seconds\":\(sp)\(String(format: "%.4f", seconds))")
        return "{\(nl)\(lines.joined(separator: ",\(nl)"))\(nl)}"
    }

    /// A plain-text table for the terminal.
    public func table() -> String {
        var out = "RSA (\(method.rawValue)), \(conditions) conditions, \(subjectNames.count) subject RDM\(subjectNames.count == 1 ? "" : "s")"
        if bootstrap > 0 { out += ", \(bootstrap) bootstrap resamples (\(Int(confidence * 100))% CI)" }
        if permutations > 0 { out += ", \(permutations) permutations" }
        out += "\n"
        let w = max(5, models.map { $0.name.count }.max() ?? 5)
        func f(_ x: Double?) -> String { x.map { String(format: "%8.4f", $0) } ?? "       –" }
        out += "model".padding(toLength: w, withPad: " ", startingAt: 0) + "     value   ci_low  ci_high        p\n"
        for m in models {
            out += m.name.padding(toLength: w, withPad: " ", startingAt: 0) + "  " + f(m.value) + " " + f(m.ciLow) + " " + f(m.ciHigh) + " "
            out += m.p.map { String(format: "%8.4f", $0) } ?? "       –"
            out += "\n"
        }
        if let lo = noiseCeilingLower, let up = noiseCeilingUpper {
            out += String(format: "noise ceiling: lower %.4f, upper %.4f\n", lo, up)
        } else {
            out += "noise ceiling: – (needs at least 2 subject RDMs)\n"
        }
        return out
    }
}

/// Figure data of an RSA run, one HDF5 file. Layout (K conditions, S subjects, M models, N resamples):
///   /heatmaps/subjects [S, K, K], /heatmaps/subjects_mean [K, K], /heatmaps/models [M, K, K]
///     (each with a JSON `names` attribute)
///   /bars/value, /bars/ci_low, /bars/ci_high, /bars/p [M] (NaN where absent), /bars/names [M],
///   /bars/noise_ceiling [2] (lower, upper; NaN with one subject)
///   /bootstrap/values [N, M], /bootstrap/noise_ceiling [N, 2] (when bootstrapped)
///   /profile/... the same as /bars, for a layer profile (models = the layers of one network, in order)
///   root attributes: method, json (the JSON document), kind ("models" or "layer_profile")
public enum RSAFigureData {
    public enum Kind: String, Sendable { case models, layerProfile = "layer_profile" }

    /// Writes the figure data atomically to `path` (an existing file only with `overwrite`).
    public static func write(_ result: RSAResult, subjects: RDMSet, models: RDMSet, to path: String,
                             kind: Kind = .models, overwrite: Bool = false) throws {
        try HDF5File.writeAtomically(to: path, overwrite: overwrite) { f in
            let k = subjects.conditions
            let s = subjects.count, m = models.count
            try f.write("/heatmaps/subjects", doubles: (0..<s).flatMap { subjects.squareMatrix($0) }, shape: [s, k, k])
            try f.setAttribute("names", string: jsonList(subjects.names), at: "/heatmaps/subjects")
            try f.write("/heatmaps/subjects_mean", doubles: RDM.square(subjects.mean()[...], conditions: k), shape: [k, k])
            try f.write("/heatmaps/models", doubles: (0..<m).flatMap { models.squareMatrix($0) }, shape: [m, k, k])
            try f.setAttribute("names", string: jsonList(models.names), at: "/heatmaps/models")
            let g = kind == .models ? "/bars" : "/profile"
            let r = result.models
            try f.write(g + "/value", doubles: r.map { $0.value }, shape: [m])
            try f.write(g + "/ci_low", doubles: r.map { $0.ciLow ?? .nan }, shape: [m])
            try f.write(g + "/ci_high", doubles: r.map { $0.ciHigh ?? .nan }, shape: [m])
            try f.write(g + "/p", doubles: r.map { $0.p ?? .nan }, shape: [m])
            try f.write(g + "/names", strings: r.map { $0.name })
            try f.write(g + "/noise_ceiling", doubles: [result.noiseCeilingLower ?? .nan, result.noiseCeilingUpper ?? .nan], shape: [2])
            if result.bootstrap > 0 {
                try f.write("/bootstrap/values", doubles: result.bootstrapValues, shape: [result.bootstrap, m])
                try f.write("/bootstrap/noise_ceiling", doubles: result.bootstrapNoiseCeiling, shape: [result.bootstrap, 2])
            }
            try f.setAttribute("method", string: result.method.rawValue)
            try f.setAttribute("kind", string: kind.rawValue)
            try f.setAttribute("json", string: result.json(pretty: false))
        }
    }

    static func jsonList(_ names: [String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: names)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
