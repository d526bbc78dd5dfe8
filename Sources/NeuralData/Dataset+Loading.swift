// Reading and validating a dataset file. Order: the file itself (exists, HDF5, whole), then every
// header (presence, type, rank, agreement of N, T, U), then sizes against memory, then the values
// (indices in range, split labels, finite values, counts). The first problem found is thrown as a
// `DatasetError`; nothing is computed or written before the whole file has passed.
import Foundation
import Tensors

extension Dataset {
    /// Reads and validates `file`. Throws `DatasetError` (one line naming file, path and problem).
    /// Opens `file` and checks every header (presence, type, rank, agreement of N, T, U; the
    /// modality attribute; the minimum image size) without reading any array's values.
    public static func readHeader(_ file: String, options: DatasetLoadOptions = DatasetLoadOptions()) throws -> DatasetHeader {
        try HDF5FileCheck.check(file)
        let h5: HDF5File
        do { h5 = try HDF5File.open(file) } catch { throw DatasetError.from(error, file: file, path: "/") }
        let p = options.paths

        // Headers.
        let stimulusInfo = try header(h5, p.stimuli, role: "stimuli", array: .stimuli)
        guard stimulusInfo.type.isNumeric else {
            throw DatasetError.unsupportedType(file: file, path: p.stimuli, type: stimulusInfo.type.description,
                                               expected: "uint8, an integer type, float32 or float64")
        }
        let sShape = stimulusInfo.shape
        guard sShape.count == 3 || sShape.count == 4 else {
            throw DatasetError.wrongRank(file: file, path: p.stimuli, shape: sShape, expected: "[N, H, W] or [N, C, H, W]")
        }
        guard sShape.allSatisfy({ $0 > 0 }) else {
            throw DatasetError.shapeMismatch(file: file, path: p.stimuli, problem: "has an empty axis in shape \(DatasetError.shape(sShape))")
        }
        let n = sShape[0]
        let h = sShape[sShape.count - 2], w = sShape[sShape.count - 1]

        let responseInfo = try header(h5, p.responses, role: "responses", array: .responses)
        guard responseInfo.type.isNumeric else {
            throw DatasetError.unsupportedType(file: file, path: p.responses, type: responseInfo.type.description,
                                               expected: "an integer or float type")
        }
        guard responseInfo.shape.count == 2 else {
            throw DatasetError.wrongRank(file: file, path: p.responses, shape: responseInfo.shape,
                                         expected: "[T, U] (trials × units; a single unit is [T, 1])")
        }
        let t = responseInfo.shape[0], u = responseInfo.shape[1]
        guard t > 0, u > 0 else {
            throw DatasetError.shapeMismatch(file: file, path: p.responses, problem: "has no \(t == 0 ? "trials" : "units") (shape \(DatasetError.shape(responseInfo.shape)))")
        }

        let hasIndex = try exists(h5, p, .stimulusIndex)
        if hasIndex {
            let info = try header(h5, p.stimulusIndex, role: "stimulus index", array: .stimulusIndex)
            guard info.type.isInteger else {
                throw DatasetError.unsupportedType(file: file, path: p.stimulusIndex, type: info.type.description, expected: "an integer type")
            }
            guard info.shape.count == 1 else {
                throw DatasetError.wrongRank(file: file, path: p.stimulusIndex, shape: info.shape, expected: "[T]")
            }
            guard info.shape[0] == t else {
                throw DatasetError.shapeMismatch(file: file, path: p.stimulusIndex,
                                                 problem: "has \(info.shape[0]) entries but \(p.responses) has \(t) trials")
            }
        } else if t != n {
            throw DatasetError.missingStimulusIndex(file: file, responses: p.responses, trials: t, stimuli: p.stimuli, stimulusCount: n,
                                                    indexPath: p.stimulusIndex)
        }

        let hasSplit = try exists(h5, p, .split)
        if hasSplit {
            let info = try header(h5, p.split, role: "split", array: .split)
            guard info.type.isInteger else {
                throw DatasetError.unsupportedType(file: file, path: p.split, type: info.type.description, expected: "an integer type (uint8)")
            }
            guard info.shape.count == 1 else { throw DatasetError.wrongRank(file: file, path: p.split, shape: info.shape, expected: "[N]") }
            guard info.shape[0] == n else {
                throw DatasetError.shapeMismatch(file: file, path: p.split,
                                                 problem: "has \(info.shape[0]) entries but \(p.stimuli) has \(n) stimuli (the split is by stimulus)")
            }
        }

        let hasMasks = try exists(h5, p, .masks)
        if hasMasks {
            let info = try header(h5, p.masks, role: "masks", array: .masks)
            guard info.type.isNumeric else {
                throw DatasetError.unsupportedType(file: file, path: p.masks, type: info.type.description, expected: "uint8")
            }
            let ok = info.shape == [n, h, w] || info.shape == [n, 1, h, w]
            guard ok else {
                throw DatasetError.shapeMismatch(file: file, path: p.masks,
                    problem: "has shape \(DatasetError.shape(info.shape)); expected [\(n), \(h), \(w)] to match \(p.stimuli)")
            }
        }

        let hasNames = try exists(h5, p, .unitNames)
        if hasNames {
            let info = try header(h5, p.unitNames, role: "unit names", array: .unitNames)
            guard info.type == .string else {
                throw DatasetError.unsupportedType(file: file, path: p.unitNames, type: info.type.description, expected: "strings")
            }
            guard info.shape.count == 1, info.shape[0] == u else {
                throw DatasetError.shapeMismatch(file: file, path: p.unitNames,
                                                 problem: "has shape \(DatasetError.shape(info.shape)) but \(p.responses) has \(u) units")
            }
        }

        let modality: Modality
        if let m = options.modality {
            modality = m
        } else {
            let attribute: String?
            do { attribute = try h5.stringAttribute("modality") } catch {
                throw DatasetError.invalidModality(file: file, value: "not a string")
            }
            if let a = attribute {
                guard let m = Modality(rawValue: a.lowercased()) else { throw DatasetError.invalidModality(file: file, value: a) }
                modality = m
            } else {
                modality = .spikes
            }
        }
        let countModel = options.countModel ?? (modality == .spikes)

        if options.minimumImageSize > 0 && (h < options.minimumImageSize || w < options.minimumImageSize) {
            throw DatasetError.imageTooSmall(file: file, path: p.stimuli, height: h, width: w, minimum: options.minimumImageSize)
        }

        return DatasetHeader(file: file, h5: h5, paths: p, stimulusInfo: stimulusInfo, responseInfo: responseInfo,
                             hasIndex: hasIndex, hasSplit: hasSplit, hasMasks: hasMasks, hasNames: hasNames,
                             modality: modality, countModel: countModel)
    }

    /// Reads and validates `file`. Throws `DatasetError` (one line naming file, path and problem).
    /// `progress(done, total)` is called as streamed stimuli are scanned (rows done of N).
    public static func load(_ file: String, options: DatasetLoadOptions = DatasetLoadOptions(),
                            progress: ((Int, Int) -> Void)? = nil) throws -> Dataset {
        let header = try readHeader(file, options: options)
        let h5 = header.h5, p = header.paths
        let stimulusInfo = header.stimulusInfo, responseInfo = header.responseInfo
        let sShape = stimulusInfo.shape
        let n = sShape[0], h = sShape[sShape.count - 2], w = sShape[sShape.count - 1]
        let t = responseInfo.shape[0], fileUnits = responseInfo.shape[1]
        if let c = options.responseColumns, c.lowerBound < 0 || c.upperBound > fileUnits {
            throw DatasetError.shapeMismatch(file: file, path: p.responses, problem: "has \(fileUnits) units; columns \(c.lowerBound)..<\(c.upperBound) were asked for")
        }
        let columns = options.responseColumns ?? 0..<fileUnits
        let u = columns.count
        let hasIndex = header.hasIndex, hasSplit = header.hasSplit, hasMasks = header.hasMasks, hasNames = header.hasNames
        let modality = header.modality, countModel = header.countModel

        // Sizes against memory, before any allocation.
        let available = options.availableMemory ?? availableMemoryBytes() ?? Int.max
        let responseBytes = t.multipliedReportingOverflow(by: u).partialValue.multipliedReportingOverflow(by: responseInfo.type == .float64 ? 8 : 4)
        if responseBytes.overflow || responseBytes.partialValue > available {
            throw DatasetError.tooLarge(file: file, path: p.responses, bytes: responseBytes.overflow ? Int.max : responseBytes.partialValue, availableBytes: available)
        }
        if hasIndex && t > available / 16 {
            throw DatasetError.tooLarge(file: file, path: p.stimulusIndex, bytes: t.multipliedReportingOverflow(by: 16).overflow ? Int.max : t * 16, availableBytes: available)
        }
        let stimulusBytes = sShape.reduce((1, false)) { acc, d in
            let r = acc.0.multipliedReportingOverflow(by: d); return (r.partialValue, acc.1 || r.overflow)
        }
        let stimulusFloatBytes = stimulusBytes.1 ? (Int.max, true) : stimulusBytes.0.multipliedReportingOverflow(by: 4)
        let stimulusFloatSize = stimulusFloatBytes.1 ? Int.max : stimulusFloatBytes.0
        let streaming: Bool
        switch options.storage {
        case .memory:
            if stimulusFloatSize > available {
                throw DatasetError.tooLarge(file: file, path: p.stimuli, bytes: stimulusFloatSize, availableBytes: available)
            }
            streaming = false
        case .stream: streaming = true
        case .automatic: streaming = stimulusFloatSize > available / 2
        }
        // One stimulus must fit many times over: batches hold tens of them as float32.
        let rowElements = sShape.dropFirst().reduce((1, false)) { acc, d in
            let r = acc.0.multipliedReportingOverflow(by: d); return (r.partialValue, acc.1 || r.overflow)
        }
        if rowElements.1 || rowElements.0 > available / 32 {
            let bytes = rowElements.1 || rowElements.0 > Int.max / 4 ? Int.max : rowElements.0 * 4
            throw DatasetError.shapeMismatch(file: file, path: p.stimuli,
                problem: "one stimulus of shape \(DatasetError.shape(Array(sShape.dropFirst()))) needs \(DatasetError.bytes(bytes)) as float32; a minibatch of them would not fit in the \(DatasetError.bytes(available)) of available memory")
        }
        // Per-stimulus bookkeeping (split, repeat counts, the permutation of a seeded split).
        if n > available / 24 {
            throw DatasetError.shapeMismatch(file: file, path: p.stimuli,
                problem: "declares \(n) stimuli, whose per-stimulus bookkeeping alone needs \(DatasetError.bytes(n > Int.max / 24 ? Int.max : n * 24)), more than the \(DatasetError.bytes(available)) of available memory")
        }
        if hasMasks && stimulusBytes.0 / max(1, sShape.count == 4 ? sShape[1] : 1) > available {
            throw DatasetError.tooLarge(file: file, path: p.masks, bytes: stimulusBytes.0 / max(1, sShape.count == 4 ? sShape[1] : 1), availableBytes: available)
        }

        // Values: index, split.
        var index: [Int]
        if hasIndex {
            index = try read(file, p.stimulusIndex) { try h5.readInts(p.stimulusIndex).values }
            for (k, v) in index.enumerated() where v < 0 || v >= n {
                throw DatasetError.indexOutOfRange(file: file, path: p.stimulusIndex, position: k, value: v, count: n)
            }
        } else {
            index = Array(0..<t)
        }
        var split: [Split]
        if hasSplit {
            let raw = try read(file, p.split) { try h5.readInts(p.split).values }
            split = []
            split.reserveCapacity(n)
            for (k, v) in raw.enumerated() {
                guard v >= 0 && v <= 2, let s = Split(rawValue: UInt8(v)) else {
                    throw DatasetError.invalidSplitValue(file: file, path: p.split, position: k, value: v)
                }
                split.append(s)
            }
        } else {
            split = Split.seeded(stimulusCount: n, seed: options.splitSeed)
        }
        let splitPath = hasSplit ? p.split : "\(p.split) (absent; seeded 80/10/10 split)"
        for (s, name) in [(Split.train, "training"), (Split.test, "test")] {
            let stimuliIn = split.reduce(0) { $0 + ($1 == s ? 1 : 0) }
            if stimuliIn == 0 {
                throw DatasetError.emptySplit(file: file, path: splitPath, split: name,
                                              problem: "0 of \(n) stimuli are marked \(s.rawValue)")
            }
            if !index.contains(where: { split[$0] == s }) {
                throw DatasetError.emptySplit(file: file, path: splitPath, split: name,
                                              problem: "\(stimuliIn) stimuli are marked \(s.rawValue) but no trial shows one")
            }
        }

        // Values: responses.
        let responses = try readResponses(h5, file: file, path: p.responses, type: responseInfo.type, units: u,
                                          countModel: countModel, quasiLikelihood: options.quasiLikelihood,
                                          columns: options.responseColumns.map { ($0, t, fileUnits) })

        // Values: stimuli (in memory, or scanned in row blocks when streamed).
        let source: StimulusSource
        if streaming {
            let stream = HDF5StimulusSource(file: h5, path: p.stimuli, shape: sShape, storedType: stimulusInfo.type)
            if stimulusInfo.type.isFloat && !options.checkStreamedValuesOnRead {
                let rowBytes = max(1, stimulusBytes.0 / n * 4)
                let block = max(1, (32 << 20) / rowBytes)
                var start = 0
                while start < n {
                    let end = min(n, start + block)
                    let values = try read(file, p.stimuli) { try h5.readFloats(p.stimuli, rows: start..<end).values }
                    try checkFinite(values, file: file, path: p.stimuli, shape: sShape, offset: start * (stimulusBytes.0 / n))
                    start = end
                    progress?(end, n)
                }
            } else if stimulusInfo.type.isFloat {
                // Each block is checked as training first reads it (HDF5StimulusSource).
                stream.checksValues = true
            }
            source = stream
        } else {
            let values = try read(file, p.stimuli) { try h5.readFloats(p.stimuli).values }
            if stimulusInfo.type.isFloat { try checkFinite(values, file: file, path: p.stimuli, shape: sShape, offset: 0) }
            let c = sShape.count == 4 ? sShape[1] : 1
            source = InMemoryStimulusSource(tensor: Tensor(shape: [n, c, h, w], data: values))
        }

        // Optional arrays.
        var masks: [UInt8]?
        if hasMasks { masks = try read(file, p.masks) { try h5.readUInt8(p.masks).values } }
        var names: [String]?
        if hasNames { names = try read(file, p.unitNames) { try h5.readStrings(p.unitNames) } }
        if let all = names, options.responseColumns != nil, all.count == fileUnits { names = Array(all[columns]) }
        var truth: GroundTruth?
        if h5.isGroup(p.groundTruth) && options.responseColumns == nil {
            truth = try GroundTruth.read(h5, group: p.groundTruth, stimulusCount: n, unitCount: u, availableMemory: available)
        }

        return Dataset(file: file, paths: p, shape: sShape, stimulusType: stimulusInfo.type, responseType: responseInfo.type,
                       modality: modality, countModel: countModel, quasiLikelihood: options.quasiLikelihood,
                       responses: responses, unitCount: u, stimulusIndex: index, hasStimulusIndex: hasIndex,
                       split: split, splitFromFile: hasSplit, masks: masks, unitNames: names, groundTruth: truth,
                       source: source)
    }

    // MARK: pieces

    /// Whether an optional array is in the file; an array whose path the user named must be there.
    private static func exists(_ h5: HDF5File, _ p: DatasetPaths, _ array: DatasetArray) throws -> Bool {
        let path = p.path(of: array)
        if h5.exists(path) { return true }
        if p.named.contains(array) { throw DatasetError.namedPathMissing(file: h5.path, path: path, array: array) }
        return false
    }

    private static func header(_ h5: HDF5File, _ path: String, role: String, array: DatasetArray) throws -> HDF5DatasetInfo {
        guard h5.exists(path) else {
            throw DatasetError.missingDataset(file: h5.path, path: path, role: role, array: array)
        }
        if h5.isGroup(path) { throw DatasetError.notADataset(file: h5.path, path: path) }
        do { return try h5.info(path) } catch { throw DatasetError.from(error, file: h5.path, path: path) }
    }

    static func read<T>(_ file: String, _ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw DatasetError.from(error, file: file, path: path) }
    }

    /// Responses [T, U] as Float, validated: finite; for count models non-negative and (unless
    /// quasi-likelihood) integer. float64 files are checked in double precision before conversion,
    /// so a count of 3.0000001 is not rounded into an integer unnoticed.
    private static func readResponses(_ h5: HDF5File, file: String, path: String, type: HDF5ElementType, units u: Int,
                                      countModel: Bool, quasiLikelihood: Bool,
                                      columns: (range: Range<Int>, trials: Int, fileUnits: Int)? = nil) throws -> [Float] {
        let c0 = columns?.range.lowerBound ?? 0
        func check(_ v: Double, _ k: Int) throws {
            if !v.isFinite {
                throw DatasetError.nonFinite(file: file, path: path, position: [k / u, c0 + k % u], value: Float(v))
            }
            if countModel {
                if v < 0 { throw DatasetError.negativeResponse(file: file, path: path, trial: k / u, unit: c0 + k % u, value: v) }
                if !quasiLikelihood && v != v.rounded() {
                    throw DatasetError.nonIntegerCount(file: file, path: path, trial: k / u, unit: c0 + k % u, value: v)
                }
            }
        }
        if let c = columns, c.range.count != c.fileUnits {
            // One hyperslab of the asked columns (all trials).
            if type == .float64 {
                let values = try read(file, path) { try h5.readDoubles(path, start: [0, c0], count: [c.trials, u]) }
                for (k, v) in values.enumerated() { try check(v, k) }
                return values.map { Float($0) }
            }
            let values = try read(file, path) { try h5.readFloats(path, start: [0, c0], count: [c.trials, u]) }
            if type.isFloat || countModel { for (k, v) in values.enumerated() { try check(Double(v), k) } }
            return values
        }
        if type == .float64 {
            let values = try read(file, path) { try h5.readDoubles(path).values }
            for (k, v) in values.enumerated() { try check(v, k) }
            return values.map { Float($0) }
        }
        let values = try read(file, path) { try h5.readFloats(path).values }
        if type.isFloat || countModel {
            for (k, v) in values.enumerated() { try check(Double(v), k) }
        }
        return values
    }

    /// Throws at the first NaN or ±Inf; `offset` is the flat index of `values[0]` in the dataset.
    static func checkFinite(_ values: [Float], file: String, path: String, shape: [Int], offset: Int) throws {
        guard let k = values.firstIndex(where: { !$0.isFinite }) else { return }
        var flat = offset + k
        var position = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            position[axis] = flat % shape[axis]; flat /= shape[axis]
        }
        throw DatasetError.nonFinite(file: file, path: path, position: position, value: values[k])
    }
}
