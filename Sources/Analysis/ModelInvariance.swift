// The invariance test (InvarianceTest.swift, DESIGN §5) applied to a response function — a fitted
// encoder or a simulation's generating model — and to recorded responses.
//
//   model / ground truth:  f_u(x) and f_u(T(x)) for the chosen stimuli x, with T applied to the RAW
//                          stimulus (before the model's preprocessing): the transform is a change of
//                          the image shown, and the model's input pipeline is part of the model.
//   stored pairs:          f_u(x_i) and f_u(x_j) for (i, j) in the file's pairs (e.g. from
//                          `receptive scramble`): T(x) was computed once and saved.
//   recorded:              the neurons' repeat-averaged responses ȳ_u(x_i), ȳ_u(x_j) to the pairs.
//
// Two references for phase scrambling (seed 000: "D = E_{x∼q} |f_θ(x) − f_θ(T(x))|", q the
// phase-randomised distribution with the natural images' amplitude spectrum):
//   natural:    x = the stimulus itself, T(x) its (band-limited) phase scramble — measures the
//               change from a natural image to a scrambled one;
//   scrambled:  x = a full phase scramble of the stimulus (a draw from q), T(x) = x with the phases
//               inside the band re-randomised — x and T(x) are both from q, so the test measures
//               invariance to T and not the natural-to-scrambled shift. B is then the spread of f
//               over q too.
// A random T is drawn R = settings.draws times per stimulus; the bootstrap resamples the draws.
//
// Shapes: S stimuli tested, U units; response matrices are row-major [S, U] Double.
import Foundation
import Tensors
import NeuralData
import Encoding

/// Per-unit results of one invariance test, with the responses they were computed from.
public struct InvarianceResult {
    public let units: [UnitInvariance]
    /// [S] indices of the original stimuli x (into the file's `/stimuli`).
    public let stimuli: [Int]
    /// [S] indices of the stored transformed stimuli (pairs and recorded modes), nil when T was
    /// applied on the fly.
    public let partners: [Int]?
    /// [S, U] f_u(x) and f_u(T(x)).
    public let original: [Double]
    public let transformed: [Double]
    public let settings: InvarianceSettings
    /// Which stimuli x are: the data's (natural) or full phase scrambles of them (scrambled).
    public var reference: InvarianceReference = .natural

    public var stimulusCount: Int { stimuli.count }
    public var unitCount: Int { units.count }
    public var fractionFalsified: Double {
        units.isEmpty ? .nan : Double(units.filter(\.falsified).count) / Double(units.count)
    }

    /// Units and falsified units per unit type (e.g. "simple", "complex" of a simulated file).
    /// With `benjaminiHochberg`, the falsified count uses the BH verdict.
    public func countsByType(_ types: [String], benjaminiHochberg: Bool = false) -> [String: InvarianceTypeCount] {
        precondition(types.count == units.count, "\(types.count) unit types for \(units.count) units")
        var out: [String: InvarianceTypeCount] = [:]
        for (u, t) in zip(units, types) {
            var c = out[t, default: InvarianceTypeCount(units: 0, falsified: 0)]
            c.units += 1
            if benjaminiHochberg ? u.falsifiedBH : u.falsified { c.falsified += 1 }
            out[t] = c
        }
        return out
    }
}

/// Where the x of D = E|f(x) − f(T(x))| come from (see the header).
public enum InvarianceReference: String, Codable, CaseIterable, Sendable {
    case natural, scrambled
}

public struct InvarianceTypeCount: Codable, Equatable, Sendable {
    public var units: Int
    public var falsified: Int
    public init(units: Int, falsified: Int) { self.units = units; self.falsified = falsified }
}

public enum ModelInvariance {
    /// Stream of the transform's random draws (the bootstrap uses its own stream of the same seed).
    public static let transformStream: UInt64 = 0x7472_616e

    /// Stream of the full scramble that draws x from q (reference `.scrambled`).
    public static let referenceStream: UInt64 = 0x7265_6671

    /// Responses to x and to R = `settings.draws` independent draws of T(x) for the stimuli `indices`
    /// of `source`, read and transformed in batches of `batchSize` (the random draws follow stimulus
    /// order, so the result does not depend on the batch size), then `InvarianceTest.run`.
    /// With `reference: .scrambled`, x is first replaced by a full phase scramble of itself (α = 1,
    /// no band; stream `referenceStream` of the seed), so x ∼ q.
    /// - Throws: `ImageTransformError` (bad stimuli), `InvarianceError` (settings, < 3 stimuli),
    ///   errors of the stimulus source.
    public static func run(function f: StimulusResponseFunction, source: StimulusSource, indices: [Int],
                           transform: ImageTransform, settings: InvarianceSettings, unitNames: [String]? = nil,
                           reference: InvarianceReference = .natural, batchSize: Int = 128) throws -> InvarianceResult {
        var settings = settings
        if !(transform is PhaseScrambleTransform) { settings.draws = 1 }   // translation and contrast are not random
        try settings.validate()
        guard indices.count >= 3 else { throw InvarianceError.tooFewStimuli(indices.count) }
        precondition(source.itemShape == f.stimulusShape, "stimulus shape \(source.itemShape) does not match \(f.stimulusShape)")
        let u = f.unitCount, draws = settings.draws
        var original = [Double](), transformed = [[Double]](repeating: [], count: draws)
        original.reserveCapacity(indices.count * u)
        var rng = SeededRandom.derived(seed: settings.seed, stream: transformStream)
        var qrng = SeededRandom.derived(seed: settings.seed, stream: referenceStream)
        let toQ = try PhaseScrambleTransform(alpha: 1, band: nil)
        var start = 0
        while start < indices.count {
            let end = min(indices.count, start + batchSize)
            var x = try source.stimuli(Array(indices[start..<end]))
            if reference == .scrambled { x = try toQ.apply(x, rng: &qrng) }
            original += try f.responses(x).data.map(Double.init)
            for r in 0..<draws { transformed[r] += try f.responses(try transform.apply(x, rng: &rng)).data.map(Double.init) }
            start = end
        }
        let units = try InvarianceTest.run(original: original, transformedDraws: transformed, stimuli: indices.count, units: u,
                                           settings: settings, unitNames: unitNames)
        var result = InvarianceResult(units: units, stimuli: indices, partners: nil, original: original, transformed: transformed[0],
                                      settings: settings)
        result.reference = reference
        return result
    }

    /// Responses to the two members of each stored pair, then `InvarianceTest.run`.
    public static func run(function f: StimulusResponseFunction, source: StimulusSource, pairs: StimulusPairs,
                           settings: InvarianceSettings, unitNames: [String]? = nil, batchSize: Int = 128) throws -> InvarianceResult {
        var settings = settings
        settings.draws = 1   // one stored T(x) per pair
        try settings.validate()
        guard pairs.pairs.count >= 3 else { throw InvarianceError.tooFewStimuli(pairs.pairs.count) }
        let a = pairs.originals, b = pairs.transformed
        func predict(_ idx: [Int]) throws -> [Double] {
            var out = [Double]()
            out.reserveCapacity(idx.count * f.unitCount)
            var start = 0
            while start < idx.count {
                let end = min(idx.count, start + batchSize)
                out += try f.responses(try source.stimuli(Array(idx[start..<end]))).data.map(Double.init)
                start = end
            }
            return out
        }
        let original = try predict(a), transformed = try predict(b)
        let units = try InvarianceTest.run(original: original, transformed: transformed, stimuli: a.count, units: f.unitCount,
                                           settings: settings, unitNames: unitNames)
        return InvarianceResult(units: units, stimuli: a, partners: b, original: original, transformed: transformed, settings: settings)
    }

    /// The test on recorded responses: for each pair whose members were both shown (≥ 1 trial
    /// each), the repeat-averaged responses ȳ_u(x) and ȳ_u(T(x)). With `split`, only pairs whose
    /// original is in that split. Trial-to-trial noise enters both D and B (it pulls the index of an
    /// invariant neuron up from 0), so few repeats make the test conservative.
    /// - Throws: `InvarianceError.tooFewStimuli` when fewer than 3 pairs have responses to both members.
    public static func recorded(dataset: Dataset, pairs: StimulusPairs, split: Split?, settings: InvarianceSettings) throws -> InvarianceResult {
        var settings = settings
        settings.draws = 1   // one stored T(x) per pair
        try settings.validate()
        let n = dataset.stimulusCount, u = dataset.unitCount
        let responses = dataset.responseMatrix
        var sums = ResponseMatrix<Double>(rows: n, columns: u)
        var counts = [Int](repeating: 0, count: n)
        for (t, s) in dataset.stimulusIndex.enumerated() {
            counts[s] += 1
            for j in 0..<u { sums[s, j] += Double(responses[t, j]) }
        }
        let usable = pairs.pairs.filter { p in
            counts[p.original] > 0 && counts[p.transformed] > 0 && (split.map { dataset.split[p.original] == $0 } ?? true)
        }
        guard usable.count >= 3 else { throw InvarianceError.tooFewStimuli(usable.count) }
        var original = [Double](), transformed = [Double]()
        for p in usable {
            for j in 0..<u {
                original.append(sums[p.original, j] / Double(counts[p.original]))
                transformed.append(sums[p.transformed, j] / Double(counts[p.transformed]))
            }
        }
        let units = try InvarianceTest.run(original: original, transformed: transformed, stimuli: usable.count, units: u,
                                           settings: settings, unitNames: dataset.unitNames)
        return InvarianceResult(units: units, stimuli: usable.map(\.original), partners: usable.map(\.transformed),
                                original: original, transformed: transformed, settings: settings)
    }
}
