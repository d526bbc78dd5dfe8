// Output of an RSA run: the JSON document and the figure data (HDF5 arrays for the RDM heatmaps,
// the model bar plot with confidence intervals and the noise-ceiling band, and a layer profile).
// PNG rendering belongs to the Report target; these arrays are what it draws.
import Foundation
import Tensors

extension RSAResult {
    /// The JSON document (keys sorted; NaN/∞ and absent values as null):
    ///   method, rsatoolbox_method, conditions, subjects, models: [{name, value, ci_low, ci_high,
    ///   se, p, per_subject}], noise_ceiling: {lower, upper}, bootstrap, valid_resamples,
    ///   permutations, confidence, seed, seconds.
    public func json(pretty: Bool = true) -> String {
        // Plain numbers, strings and arrays: encoding cannot fail.
        (try? jsonValue(RSAJSONDocument(result: self)).text(indent: pretty ? 2 : 0)) ?? "{}"
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
        JSONValue.array(names.map { .string($0) }).text(indent: 0)
    }
}

/// The JSON layout of `RSAResult.json()`; absent values are written as null (encoded as NaN).
struct RSAJSONDocument: Encodable {
    let result: RSAResult

    struct Model: Encodable {
        let name: String
        let value: Double, ciLow: Double, ciHigh: Double, se: Double, p: Double
        let perSubject: [Double]
        enum CodingKeys: String, CodingKey {
            case name, value, ciLow = "ci_low", ciHigh = "ci_high", se, p, perSubject = "per_subject"
        }
    }
    struct NoiseCeiling: Encodable { let lower: Double, upper: Double }

    enum CodingKeys: String, CodingKey {
        case method, rsatoolboxMethod = "rsatoolbox_method", conditions, subjects, models
        case noiseCeiling = "noise_ceiling", bootstrap, validResamples = "valid_resamples", permutations, confidence, seed, seconds
    }

    func encode(to encoder: Encoder) throws {
        let r = result
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(r.method.rawValue, forKey: .method)
        try c.encode(r.method.rsatoolboxName, forKey: .rsatoolboxMethod)
        try c.encode(r.conditions, forKey: .conditions)
        try c.encode(r.subjectNames, forKey: .subjects)
        try c.encode(r.models.map { m in
            Model(name: m.name, value: m.value, ciLow: m.ciLow ?? .nan, ciHigh: m.ciHigh ?? .nan,
                  se: m.standardError ?? .nan, p: m.p ?? .nan, perSubject: m.perSubject)
        }, forKey: .models)
        try c.encode(NoiseCeiling(lower: r.noiseCeilingLower ?? .nan, upper: r.noiseCeilingUpper ?? .nan), forKey: .noiseCeiling)
        try c.encode(r.bootstrap, forKey: .bootstrap)
        try c.encode(r.validResamples, forKey: .validResamples)
        try c.encode(r.permutations, forKey: .permutations)
        try c.encode(r.confidence, forKey: .confidence)
        try c.encode(r.seed, forKey: .seed)
        try c.encode(r.seconds, forKey: .seconds)
    }
}
