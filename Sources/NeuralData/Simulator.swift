// Simulated recordings with ground truth: a stimulus family, a population of model cells (see
// CellPopulation.swift), repeats per stimulus, Poisson spike counts (or Gaussian voxel responses),
// written as a contract-conformant file with the generating parameters under /ground_truth.
//
// Trials are presented in repeat blocks (every stimulus once, in a seeded random order, then again
// …), like a real session. The split is the seeded 80/10/10 split by stimulus, written to /split;
// a phase-scrambled partner shares its original's split. Same options and seed → same file, bit for bit.
import Foundation
import Tensors

/// `count` units of one family.
public struct CellCount: Codable, Equatable, Sendable, CustomStringConvertible {
    public var family: CellFamily
    public var count: Int
    public init(_ family: CellFamily, _ count: Int) { self.family = family; self.count = count }
    public var description: String { "\(family.rawValue):\(count)" }

    /// Parses "simple,complex" (each with `defaultCount` units) or "simple:12,complex:8".
    public static func parse(_ text: String, defaultCount: Int) throws -> [CellCount] {
        var out: [CellCount] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let pieces = part.split(separator: ":", maxSplits: 1).map(String.init)
            // "voxels" is accepted for the voxel family (fMRI wording: simulate --cells voxels:V).
            let name = pieces[0].lowercased() == "voxels" ? "voxel" : pieces[0].lowercased()
            guard let family = CellFamily(rawValue: name) else {
                throw DatasetError.invalidOption(option: .cells, problem: "unknown cell family '\(pieces[0])'; choose from \(CellFamily.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var count = defaultCount
            if pieces.count == 2 {
                guard let c = Int(pieces[1]), c > 0 else {
                    throw DatasetError.invalidOption(option: .cells, problem: "'\(part)': the count after ':' must be a positive integer")
                }
                count = c
            }
            out.append(CellCount(family, count))
        }
        if out.isEmpty { throw DatasetError.invalidOption(option: .cells, problem: "no cell family given") }
        return out
    }
}

public enum SimulatedStimulusType: String, Codable, CaseIterable, Sendable {
    case uint8, float32
}

public struct SimulationOptions: Codable, Equatable, Sendable {
    public var cells: [CellCount]
    /// Distinct stimuli (before phase-scrambled partners).
    public var stimulusCount: Int
    /// Repeats of every stimulus, and optionally a different number for test stimuli.
    public var repeats: Int
    public var testRepeats: Int?
    public var family: StimulusFamily
    /// Image side S (pixels).
    public var size: Int
    public var seed: UInt64
    /// Append a phase-scrambled partner of every stimulus (N → 2N).
    public var scrambledPartners: Bool
    /// Frames per drifting grating (1: static gratings).
    public var gratingFrames: Int
    public var stimulusType: SimulatedStimulusType
    /// Range of the spiking units' target mean rates, spikes per trial.
    public var rateMin: Double
    public var rateMax: Double

    public init(cells: [CellCount] = [CellCount(.simple, 8), CellCount(.complex, 8)], stimulusCount: Int = 1000,
                repeats: Int = 1, testRepeats: Int? = nil, family: StimulusFamily = .natural1f, size: Int = 32,
                seed: UInt64 = 0, scrambledPartners: Bool = false, gratingFrames: Int = 8,
                stimulusType: SimulatedStimulusType = .uint8, rateMin: Double = 1, rateMax: Double = 4) {
        self.cells = cells; self.stimulusCount = stimulusCount; self.repeats = repeats; self.testRepeats = testRepeats
        self.family = family; self.size = size; self.seed = seed; self.scrambledPartners = scrambledPartners
        self.gratingFrames = gratingFrames; self.stimulusType = stimulusType; self.rateMin = rateMin; self.rateMax = rateMax
    }

    public var unitCount: Int { cells.reduce(0) { $0 + $1.count } }
    public var modality: Modality { cells.contains { $0.family == .voxel } ? .fmri : .spikes }

    /// Throws `DatasetError.invalidOption` for impossible settings.
    public func validate() throws {
        if stimulusCount < 2 { throw DatasetError.invalidOption(option: .stimulusCount, problem: "need at least 2 stimuli, got \(stimulusCount)") }
        if repeats < 1 { throw DatasetError.invalidOption(option: .repeats, problem: "need at least 1 repeat, got \(repeats)") }
        if let r = testRepeats, r < 1 { throw DatasetError.invalidOption(option: .testRepeats, problem: "need at least 1 repeat, got \(r)") }
        if size < 8 || size > 512 { throw DatasetError.invalidOption(option: .imageSize, problem: "image side must be in 8…512 pixels, got \(size)") }
        if gratingFrames < 1 { throw DatasetError.invalidOption(option: .gratingFrames, problem: "need at least 1 frame per grating") }
        if !(rateMin > 0 && rateMax >= rateMin && rateMax.isFinite) {
            throw DatasetError.invalidOption(option: .rateRange, problem: "rate range \(rateMin)…\(rateMax) must be positive and ordered")
        }
        let families = Set(cells.map(\.family))
        if families.contains(.voxel) && families.count > 1 {
            throw DatasetError.invalidOption(option: .cells, problem: "voxels (fMRI, Gaussian) cannot share a file with spiking cells: a file has one modality")
        }
        let trials = Double(stimulusCount) * (scrambledPartners ? 2 : 1) * Double(max(repeats, testRepeats ?? 0))
        if trials * Double(unitCount) > 2e9 || Double(stimulusCount) * Double(size * size) > 4e9 {
            throw DatasetError.simulationTooLarge(trials: Int(trials), units: unitCount, stimuli: stimulusCount, imageSize: size)
        }
    }
}

/// A simulated dataset in memory, ready to write.
public struct SimulatedData {
    public let options: SimulationOptions
    /// [N, S, S] intensities in [0, 1] exactly as the file stores them (uint8: byte/255).
    public let images: [Float]
    /// [N, S, S] as stored in a uint8 file.
    public let bytes: [UInt8]?
    public let masks: [UInt8]?
    /// [T, U] responses, [T] stimulus index, [N] split.
    public let responses: [Float]
    public let stimulusIndex: [Int]
    public let split: [Split]
    /// [N, U] true mean responses.
    public let rates: [Float]
    public let unitTypes: [String]
    public let unitNames: [String]
    /// Named ground-truth arrays written under /ground_truth (besides rates, unit_type).
    public let parameters: [(name: String, values: [Float], shape: [Int])]

    public var stimulusCount: Int { split.count }
    public var trialCount: Int { stimulusIndex.count }
    public var unitCount: Int { unitTypes.count }

    /// A `Dataset` view of the simulation (stimuli [N, 1, S, S] as stored values), without a file.
    public func dataset() -> Dataset {
        let s = options.size
        let stored = bytes.map { $0.map(Float.init) } ?? images
        var arrays: [String: Tensor] = ["rates": Tensor(shape: [stimulusCount, unitCount], data: rates)]
        for p in parameters { arrays[p.name] = Tensor(shape: p.shape, data: p.values) }
        let truth = GroundTruth(unitTypes: unitTypes, rates: rates, noiseStd: arrays["noise_std"]?.data, arrays: arrays)
        return Dataset(stimuli: Tensor(shape: [stimulusCount, 1, s, s], data: stored),
                       responses: Tensor(shape: [trialCount, unitCount], data: responses),
                       stimulusIndex: stimulusIndex, split: split, modality: options.modality, unitNames: unitNames,
                       masks: masks, groundTruth: truth, name: "(simulation)")
    }
}

public enum Simulator {
    static let noiseStream: UInt64 = 4 << 32
    static let orderStream: UInt64 = 5 << 32

    /// Runs a simulation. Throws `DatasetError.invalidOption` for impossible options.
    public static func simulate(_ o: SimulationOptions) throws -> SimulatedData {
        try o.validate()
        let s = o.size, plane = s * s
        let n0 = o.stimulusCount
        var generated = StimulusGenerator.generate(o.family, count: n0, size: s, seed: o.seed, frames: o.gratingFrames)
        var n = n0
        var partner: [Float]? = nil
        if o.scrambledPartners {
            let dft = DFT2D(height: s, width: s)
            var extra = [Float](repeating: 0, count: n0 * plane)
            for i in 0..<n0 {
                var rng = SeededRandom.derived(seed: o.seed, stream: StimulusGenerator.scrambleStream + UInt64(i))
                let img = Array(generated.images[(i * plane)..<((i + 1) * plane)])
                let scr = StimulusGenerator.phaseScrambled(img, size: s, dft: dft, rng: &rng)
                for k in 0..<plane { extra[i * plane + k] = scr[k] }
            }
            generated.images += extra
            if generated.masks != nil { generated.masks! += [UInt8](repeating: 0, count: n0 * plane) }
            if generated.gratings != nil { generated.gratings! += [Float](repeating: -1, count: n0 * 4) }
            partner = (0..<(2 * n0)).map { Float($0 < n0 ? $0 + n0 : $0 - n0) }
            n = 2 * n0
        }
        // Quantise to what the file stores; the cells see exactly the stored values.
        var bytes: [UInt8]? = nil
        var images = generated.images
        if o.stimulusType == .uint8 {
            let b = images.map { UInt8(min(255, max(0, ($0 * 255).rounded()))) }
            images = b.map { Float($0) / 255 }
            bytes = b
        }
        let inputs = images.map { $0 - 0.5 }

        var units = CellPopulation.draw(cells: o.cells, size: s, seed: o.seed, rateRange: (o.rateMin, o.rateMax))
        let rates = CellPopulation.rates(&units, inputs: inputs, count: n, size: s)
        let u = units.count

        // Split by stimulus (partners share their original's split).
        let baseSplit = Split.seeded(stimulusCount: n0, seed: o.seed)
        let split = (0..<n).map { baseSplit[$0 % n0] }

        // Trials in repeat blocks, each block in a seeded random order.
        let repeatsOf = (0..<n).map { split[$0] == .test ? (o.testRepeats ?? o.repeats) : o.repeats }
        let maxRepeats = repeatsOf.max() ?? 1
        var index: [Int] = []
        for r in 0..<maxRepeats {
            var block = (0..<n).filter { repeatsOf[$0] > r }
            var rng = SeededRandom.derived(seed: o.seed, stream: orderStream + UInt64(r))
            rng.shuffle(&block)
            index += block
        }
        let trueRates = ResponseMatrix(rows: n, columns: u, values: rates)
        var responses = ResponseMatrix<Float>(rows: index.count, columns: u)
        for j in 0..<u {
            var rng = SeededRandom.derived(seed: o.seed, stream: noiseStream + UInt64(j))
            let voxel = units[j].family == .voxel
            let sd = units[j].noiseStd
            for (t, stim) in index.enumerated() {
                let mu = Double(trueRates[stim, j])
                responses[t, j] = voxel ? Float(mu + sd * rng.normal()) : Float(rng.poisson(max(0, mu)))
            }
        }

        // Ground-truth parameter arrays.
        func vector(_ f: (SimulatedUnit) -> Double) -> [Float] { units.map { Float(f($0)) } }
        var params: [(name: String, values: [Float], shape: [Int])] = [
            ("orientation", vector { $0.gabor.orientation }, [u]),
            ("frequency", vector { $0.gabor.frequency }, [u]),
            ("sigma", vector { $0.gabor.sigma }, [u]),
            ("phase", vector { $0.gabor.phase }, [u]),
            ("x0", vector { $0.gabor.x0 }, [u]),
            ("y0", vector { $0.gabor.y0 }, [u]),
            ("gain", vector { $0.gain }, [u]),
            ("baseline", vector { $0.baseline }, [u]),
            ("threshold", vector { $0.threshold }, [u]),
            ("noise_std", vector { $0.noiseStd }, [u]),
        ]
        var filters = [Float](repeating: 0, count: u * plane), quadrature = filters
        for (j, unit) in units.enumerated() where unit.family == .simple || unit.family == .complex {
            let even = unit.gabor.filter(size: s)
            for k in 0..<plane { filters[j * plane + k] = even[k] }
            if unit.family == .complex {
                let odd = unit.gabor.filter(size: s, extraPhase: Double.pi / 2)
                for k in 0..<plane { quadrature[j * plane + k] = odd[k] }
            }
        }
        params.append(("filters", filters, [u, s, s]))
        params.append(("filters_quadrature", quadrature, [u, s, s]))
        let k = units.map(\.subunits.count).max() ?? 0
        if k > 0 {
            var sub = [Float](repeating: 0, count: u * k * 6)
            for (j, unit) in units.enumerated() {
                for (q, su) in unit.subunits.enumerated() {
                    let g = su.gabor
                    let row = [g.orientation, g.frequency, g.sigma, g.x0, g.y0, su.weight]
                    for c in 0..<6 { sub[(j * k + q) * 6 + c] = Float(row[c]) }
                }
            }
            params.append(("subunits", sub, [u, k, 6]))
        }
        if let g = generated.gratings { params.append(("grating", g, [n, 4])) }
        if let p = partner {
            params.append(("partner", p, [n]))
            params.append(("scrambled", (0..<n).map { $0 < n0 ? 0 : 1 }, [n]))
        }

        var counters: [CellFamily: Int] = [:]
        let names = units.map { unit -> String in
            let c = counters[unit.family, default: 0]; counters[unit.family] = c + 1
            return "\(unit.family.rawValue)\(c)"
        }
        return SimulatedData(options: o, images: images, bytes: bytes, masks: generated.masks, responses: responses.values,
                             stimulusIndex: index, split: split, rates: rates, unitTypes: units.map { $0.family.rawValue },
                             unitNames: names, parameters: params)
    }
}

extension SimulatedData {
    /// Writes the contract file atomically (temporary file, fsync, rename). Without `overwrite` an
    /// existing file is an error. `command` (the command line that regenerates the file, given by
    /// the caller) is recorded as the `command` attribute.
    public func write(to path: String, overwrite: Bool, command: String? = nil) throws {
        let s = options.size, n = stimulusCount, u = unitCount
        try HDF5File.writeAtomically(to: path, overwrite: overwrite) { f in
            if let b = bytes {
                try f.write("/stimuli", uint8s: b, shape: [n, s, s], compress: true)
            } else {
                try f.write("/stimuli", floats: images, shape: [n, s, s], compress: true)
            }
            if options.modality == .spikes {
                try f.write("/responses", int32s: responses.map { Int32($0) }, shape: [trialCount, u])
            } else {
                try f.write("/responses", floats: responses, shape: [trialCount, u])
            }
            try f.write("/stimulus_index", int64s: stimulusIndex, shape: [trialCount])
            try f.write("/split", uint8s: split.map(\.rawValue), shape: [n])
            if let m = masks { try f.write("/masks", uint8s: m, shape: [n, s, s], compress: true) }
            try f.write("/unit_names", strings: unitNames)
            try f.write("/ground_truth/unit_type", strings: unitTypes)
            try f.write("/ground_truth/rates", floats: rates, shape: [n, u])
            for p in parameters { try f.write("/ground_truth/" + p.name, floats: p.values, shape: p.shape) }
            try f.setAttribute("modality", string: options.modality.rawValue)
            try f.setAttribute("generator", string: "receptive simulate")
            if let command { try f.setAttribute("command", string: command) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = (try? encoder.encode(options)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
            try f.setAttribute("simulation", string: json)
        }
    }
}
