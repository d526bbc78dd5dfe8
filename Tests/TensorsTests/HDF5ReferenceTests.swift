import XCTest
import Tensors
import TestSupport

/// Object references, soft links and filter availability, on files written by pynwb/h5py
/// (Tests/Fixtures/nwb_*.nwb, scripts/fixtures/make_nwb_fixtures.py).
final class HDF5ReferenceTests: XCTestCase {
    func testObjectReferencesDatasetAndAttribute() throws {
        let f = try HDF5File.open(TestPaths.fixture("nwb_spikes.nwb"))
        // order_of_images lists scene000…scene009 in index order (the group stores them by name).
        let refs = try f.readObjectReferences("/stimulus/templates/natural_scenes/order_of_images")
        XCTAssertEqual(refs, (0..<10).map { String(format: "/stimulus/templates/natural_scenes/scene%03d", $0) })
        XCTAssertThrowsError(try f.readObjectReferences("/units/id")) { e in
            XCTAssertTrue("\(e)".contains("object references are required"), "\(e)")
        }
        XCTAssertEqual(try f.referenceAttribute("target", at: "/units/spike_times_index"), "/units/spike_times")
        XCTAssertNil(try f.referenceAttribute("absent", at: "/units/spike_times_index"))
        let c = try HDF5File.open(TestPaths.fixture("nwb_calcium.nwb"))
        XCTAssertEqual(try c.referenceAttribute("table", at: "/processing/ophys/DfOverF/RoiResponseSeries/rois"),
                       "/processing/ophys/ImageSegmentation/rois")
    }

    func testSoftLinksAndFilters() throws {
        let f = try HDF5File.open(TestPaths.fixture("nwb_spikes.nwb"))
        XCTAssertEqual(f.softLinkTarget("/stimulus/presentation/natural_scenes_index/indexed_images"), "/stimulus/templates/natural_scenes")
        XCTAssertNil(f.softLinkTarget("/units/id"), "a hard link")
        XCTAssertNil(f.softLinkTarget("/nope"))
        XCTAssertEqual(try f.unavailableFilters("/units/spike_times"), [])
        let lzf = try HDF5File.open(TestPaths.fixture("nwb_lzf.nwb"))
        XCTAssertEqual(try lzf.unavailableFilters("/units/spike_times"), ["lzf (filter 32000)"])
        XCTAssertEqual(HDF5File.filterName(32001), "blosc")
    }
}
