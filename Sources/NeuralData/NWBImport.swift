// NWB → dataset contract (DESIGN §3): responses in windows after each stimulus onset, the shown
// templates as /stimuli, a seeded split by stimulus, names, and the source recorded as attributes.
//
// Shapes: P presentations in the table (blanks included), T trials (presentations without blanks),
// N distinct templates shown (the stimuli), U' units or channels, W windows, U = U'·W.
//
// Responses:
// - spikes (`/units`): the number of spikes s of a unit with t0 + a ≤ s < t0 + b, for onset t0 (the
//   presentation's start_time, or the IndexSeries timestamp) and window [a, b) in seconds; edges are
//   computed as t0 + a in float64. Spike times are sorted per unit before counting.
// - time series: the mean of data·conversion + offset over the samples whose time t satisfies the
//   same rule (t from `timestamps`, or starting_time + i/rate); a window with no sample is an error.
// Several windows give one response column per unit and window, unit-major, named "name@a:b".
//
// Stimuli: template k is the k-th entry of an Images' `order_of_images` (or the k-th frame of an
// ImageSeries' data). Index −1 is a blank and is dropped; stimulus n is the n-th smallest template
// index shown, so repeats of an image are trials of one stimulus.
import Foundation
import Tensors

/// A response window after stimulus onset, in seconds: [start, end).
public struct ResponseWindow: Codable, Equatable, Sendable, CustomStringConvertible {
    public var start: Double
    public var end: Double
    public init(start: Double, end: Double) { self.start = start; self.end = end }

    /// "0.05:0.25" → [0.05, 0.25); nil when malformed or empty.
    public init?(parsing text: String) {
        let p = text.split(separator: ":", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard p.count == 2, let a = p[0], let b = p[1], a.isFinite, b.isFinite, b > a else { return nil }
        start = a; end = b
    }

    public var description: String { "\(Self.format(start)):\(Self.format(end))" }

    /// Shortest decimal form, as Python's `{:g}` writes these values (0.05, 0.25, 1).
    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}

/// A condition on a column of the units table: `quality=good`, `snr>1.5`, `isi_violations<=0.5`.
public struct UnitFilter: Codable, Equatable, Sendable, CustomStringConvertible {
    public enum Comparison: String, Codable, Sendable, CaseIterable {
        case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }
    public var column: String
    public var comparison: Comparison
    public var value: String

    public init(column: String, comparison: Comparison, value: String) {
        self.column = column; self.comparison = comparison; self.value = value
    }

    /// Parses COLUMN OP VALUE with OP one of = == != < <= > >=; nil when malformed.
    public init?(parsing text: String) {
        for op in ["!=", "<=", ">=", "==", "=", "<", ">"] {
            guard let r = text.range(of: op) else { continue }
            let c = text[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
            let v = text[r.upperBound...].trimmingCharacters(in: .whitespaces)
            guard !c.isEmpty, !v.isEmpty else { return nil }
            column = c; value = v
            comparison = Comparison(rawValue: op == "==" ? "=" : op)!
            return
        }
        return nil
    }

    public var description: String { "\(column)\(comparison.rawValue)\(value)" }

    /// Whether a row passes: numbers compare numerically, text only with = and !=.
    func passes(number: Double) -> Bool? {
        guard let v = Double(value) else { return nil }
        switch comparison {
        case .equal: return number == v
        case .notEqual: return number != v
        case .less: return number < v
        case .lessOrEqual: return number <= v
        case .greater: return number > v
        case .greaterOrEqual: return number >= v
        }
    }

    func passes(text: String) -> Bool? {
        switch comparison {
        case .equal: return text == value
        case .notEqual: return text != value
        default: return nil
        }
    }
}

/// Everything that decides an import (recorded in the output's `import_options` attribute).
public struct NWBImportOptions: Codable, Equatable, Sendable {
    /// Windows after onset; at least one.
    public var windows: [ResponseWindow]
    /// A TimeSeries path (RoiResponseSeries, …) to average instead of counting `/units` spikes.
    public var series: String?
    /// Conditions on units-table columns, all of which a unit must pass.
    public var unitFilters: [UnitFilter]
    /// `/intervals/<name>` (or a bare name), or the path of an IndexSeries; nil: found by itself.
    public var presentations: String?
    /// Path of an Images or ImageSeries; nil: found by itself (or the IndexSeries' link).
    public var templates: String?
    /// Column of the presentation table holding the template index; nil: the first of
    /// `NWBImport.indexColumnNames` the table has.
    public var indexColumn: String?
    /// Seed of the 80/10/10 split by stimulus.
    public var splitSeed: UInt64

    public init(windows: [ResponseWindow], series: String? = nil, unitFilters: [UnitFilter] = [],
                presentations: String? = nil, templates: String? = nil, indexColumn: String? = nil, splitSeed: UInt64 = 0) {
        self.windows = windows; self.series = series; self.unitFilters = unitFilters
        self.presentations = presentations; self.templates = templates; self.indexColumn = indexColumn
        self.splitSeed = splitSeed
    }
}

/// The result of an import: a dataset in memory, ready to write.
public struct NWBImported {
    /// "spikes" (counts, Poisson) or "fmri" (time-series means, Gaussian).
    public var modality: Modality
    /// [N, H, W] or [N, C, H, W] as `stimulusShape` says; uint8 when every template is uint8.
    public var stimulusShape: [Int]
    public var stimuliUInt8: [UInt8]?
    public var stimuliFloat: [Float]?
    /// Trials × units: spike counts (whole numbers) or window means.
    public var responses: ResponseMatrix<Double>
    public var trialCount: Int { responses.rows }
    public var unitCount: Int { responses.columns }
    /// [T] stimulus of each trial, [N] template index of each stimulus, [N] split.
    public var stimulusIndex: [Int]
    public var templateIndex: [Int]
    public var split: [Split]
    /// [U] response column names; [U'] unit ids (spikes) or ROI ids (series, when known).
    public var unitNames: [String]
    public var unitIDs: [Int]
    /// [T] presentation row (in the table, blanks counted) and onset (s) of each trial.
    public var presentationRows: [Int]
    public var onsets: [Double]
    /// NWB paths used and their object_ids.
    public var sources: [String: String]
    public var objectIDs: [String: String]
    public var sourceFile: String
    public var options: NWBImportOptions
    public var session: [String: String]

    public var stimulusCount: Int { stimulusShape[0] }
}

public enum NWBImport {
    /// Column names tried, in order, for the template index of a presentation table.
    public static let indexColumnNames = ["frame", "image_index", "stimulus_index", "template_index", "image_id"]
    static let templateTypes: Set<String> = ["Images", "ImageSeries", "OpticalSeries"]

    public static func run(file: String, options: NWBImportOptions) throws -> NWBImported {
        guard !options.windows.isEmpty else { throw NWBImportError.invalidOption(option: .windows, problem: "give at least one window") }
        let nwb = try NWBFile(file)
        var sources: [String: String] = [:]

        // Presentations: onsets and template indices (blanks kept for now).
        let pres = try presentations(nwb, options: options)
        sources["presentations"] = pres.path
        let templates: TemplateSet
        let templatesPath: String
        if let (otherFile, path) = externalTemplates(options.templates) {
            // Templates kept in another HDF5 file (e.g. the 118 Allen natural scenes, which the
            // Neuropixels session files do not carry): FILE:/path.
            let other = try NWBFile(otherFile, requireNWB: false)
            guard other.exists(path) else { throw NWBImportError.missing(file: otherFile, path: path, what: "templates") }
            templatesPath = otherFile + ":" + path
            templates = try TemplateSet(other, path: path)
        } else {
            templatesPath = try self.templatesPath(nwb, options: options, linked: pres.linkedTemplates)
            templates = try TemplateSet(nwb, path: templatesPath)
        }
        sources["templates"] = templatesPath

        var trialRows: [Int] = [], shownTemplate: [Int] = []
        for (r, v) in pres.index.enumerated() {
            guard v.isFinite, v == v.rounded(), v >= -1 else {
                throw NWBImportError.invalidStimulusIndex(file: file, path: pres.indexPath, row: r, value: v)
            }
            if v == -1 { continue }
            guard v < Double(templates.count) else {      // compared as a double: no conversion trap
                throw NWBImportError.indexBeyondTemplates(file: file, path: pres.indexPath, row: r, value: v < 9e18 ? Int(v) : Int.max,
                                                          templateCount: templates.count, templates: templatesPath)
            }
            let k = Int(v)
            trialRows.append(r); shownTemplate.append(k)
        }
        if trialRows.isEmpty { throw NWBImportError.noPresentations(file: file, path: pres.indexPath) }
        let distinct = Array(Set(shownTemplate)).sorted()
        if distinct.count < 2 { throw NWBImportError.tooFewStimuli(file: file, path: pres.indexPath, count: distinct.count) }
        var stimulusOf: [Int: Int] = [:]
        for (n, k) in distinct.enumerated() { stimulusOf[k] = n }
        let onsets = trialRows.map { pres.onsets[$0] }

        // Responses.
        let resp: (values: ResponseMatrix<Double>, names: [String], ids: [Int], modality: Modality)
        let chosenSeries = try options.series ?? (nwb.exists("/units") ? nil : onlySeries(nwb))
        if let series = chosenSeries {
            let path = NWBImport.absolute(series)
            sources["series"] = path
            resp = try seriesResponses(nwb, path: path, onsets: onsets, windows: options.windows)
        } else {
            sources["units"] = "/units"
            resp = try spikeResponses(nwb, onsets: onsets, options: options)
        }

        let (shape, u8, fl) = try templates.read(distinct)
        var objectIDs: [String: String] = [:]
        for (k, p) in sources { if let id = nwb.objectID(p) { objectIDs[k] = id } }
        var session: [String: String] = [:]
        for k in ["identifier", "session_description", "session_start_time"] { session[k] = nwb.rootString(k) }
        session["nwb_version"] = nwb.nwbVersion
        return NWBImported(modality: resp.modality, stimulusShape: shape, stimuliUInt8: u8, stimuliFloat: fl,
                           responses: resp.values,
                           stimulusIndex: shownTemplate.map { stimulusOf[$0]! }, templateIndex: distinct,
                           split: Split.seeded(stimulusCount: distinct.count, seed: options.splitSeed),
                           unitNames: resp.names, unitIDs: resp.ids, presentationRows: trialRows, onsets: onsets,
                           sources: sources, objectIDs: objectIDs, sourceFile: file, options: options, session: session)
    }

    static func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : "/" + p }

    // MARK: presentations

    struct Presentations {
        var path: String
        /// Dataset holding the template index (for error messages).
        var indexPath: String
        /// [P] onsets (s) and template indices (−1 blank) of every presentation.
        var onsets: [Double]
        var index: [Double]
        /// The templates an IndexSeries links to (indexed_images / indexed_timeseries).
        var linkedTemplates: String?
    }

    /// Presentation tables under /intervals that have a template-index column, and IndexSeries
    /// under /stimulus/presentation.
    static func presentationCandidates(_ nwb: NWBFile, indexColumn: String?) -> [String] {
        let names = indexColumn.map { [$0] } ?? indexColumnNames
        let tables = nwb.groups(under: "/intervals", depth: 1) { p in
            nwb.exists(p + "/start_time") && names.contains { nwb.exists(p + "/" + $0) }
        }
        let series = nwb.groups(under: "/stimulus/presentation", depth: 1) { nwb.neurodataType($0) == "IndexSeries" }
        return tables + series
    }

    static func presentations(_ nwb: NWBFile, options: NWBImportOptions) throws -> Presentations {
        let path: String
        if let p = options.presentations {
            if p.hasPrefix("/") { path = p } else if nwb.exists("/intervals/" + p) { path = "/intervals/" + p }
            else if nwb.exists("/stimulus/presentation/" + p) { path = "/stimulus/presentation/" + p } else { path = "/intervals/" + p }
            guard nwb.exists(path), nwb.isGroup(path) else {
                throw NWBImportError.missing(file: nwb.file, path: path, what: "presentation table or IndexSeries (candidates: \(presentationCandidates(nwb, indexColumn: options.indexColumn).joined(separator: ", ")))")
            }
        } else {
            let c = presentationCandidates(nwb, indexColumn: options.indexColumn)
            if c.isEmpty {
                throw NWBImportError.noneFound(file: nwb.file, what: "presentation table with start_time and a template-index column (\((options.indexColumn.map { [$0] } ?? indexColumnNames).joined(separator: ", "))) or IndexSeries",
                                               looked: "/intervals and /stimulus/presentation")
            }
            if c.count > 1 { throw NWBImportError.ambiguous(file: nwb.file, what: "presentation tables", candidates: c, option: .presentations) }
            path = c[0]
        }
        if nwb.exists(path + "/data") && !nwb.exists(path + "/start_time") {
            // An IndexSeries: data = template index per presentation, time = onset.
            var data = try nwb.doubles(path + "/data")
            guard data.shape.count == 1 else { throw NWBImportError.badShape(file: nwb.file, path: path + "/data", shape: data.shape, expected: "[presentations]") }
            // IndexSeries data is unsigned, so a blank (−1) written into it wraps to the type's largest
            // value (4294967295 for uint32): read that as a blank too.
            let type = try nwb.info(path + "/data").type
            let wrapped: Double?
            switch type {
            case .uint8: wrapped = 255
            case .uint16: wrapped = 65535
            case .uint32: wrapped = 4294967295
            case .uint64: wrapped = Double(UInt64.max)      // 2^64 after rounding, as HDF5 converts it
            default: wrapped = nil
            }
            if let w = wrapped { data.values = data.values.map { $0 == w ? -1 : $0 } }
            let onsets = try nwb.sampleTimes(path, count: data.values.count)
            var linked: String?
            for l in ["indexed_images", "indexed_timeseries"] where nwb.exists(path + "/" + l) {
                linked = nwb.h5.softLinkTarget(path + "/" + l) ?? linked
            }
            return Presentations(path: path, indexPath: path + "/data", onsets: onsets, index: data.values, linkedTemplates: linked)
        }
        let names = options.indexColumn.map { [$0] } ?? indexColumnNames
        guard let column = names.first(where: { nwb.exists(path + "/" + $0) }) else {
            throw NWBImportError.missingColumn(file: nwb.file, table: path, column: names.joined(separator: " or "), available: nwb.columns(path))
        }
        guard case .numbers(let onsets) = try nwb.column(path, "start_time") else {
            throw NWBImportError.badShape(file: nwb.file, path: path + "/start_time", shape: [], expected: "numbers (seconds)")
        }
        if let i = onsets.firstIndex(where: { !$0.isFinite }) { throw NWBImportError.nonFinite(file: nwb.file, path: path + "/start_time", position: i) }
        guard case .numbers(let index) = try nwb.column(path, column) else {
            throw NWBImportError.badFilter(file: nwb.file, path: path + "/" + column, filter: column, problem: "it holds text, not template indices")
        }
        return Presentations(path: path, indexPath: path + "/" + column, onsets: onsets, index: index, linkedTemplates: nil)
    }

    // MARK: templates

    static func templateCandidates(_ nwb: NWBFile) -> [String] {
        nwb.groups(under: "/stimulus/templates", depth: 1) { p in
            templateTypes.contains(nwb.neurodataType(p) ?? "") || nwb.exists(p + "/data") || nwb.exists(p + "/external_file")
        }
    }

    /// "FILE:/path" with FILE an existing file → (FILE, /path); otherwise nil.
    static func externalTemplates(_ option: String?) -> (String, String)? {
        guard let o = option, let r = o.range(of: ":/", options: .backwards) else { return nil }
        let f = String(o[..<r.lowerBound])
        guard !f.isEmpty, FileManager.default.fileExists(atPath: f) else { return nil }
        return (f, String(o[o.index(after: r.lowerBound)...]))
    }

    static func templatesPath(_ nwb: NWBFile, options: NWBImportOptions, linked: String?) throws -> String {
        if let t = options.templates {
            let p = t.hasPrefix("/") ? t : "/stimulus/templates/" + t
            guard nwb.exists(p) else {
                throw NWBImportError.missing(file: nwb.file, path: p, what: "templates (candidates: \(templateCandidates(nwb).joined(separator: ", ")))")
            }
            return p
        }
        if let l = linked, nwb.exists(l) { return l }
        let c = templateCandidates(nwb)
        if c.isEmpty { throw NWBImportError.noneFound(file: nwb.file, what: "stimulus templates (Images or ImageSeries)", looked: "/stimulus/templates") }
        if c.count > 1 { throw NWBImportError.ambiguous(file: nwb.file, what: "template sets", candidates: c, option: .templates) }
        return c[0]
    }

    /// Ordering of template names that carry their index (used when Images lack order_of_images).
    public enum TemplateSetNames {
        /// `names` ordered by their trailing number when those numbers are exactly 0..<n; else nil.
        public static func ordered(_ names: [String]) -> [String]? {
            var byNumber: [Int: String] = [:]
            for n in names {
                let digits = String(n.reversed().prefix { $0.isASCII && $0.isNumber }.reversed())
                guard !digits.isEmpty, let k = Int(digits), byNumber[k] == nil else { return nil }
                byNumber[k] = n
            }
            guard byNumber.keys.sorted() == Array(0..<names.count) else { return nil }
            return (0..<names.count).map { byNumber[$0]! }
        }
    }

    /// An Images group (ordered by `order_of_images`) or an ImageSeries (frames of `data`).
    struct TemplateSet {
        let nwb: NWBFile
        let path: String
        /// Dataset of each template (Images), or nil (ImageSeries: rows of `path/data`).
        let images: [String]?
        let count: Int
        /// [H, W, C] of one template.
        let frameShape: [Int]
        let isUInt8: Bool
        /// The [frames, H, W(, C)] dataset when the templates are a frame stack.
        let frames: String?

        init(_ nwb: NWBFile, path: String) throws {
            self.nwb = nwb; self.path = path
            let file = nwb.file
            if nwb.exists(path + "/external_file") {
                let files = (try? nwb.strings(path + "/external_file")) ?? []
                let data = try? nwb.info(path + "/data")
                if data == nil || data!.count == 0 { throw NWBImportError.externalImages(file: file, path: path, externalFiles: files) }
            }
            // A frame stack: an ImageSeries' `data`, or (templates from a plain HDF5 file) a dataset itself.
            let stack = nwb.isGroup(path) ? path + "/data" : path
            if nwb.exists(stack) && !nwb.isGroup(stack) {
                let i = try nwb.info(stack)
                guard i.shape.count == 3 || i.shape.count == 4, i.type.isNumeric else {
                    throw NWBImportError.badShape(file: file, path: stack, shape: i.shape, expected: "[frames, H, W] or [frames, H, W, C] numbers")
                }
                images = nil; count = i.shape[0]; frames = stack
                frameShape = [i.shape[1], i.shape[2], i.shape.count == 4 ? i.shape[3] : 1]
                isUInt8 = i.type == .uint8
                return
            }
            guard nwb.isGroup(path) else {
                throw NWBImportError.badShape(file: file, path: path, shape: [], expected: "an Images group or an ImageSeries")
            }
            let list: [String]
            if nwb.exists(path + "/order_of_images") {
                list = try nwb.h5.readObjectReferences(path + "/order_of_images")
            } else {
                // No order_of_images (files written before pynwb 2.1, e.g. DANDI's Allen Visual Coding
                // conversions): one image, or images whose names end in the numbers 0..<n
                // ("NaturalScene0" … "NaturalScene117"), ordered by that number. Anything else is refused.
                let kids = nwb.children(path).filter { !nwb.isGroup(path + "/" + $0) }
                if kids.count == 1 { list = [path + "/" + kids[0]] }
                else if let ordered = TemplateSetNames.ordered(kids) { list = ordered.map { path + "/" + $0 } }
                else { throw NWBImportError.unorderedImages(file: file, path: path, count: kids.count) }
            }
            guard let first = list.first else { throw NWBImportError.noneFound(file: file, what: "images", looked: path) }
            var shape: [Int]? = nil
            var u8 = true
            for p in list {
                let i = try nwb.info(p)
                guard (i.shape.count == 2 || i.shape.count == 3), i.type.isNumeric else {
                    throw NWBImportError.badShape(file: file, path: p, shape: i.shape, expected: "[H, W] or [H, W, C] numbers (an Image)")
                }
                let s = [i.shape[0], i.shape[1], i.shape.count == 3 ? i.shape[2] : 1]
                if let s0 = shape, s0 != s {
                    throw NWBImportError.badShape(file: file, path: p, shape: i.shape, expected: "the shape of \(first) (\(s0[0])×\(s0[1])×\(s0[2])); templates must share one size")
                }
                shape = s
                u8 = u8 && i.type == .uint8
            }
            images = list; count = list.count; frameShape = shape!; isUInt8 = u8; frames = nil
        }

        /// The templates `indices`, as [N, H, W] (one channel) or [N, C, H, W]; HWC is transposed to CHW.
        func read(_ indices: [Int]) throws -> (shape: [Int], uint8: [UInt8]?, float: [Float]?) {
            let (h, w, c) = (frameShape[0], frameShape[1], frameShape[2])
            let plane = h * w * c
            var u8: [UInt8] = isUInt8 ? [UInt8](repeating: 0, count: indices.count * plane) : []
            var fl: [Float] = isUInt8 ? [] : [Float](repeating: 0, count: indices.count * plane)
            for (n, k) in indices.enumerated() {
                let p = images?[k] ?? frames!
                let rows: Range<Int>? = images == nil ? k..<(k + 1) : nil
                if isUInt8 {
                    let v = try nwb.uint8s(p, rows: rows).values      // (H, W, C)
                    for y in 0..<h { for x in 0..<w { for ch in 0..<c { u8[n * plane + (ch * h + y) * w + x] = v[(y * w + x) * c + ch] } } }
                } else {
                    let v = try nwb.doubles(p, rows: rows).values
                    if let i = v.firstIndex(where: { !$0.isFinite }) { throw NWBImportError.nonFinite(file: nwb.file, path: p, position: i) }
                    for y in 0..<h { for x in 0..<w { for ch in 0..<c { fl[n * plane + (ch * h + y) * w + x] = Float(v[(y * w + x) * c + ch]) } } }
                }
            }
            let shape = c == 1 ? [indices.count, h, w] : [indices.count, c, h, w]
            return (shape, isUInt8 ? u8 : nil, isUInt8 ? nil : fl)
        }
    }

    // MARK: spikes

    static func spikeResponses(_ nwb: NWBFile, onsets: [Double], options: NWBImportOptions)
        throws -> (values: ResponseMatrix<Double>, names: [String], ids: [Int], modality: Modality) {
        let table = "/units"
        guard nwb.exists(table) else { throw NWBImportError.missing(file: nwb.file, path: table, what: "units table", alternative: .series) }
        let idValues = try nwb.finiteDoubles(table + "/id")
        if let i = idValues.firstIndex(where: { abs($0) > 9e15 || $0 != $0.rounded() }) {
            throw NWBImportError.badShape(file: nwb.file, path: table + "/id", shape: [idValues.count], expected: "whole-number ids (entry \(i) is \(idValues[i]))")
        }
        let idColumn = idValues.map { Int($0) }
        let spikes = try nwb.raggedColumn(table, "spike_times")
        var keep = Array(repeating: true, count: idColumn.count)
        for f in options.unitFilters {
            let col = try nwb.column(table, f.column)
            for r in 0..<idColumn.count where keep[r] {
                let pass: Bool?
                switch col {
                case .numbers(let v): pass = f.passes(number: v[r])
                case .strings(let v): pass = f.passes(text: v[r])
                }
                guard let p = pass else {
                    let problem: String
                    if case .strings = col { problem = "the column holds text, which compares only with = or !=" } else { problem = "'\(f.value)' is not a number" }
                    throw NWBImportError.badFilter(file: nwb.file, path: table + "/" + f.column, filter: f.description, problem: problem)
                }
                keep[r] = p
            }
        }
        let units = (0..<idColumn.count).filter { keep[$0] }
        if units.isEmpty {
            throw NWBImportError.noUnitsLeft(file: nwb.file, path: table, filters: options.unitFilters.map(\.description).joined(separator: " and "),
                                             unitCount: idColumn.count)
        }
        let w = options.windows.count
        var values = ResponseMatrix<Double>(rows: onsets.count, columns: units.count * w)
        var names: [String] = []
        for (j, u) in units.enumerated() {
            let train = spikes.values[(u == 0 ? 0 : spikes.ends[u - 1])..<spikes.ends[u]].sorted()
            for (k, win) in options.windows.enumerated() {
                names.append(w == 1 ? String(idColumn[u]) : "\(idColumn[u])@\(win)")
                for (t, t0) in onsets.enumerated() {
                    let lo = lowerBound(train, t0 + win.start), hi = lowerBound(train, t0 + win.end)
                    values[t, j * w + k] = Double(hi - lo)
                }
            }
        }
        return (values, names, units.map { idColumn[$0] }, .spikes)
    }

    /// First index i with a[i] ≥ x (a ascending).
    static func lowerBound(_ a: [Double], _ x: Double) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let m = (lo + hi) / 2; if a[m] < x { lo = m + 1 } else { hi = m } }
        return lo
    }

    // MARK: time series

    /// TimeSeries-like groups (a `data` dataset and a neurodata_type) under /processing and /acquisition.
    public static func seriesCandidates(_ nwb: NWBFile) -> [String] {
        let accept: (String) -> Bool = { p in
            nwb.neurodataType(p) != nil && nwb.exists(p + "/data") && !templateTypes.contains(nwb.neurodataType(p) ?? "")
        }
        return nwb.groups(under: "/processing", depth: 4, accept) + nwb.groups(under: "/acquisition", depth: 3, accept)
    }

    static func onlySeries(_ nwb: NWBFile) throws -> String {
        let c = seriesCandidates(nwb)
        if c.isEmpty { throw NWBImportError.noneFound(file: nwb.file, what: "/units table and no time series", looked: "/units, /processing and /acquisition") }
        if c.count > 1 { throw NWBImportError.ambiguous(file: nwb.file, what: "time series and no /units", candidates: c, option: .series) }
        return c[0]
    }

    static func seriesResponses(_ nwb: NWBFile, path: String, onsets: [Double], windows: [ResponseWindow])
        throws -> (values: ResponseMatrix<Double>, names: [String], ids: [Int], modality: Modality) {
        guard nwb.exists(path), nwb.isGroup(path) else {
            throw NWBImportError.missing(file: nwb.file, path: path, what: "time series (candidates: \(seriesCandidates(nwb).joined(separator: ", ")))")
        }
        guard nwb.exists(path + "/data") else { throw NWBImportError.missing(file: nwb.file, path: path + "/data", what: "data in the time series") }
        let info = try nwb.info(path + "/data")
        guard info.shape.count == 1 || info.shape.count == 2 else {
            throw NWBImportError.badShape(file: nwb.file, path: path + "/data", shape: info.shape, expected: "[time] or [time, channels]")
        }
        let n = info.shape[0], channels = info.shape.count == 2 ? info.shape[1] : 1
        let times = try nwb.sampleTimes(path, count: n)      // checked before the data is read
        // Sample range [lo, hi) of every presentation and window; only the rows from the first
        // window's start to the last one's end are read (a hyperslab), so a long recording with
        // a short stimulus block costs the block.
        var ranges = [(Int, Int)](repeating: (0, 0), count: onsets.count * windows.count)
        for (k, win) in windows.enumerated() {
            for (t, t0) in onsets.enumerated() {
                let lo = lowerBound(times, t0 + win.start), hi = lowerBound(times, t0 + win.end)
                guard hi > lo else {
                    throw NWBImportError.emptyWindow(file: nwb.file, path: path, presentation: t, onset: t0, window: win)
                }
                ranges[t * windows.count + k] = (lo, hi)
            }
        }
        let first = ranges.map(\.0).min() ?? 0, last = ranges.map(\.1).max() ?? 0
        let bytes = (last - first) * channels * 8
        if let available = availableMemoryBytes(), bytes > available / 2 {
            throw DatasetError.tooLarge(file: nwb.file, path: path + "/data", bytes: bytes, availableBytes: available)
        }
        let raw = try nwb.doubles(path + "/data", rows: first..<last).values      // rows first..<last
        if let i = raw.firstIndex(where: { !$0.isFinite }) {
            throw NWBImportError.nonFinite(file: nwb.file, path: path + "/data", position: first + i / channels)
        }
        let conversion = (try? nwb.h5.doubleAttribute("conversion", at: path + "/data")) ?? nil
        let offset = (try? nwb.h5.doubleAttribute("offset", at: path + "/data")) ?? nil
        // NWB: value in `unit` = data · conversion + offset.
        let scale = conversion ?? 1, shift = offset ?? 0

        // Channel names: ROI ids when `rois` points into a table with ids, else "<series>[j]".
        var ids: [Int] = []
        var names = (0..<channels).map { "\(path.split(separator: "/").last ?? "ch")[\($0)]" }
        if nwb.exists(path + "/rois"), let table = try? nwb.h5.referenceAttribute("table", at: path + "/rois"),
           let rows = try? nwb.doubles(path + "/rois").values, rows.count == channels,
           let tableIDs = try? nwb.finiteDoubles(table + "/id"), tableIDs.allSatisfy({ abs($0) < 9e15 }),
           rows.allSatisfy({ $0 >= 0 && $0 < Double(tableIDs.count) }) {
            ids = rows.map { Int(tableIDs[Int($0)]) }
            names = ids.map { "roi\($0)" }
        }
        let w = windows.count
        var values = ResponseMatrix<Double>(rows: onsets.count, columns: channels * w)
        var columnNames: [String] = []
        for j in 0..<channels { for win in windows { columnNames.append(w == 1 ? names[j] : "\(names[j])@\(win)") } }
        for k in 0..<w {
            for t in 0..<onsets.count {
                let (lo, hi) = ranges[t * w + k]
                for j in 0..<channels {
                    var s = 0.0
                    for i in lo..<hi { s += raw[(i - first) * channels + j] * scale + shift }
                    values[t, j * w + k] = s / Double(hi - lo)
                }
            }
        }
        return (values, columnNames, ids, .fmri)
    }
}

extension NWBImported {
    /// Writes the contract file atomically (a temporary file renamed over `path`); `command` is
    /// recorded as the `command` attribute.
    public func write(to path: String, overwrite: Bool, command: String) throws {
        try HDF5File.writeAtomically(to: path, overwrite: overwrite) { f in
            if let u = stimuliUInt8 { try f.write("/stimuli", uint8s: u, shape: stimulusShape, compress: true) }
            if let s = stimuliFloat { try f.write("/stimuli", floats: s, shape: stimulusShape, compress: true) }
            if modality == .spikes {
                try f.write("/responses", int32s: responses.values.map { Int32($0) }, shape: [trialCount, unitCount])
            } else {
                try f.write("/responses", doubles: responses.values, shape: [trialCount, unitCount])
            }
            try f.write("/stimulus_index", int64s: stimulusIndex, shape: [trialCount])
            try f.write("/split", uint8s: split.map(\.rawValue), shape: [stimulusCount])
            try f.write("/unit_names", strings: unitNames)
            try f.write("/nwb/template_index", int64s: templateIndex, shape: [stimulusCount])
            try f.write("/nwb/presentation_row", int64s: presentationRows, shape: [trialCount])
            try f.write("/nwb/onset", doubles: onsets, shape: [trialCount])
            if !unitIDs.isEmpty { try f.write("/nwb/unit_id", int64s: unitIDs, shape: [unitIDs.count]) }
            try f.write("/nwb/window", doubles: options.windows.flatMap { [$0.start, $0.end] }, shape: [options.windows.count, 2])
            try f.setAttribute("modality", string: modality.rawValue)
            try f.setAttribute("generator", string: "receptive import nwb")
            try f.setAttribute("command", string: command)
            try f.setAttribute("source_file", string: sourceFile)
            try f.setAttribute("import_options", string: SnakeCaseJSON.encode(options, pretty: false, escapeSlashes: false))
            let source: [String: [String: String]] = ["paths": sources, "object_ids": objectIDs, "session": session]
            try f.setAttribute("nwb_source", string: SnakeCaseJSON.encode(source, pretty: false, escapeSlashes: false))
        }
    }
}
