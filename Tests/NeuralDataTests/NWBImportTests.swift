import XCTest
import Foundation
import Tensors
import NeuralData
import TestSupport

/// `NWBImport` against files written by pynwb and values computed by numpy
/// (scripts/fixtures/make_nwb_fixtures.py → Tests/Fixtures/nwb_*.nwb, nwb_expected.h5).
/// Counts must equal the script's exactly (to the spike); window means to 1e-12 relative.
final class NWBImportTests: XCTestCase {
    let spikes = TestPaths.fixture("nwb_spikes.nwb")
    let calcium = TestPaths.fixture("nwb_calcium.nwb")

    func testSpikeCountsEqualTheScriptsToTheSpike() throws {
        let o = NWBImportOptions(windows: [ResponseWindow(start: 0.05, end: 0.25)],
                                 unitFilters: [UnitFilter(parsing: "quality=good")!],
                                 presentations: "natural_scenes_presentations", splitSeed: 3)
        let r = try NWBImport.run(file: spikes, options: o)
        let e = try HDF5File.open(TestPaths.fixture("nwb_expected.h5"))
        let counts = try e.readDoubles("/spikes_good/responses")
        XCTAssertEqual([r.trialCount, r.unitCount], counts.shape)
        let d = compareArrays("spike counts, window 0.05:0.25, quality=good", r.responses.values, counts.values, atol: 0)
        XCTAssertTrue(d.ok)
        XCTAssertEqual(r.stimulusIndex, try e.readInts("/spikes_good/stimulus_index").values)
        XCTAssertEqual(r.templateIndex, try e.readInts("/spikes_good/template_index").values)
        XCTAssertFalse(r.templateIndex.contains(7), "template 7 is never shown, so it is not a stimulus")
        XCTAssertEqual(r.unitNames, try e.readStrings("/spikes_good/unit_names"))
        XCTAssertEqual(r.unitIDs, [101, 105, 110])
        XCTAssertTrue(compareArrays("onsets", r.onsets, try e.readDoubles("/spikes_good/onsets").values, atol: 0).ok)
        // Templates in order_of_images order (stored in reverse by name in the file).
        let stim = try e.readUInt8("/spikes_good/stimuli")
        XCTAssertEqual(r.stimulusShape, stim.shape)
        XCTAssertEqual(r.stimuliUInt8, stim.values)
        XCTAssertEqual(r.modality, .spikes)
        XCTAssertEqual(r.split, Split.seeded(stimulusCount: 9, seed: 3))
        // Repeats: every stimulus shown 6–9 times.
        var reps = [Int](repeating: 0, count: r.stimulusCount)
        for s in r.stimulusIndex { reps[s] += 1 }
        XCTAssertTrue(reps.allSatisfy { $0 >= 6 && $0 <= 9 }, "\(reps)")
        XCTAssertEqual(r.objectIDs.keys.sorted(), ["presentations", "templates", "units"])
    }

    func testTwoWindowsAllUnitsAndTheIndexSeriesAgree() throws {
        let e = try HDF5File.open(TestPaths.fixture("nwb_expected.h5"))
        let windows = [ResponseWindow(parsing: "0.05:0.25")!, ResponseWindow(parsing: "0.25:0.45")!]
        let want = try e.readDoubles("/spikes_two_windows/responses")
        for pres in ["natural_scenes_presentations", "/stimulus/presentation/natural_scenes_index"] {
            let r = try NWBImport.run(file: spikes, options: NWBImportOptions(windows: windows, presentations: pres))
            XCTAssertEqual([r.trialCount, r.unitCount], want.shape)
            XCTAssertTrue(compareArrays("two windows via \(pres)", r.responses.values, want.values, atol: 0).ok)
            XCTAssertEqual(r.unitNames, try e.readStrings("/spikes_two_windows/unit_names"))
            XCTAssertEqual(r.sources["templates"], "/stimulus/templates/natural_scenes")
        }
    }

    func testImagesWithoutOrderOfImagesAreOrderedByTheirNumberedNames() throws {
        // The file has one presentation table and one template set: both found by themselves.
        let r = try NWBImport.run(file: TestPaths.fixture("nwb_unordered_images.nwb"),
                                  options: NWBImportOptions(windows: [ResponseWindow(start: 0.05, end: 0.25)],
                                                            unitFilters: [UnitFilter(parsing: "quality=good")!]))
        let e = try HDF5File.open(TestPaths.fixture("nwb_expected.h5"))
        XCTAssertEqual(r.stimuliUInt8, try e.readUInt8("/spikes_good/stimuli").values)
        XCTAssertTrue(compareArrays("counts, unordered Images", r.responses.values, try e.readDoubles("/spikes_good/responses").values, atol: 0).ok)
        XCTAssertEqual(NWBImport.TemplateSetNames.ordered(["img10", "img2", "img0", "img1", "img3", "img4", "img5", "img6", "img7", "img8", "img9"])?.first, "img0")
        XCTAssertNil(NWBImport.TemplateSetNames.ordered(["a", "b"]))
        XCTAssertNil(NWBImport.TemplateSetNames.ordered(["x1", "x2"]), "numbers must be 0..<n")
    }

    func testTemplatesFromAnotherHDF5File() throws {
        let e = try HDF5File.open(TestPaths.fixture("nwb_expected.h5"))
        let other = TestPaths.fixture("nwb_expected.h5") + ":/all_templates"
        let r = try NWBImport.run(file: spikes, options: NWBImportOptions(windows: [ResponseWindow(start: 0.05, end: 0.25)],
                                                                          unitFilters: [UnitFilter(parsing: "quality=good")!],
                                                                          presentations: "natural_scenes_presentations", templates: other))
        XCTAssertEqual(r.sources["templates"], other)
        XCTAssertEqual(r.stimuliUInt8, try e.readUInt8("/spikes_good/stimuli").values)
        XCTAssertTrue(compareArrays("counts, external templates", r.responses.values, try e.readDoubles("/spikes_good/responses").values, atol: 0).ok)
    }

    func testCalciumMeansWithRateAndWithTimestamps() throws {
        let e = try HDF5File.open(TestPaths.fixture("nwb_expected.h5"))
        for (group, series) in [("calcium_rate", "/processing/ophys/Fluorescence/RoiResponseSeries"),
                                ("calcium_timestamps", "/processing/ophys/DfOverF/RoiResponseSeries")] {
            // Presentation table and ImageSeries templates are found by themselves (one of each).
            let r = try NWBImport.run(file: calcium, options: NWBImportOptions(windows: [ResponseWindow(start: 0.1, end: 0.4)], series: series))
            let want = try e.readDoubles("/\(group)/responses")
            XCTAssertEqual([r.trialCount, r.unitCount], want.shape)
            XCTAssertTrue(compareArrays("window means, \(group)", r.responses.values, want.values, atol: 1e-12, rtol: 1e-12).ok)
            XCTAssertEqual(r.modality, .fmri)
            XCTAssertEqual(r.unitNames, try e.readStrings("/calcium_rate/unit_names"))
            XCTAssertEqual(r.stimulusIndex, try e.readInts("/calcium_rate/stimulus_index").values)
            XCTAssertEqual(r.sources["presentations"], "/intervals/movie_presentations")
            XCTAssertEqual(r.sources["templates"], "/stimulus/templates/movie_frames")
            let stim = try e.readUInt8("/calcium_rate/stimuli")     // [N, 3, 12, 12]: HWC → CHW
            XCTAssertEqual(r.stimulusShape, stim.shape)
            XCTAssertEqual(r.stimuliUInt8, stim.values)
        }
    }

    func testWrittenFileLoadsAsADatasetWithItsProvenance() throws {
        let dir = TestPaths.temporaryDirectory("nwb")
        let out = dir + "/spikes.h5"
        let o = NWBImportOptions(windows: [ResponseWindow(start: 0.05, end: 0.25)], unitFilters: [UnitFilter(parsing: "quality=good")!],
                                 presentations: "natural_scenes_presentations")
        let r = try NWBImport.run(file: spikes, options: o)
        try r.write(to: out, overwrite: false, command: "receptive import nwb test")
        let d = try Dataset.load(out)
        XCTAssertEqual(d.stimulusCount, 9); XCTAssertEqual(d.unitCount, 3); XCTAssertEqual(d.trialCount, r.trialCount)
        XCTAssertEqual(d.modality, .spikes)
        XCTAssertEqual(d.unitNames, ["101", "105", "110"])
        XCTAssertEqual(d.responses.map(Double.init), r.responses.values)
        let s = DatasetSummary(d)
        XCTAssertEqual(s.provenance?["generator"], "receptive import nwb")
        XCTAssertEqual(s.provenance?["source_file"], spikes)
        XCTAssertTrue(s.provenance?["import_options"]?.contains("\"column\":\"quality\"") ?? false, s.provenance?["import_options"] ?? "")
        XCTAssertTrue(s.table().contains("import_options"))
        let f = try HDF5File.open(out)
        let src = try XCTUnwrap(try f.stringAttribute("nwb_source"))
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(src.utf8)) as? [String: [String: String]])
        let ids = try XCTUnwrap(obj["object_ids"])
        let nwb = try HDF5File.open(spikes)
        XCTAssertEqual(ids["units"], try nwb.stringAttribute("object_id", at: "/units"))
        XCTAssertEqual(obj["session"]?["identifier"], "receptive-nwb-spikes")
        XCTAssertThrowsError(try r.write(to: out, overwrite: false, command: "again"))
    }

    // MARK: what is refused

    func assertImportFails(_ file: String, _ options: NWBImportOptions, contains parts: [String], line: UInt = #line) {
        XCTAssertThrowsError(try NWBImport.run(file: file, options: options), line: line) { error in
            let m = "\(error)"
            print("refused: \(m)")
            XCTAssertFalse(m.contains("\n"), "one line", line: line)
            for p in parts { XCTAssertTrue(m.contains(p), "'\(m)' lacks '\(p)'", line: line) }
        }
    }

    func testAmbiguousAndMissingChoicesListTheCandidates() {
        let w = [ResponseWindow(start: 0.05, end: 0.25)]
        assertImportFails(spikes, NWBImportOptions(windows: w), contains: [
            "several presentation tables", "/intervals/natural_scenes_presentations", "/stimulus/presentation/natural_scenes_index", "name one as the presentation table"])
        assertImportFails(calcium, NWBImportOptions(windows: w), contains: [
            "several time series", "/processing/ophys/DfOverF/RoiResponseSeries", "/processing/ophys/Fluorescence/RoiResponseSeries", "name one as the time series"])
        assertImportFails(spikes, NWBImportOptions(windows: w, unitFilters: [UnitFilter(parsing: "depth>3")!], presentations: "natural_scenes_presentations"),
                          contains: ["/units: no column 'depth'", "quality", "spike_times"])
        assertImportFails(spikes, NWBImportOptions(windows: w, unitFilters: [UnitFilter(parsing: "quality>3")!], presentations: "natural_scenes_presentations"),
                          contains: ["/units/quality", "text"])
        assertImportFails(spikes, NWBImportOptions(windows: w, unitFilters: [UnitFilter(parsing: "quality=excellent")!], presentations: "natural_scenes_presentations"),
                          contains: ["none of the 5 units passes quality=excellent"])
        assertImportFails(spikes, NWBImportOptions(windows: w, presentations: "gratings_presentations"),
                          contains: ["/intervals/gratings_presentations: no column 'frame or image_index", "orientation"])
        assertImportFails(spikes, NWBImportOptions(windows: w, presentations: "natural_scenes_presentations", templates: "/stimulus/templates/nope"),
                          contains: ["/stimulus/templates/nope: no templates", "/stimulus/templates/natural_scenes"])
        assertImportFails(calcium, NWBImportOptions(windows: [ResponseWindow(start: 0.1, end: 0.15)], series: "/processing/ophys/Fluorescence/RoiResponseSeries"),
                          contains: ["no samples in the window 0.1:0.15"])
        assertImportFails(TestPaths.fixture("nwb_expected.h5"), NWBImportOptions(windows: w), contains: ["not an NWB file"])
    }

    func testMalformedFilesAreRefusedNamingThePath() {
        let w = [ResponseWindow(start: 0.05, end: 0.25)]
        assertImportFails(TestPaths.fixture("nwb_bad_units_index.nwb"), NWBImportOptions(windows: w), contains: [
            "nwb_bad_units_index.nwb: /units/spike_times_index: has 3 entries but /units has 5 rows"])
        assertImportFails(TestPaths.fixture("nwb_bad_templates.nwb"), NWBImportOptions(windows: w), contains: [
            "/intervals/natural_scenes_presentations/frame: row", "shows template 12, but /stimulus/templates/natural_scenes has 10 templates"])
        assertImportFails(TestPaths.fixture("nwb_no_time.nwb"), NWBImportOptions(windows: w, series: "/processing/ophys/Fluorescence/RoiResponseSeries"), contains: [
            "/processing/ophys/Fluorescence/RoiResponseSeries: a time series with no time"])
        assertImportFails(TestPaths.fixture("nwb_external.nwb"), NWBImportOptions(windows: w, series: "/processing/ophys/DfOverF/RoiResponseSeries"), contains: [
            "/stimulus/templates/movie_frames: the images are external files (frames.tif)"])
        assertImportFails(TestPaths.fixture("nwb_lzf.nwb"), NWBImportOptions(windows: w), contains: [
            "/units/spike_times: compressed with", "lzf", "which this libhdf5 lacks"])
    }

    func testAnIndexPastTheEndOfTheSpikeTimesIsRefused() throws {
        // spike_times cut to 300 values while spike_times_index still ends at the full count.
        let dir = TestPaths.temporaryDirectory("nwb")
        let cut = dir + "/cut.nwb"
        try FileManager.default.copyItem(atPath: spikes, toPath: cut)
        let f = try HDF5File.open(cut, writable: true)
        let all = try f.readDoubles("/units/spike_times").values
        try f.write("/units/spike_times", doubles: Array(all.prefix(300)), shape: [300])
        f.close()
        assertImportFails(cut, NWBImportOptions(windows: [ResponseWindow(start: 0.05, end: 0.25)], presentations: "natural_scenes_presentations"),
                          contains: ["/units/spike_times_index: entry", "but /units/spike_times has only 300 values (the data is truncated)"])
    }

    func testAFloatFrameColumnWorksAndAFractionalIndexIsRefused() throws {
        // The Allen SDK stores `frame` as float64 (−1.0 for the blank): same result as the int column.
        let dir = TestPaths.temporaryDirectory("nwb")
        let copy = dir + "/float-frames.nwb"
        try FileManager.default.copyItem(atPath: spikes, toPath: copy)
        let column = "/intervals/natural_scenes_presentations/frame"
        var frames = try HDF5File.open(spikes).readDoubles(column).values
        do {
            let f = try HDF5File.open(copy, writable: true)
            try f.write(column, doubles: frames, shape: [frames.count])
        }
        let o = NWBImportOptions(windows: [ResponseWindow(start: 0.05, end: 0.25)], unitFilters: [UnitFilter(parsing: "quality=good")!],
                                 presentations: "natural_scenes_presentations", indexColumn: "frame")
        let r = try NWBImport.run(file: copy, options: o)
        let e = try HDF5File.open(TestPaths.fixture("nwb_expected.h5"))
        XCTAssertTrue(compareArrays("counts, float frame column", r.responses.values, try e.readDoubles("/spikes_good/responses").values, atol: 0).ok)
        frames[5] = 2.5
        do {
            let f = try HDF5File.open(copy, writable: true)
            try f.write(column, doubles: frames, shape: [frames.count])
        }
        assertImportFails(copy, o, contains: ["\(column): row 5 is 2.5; a template index must be a whole number"])
        var nameless = o; nameless.indexColumn = "image"
        assertImportFails(spikes, nameless, contains: ["/intervals/natural_scenes_presentations: no column 'image' (columns: frame, start_time, stop_time)"])
    }

    func testWindowAndFilterParsing() {
        XCTAssertEqual(ResponseWindow(parsing: "0.05:0.25"), ResponseWindow(start: 0.05, end: 0.25))
        XCTAssertEqual(ResponseWindow(parsing: "-0.1:0")?.description, "-0.1:0")
        XCTAssertNil(ResponseWindow(parsing: "0.3:0.2"))
        XCTAssertNil(ResponseWindow(parsing: "0.3"))
        XCTAssertNil(ResponseWindow(parsing: "a:b"))
        XCTAssertEqual(UnitFilter(parsing: "snr >= 1.5"), UnitFilter(column: "snr", comparison: .greaterOrEqual, value: "1.5"))
        XCTAssertEqual(UnitFilter(parsing: "quality==good"), UnitFilter(column: "quality", comparison: .equal, value: "good"))
        XCTAssertEqual(UnitFilter(parsing: "quality!=noise")?.comparison, .notEqual)
        XCTAssertNil(UnitFilter(parsing: "quality"))
        XCTAssertNil(UnitFilter(parsing: "=good"))
    }
}
