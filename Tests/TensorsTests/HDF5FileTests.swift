import XCTest
import Foundation
import Tensors
import TestSupport

final class HDF5FileTests: XCTestCase {
    func testRoundTripEveryDtypeAndHyperslab() throws {
        let dir = TestPaths.temporaryDirectory("h5")
        let path = dir + "/rt.h5"
        let f = try HDF5File.create(path)
        let floats = (0..<24).map { Float($0) * 0.5 - 3 }
        try f.write("/a/floats", floats: floats, shape: [2, 3, 4])
        try f.write("/doubles", doubles: floats.map { Double($0) / 3 }, shape: [4, 6])
        try f.write("/ints64", int64s: Array(-5..<7), shape: [12])
        try f.write("/ints32", int32s: Array(0..<6).map(Int32.init), shape: [2, 3])
        try f.write("/u8", uint8s: Array(0..<20).map(UInt8.init), shape: [5, 4], compress: true)
        try f.write("/names", strings: ["unit α", "b", ""])
        try f.setAttribute("modality", string: "spikes")
        try f.setAttribute("gain", double: 2.5, at: "/a/floats")
        f.close()

        let g = try HDF5File.open(path)
        XCTAssertEqual(try g.info("/a/floats"), HDF5DatasetInfo(shape: [2, 3, 4], type: .float32))
        XCTAssertEqual(try g.readFloats("/a/floats").values, floats)
        XCTAssertEqual(try g.readFloats("/a/floats", rows: 1..<2).values, Array(floats[12..<24]))
        XCTAssertEqual(try g.readDoubles("/doubles").values, floats.map { Double($0) / 3 })
        XCTAssertEqual(try g.readInts("/ints64").values, Array(-5..<7))
        XCTAssertEqual(try g.info("/ints32").type, .int32)
        XCTAssertEqual(try g.readFloats("/ints32").values, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(try g.readUInt8("/u8", rows: 2..<4).values, Array(8..<16).map(UInt8.init))
        XCTAssertEqual(try g.readStrings("/names"), ["unit α", "b", ""])
        XCTAssertEqual(try g.stringAttribute("modality"), "spikes")
        XCTAssertEqual(try g.doubleAttribute("gain", at: "/a/floats"), 2.5)
        XCTAssertNil(try g.stringAttribute("absent"))
        XCTAssertEqual(Set(g.children(of: "/")), Set(["a", "doubles", "ints64", "ints32", "u8", "names"]))
        XCTAssertTrue(g.isGroup("/a"))
        XCTAssertFalse(g.exists("/a/nothing/deeper"))
    }

    func testTypedErrorsNameFileAndPath() throws {
        let dir = TestPaths.temporaryDirectory("h5err")
        XCTAssertThrowsError(try HDF5File.open(dir + "/missing.h5")) { e in
            XCTAssertEqual(e as? HDF5Error, .fileNotFound(file: dir + "/missing.h5"))
            XCTAssertTrue("\(e)".contains("no such file"))
        }
        let text = dir + "/text.h5"
        try "hello".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try HDF5File.open(text)) { e in XCTAssertEqual(e as? HDF5Error, .notHDF5(file: text)) }

        let good = dir + "/good.h5"
        let f = try HDF5File.create(good)
        try f.write("/x", floats: Array(repeating: 1, count: 100_000), shape: [1000, 100])
        try f.write("/s", strings: ["a"])
        f.close()
        let g = try HDF5File.open(good)
        XCTAssertThrowsError(try g.readFloats("/nope")) { e in XCTAssertTrue("\(e)".contains("'/nope'") && "\(e)".contains(good)) }
        XCTAssertThrowsError(try g.readFloats("/s")) { e in XCTAssertTrue("\(e)".contains("unsupported type string")) }
        XCTAssertThrowsError(try g.readFloats("/x", rows: 990..<1001)) { e in XCTAssertTrue("\(e)".contains("1000 rows")) }
        g.close()

        // Truncated: keep the superblock, cut the data.
        let data = try Data(contentsOf: URL(fileURLWithPath: good))
        let cut = dir + "/cut.h5"
        try data.prefix(3000).write(to: URL(fileURLWithPath: cut))
        do {
            let h = try HDF5File.open(cut)
            XCTAssertThrowsError(try h.readFloats("/x"))
        } catch {
            XCTAssertTrue("\(error)".contains(cut), "\(error)")
        }
    }

    func testAtomicWriteLeavesNothingOnFailure() throws {
        let dir = TestPaths.temporaryDirectory("h5atomic")
        let path = dir + "/out.h5"
        struct Boom: Error {}
        XCTAssertThrowsError(try HDF5File.writeAtomically(to: path, overwrite: false) { f in
            try f.write("/x", floats: [1, 2], shape: [2])
            throw Boom()
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
        try HDF5File.writeAtomically(to: path, overwrite: false) { f in try f.write("/x", floats: [1, 2], shape: [2]) }
        XCTAssertThrowsError(try HDF5File.writeAtomically(to: path, overwrite: false) { _ in }) { e in
            XCTAssertEqual((e as? AtomicOutputError)?.kind, .exists, "\(e)")
        }
        try HDF5File.writeAtomically(to: path, overwrite: true) { f in try f.write("/x", floats: [3], shape: [1]) }
        XCTAssertEqual(try HDF5File.open(path).readFloats("/x").values, [3])
        XCTAssertThrowsError(try HDF5File.writeAtomically(to: dir + "/no/such/dir/x.h5", overwrite: false) { _ in })
    }
}

/// The folder half of the output policy (AtomicOutput.prepareFolder / writeFolder).
final class AtomicOutputFolderTests: XCTestCase {
    func testFolderWrittenAsAWholeOrNotAtAll() throws {
        let root = TestPaths.temporaryDirectory("atomic-folder")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/out"
        struct Boom: Error {}
        // A failing body leaves nothing (no folder, no staging folder).
        XCTAssertThrowsError(try AtomicOutput.writeFolder(to: dir, overwrite: false) { staging in
            try Data("half".utf8).write(to: URL(fileURLWithPath: staging + "/a.txt")); throw Boom()
        }) { XCTAssertTrue($0 is Boom, "\($0)") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), [])
        try AtomicOutput.writeFolder(to: dir, overwrite: false) { try Data("one".utf8).write(to: URL(fileURLWithPath: $0 + "/a.txt")) }
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/a.txt"), Data("one".utf8))
        // Existing: refused without overwrite, the old folder intact; replaced with it.
        XCTAssertThrowsError(try AtomicOutput.writeFolder(to: dir, overwrite: false) { _ in }) { e in
            XCTAssertEqual((e as? AtomicOutputError)?.kind, .exists, "\(e)")
        }
        XCTAssertThrowsError(try AtomicOutput.writeFolder(to: dir, overwrite: true) { _ in throw Boom() })
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/a.txt"), Data("one".utf8), "a failed replacement keeps the old folder")
        try AtomicOutput.writeFolder(to: dir, overwrite: true) { try Data("two".utf8).write(to: URL(fileURLWithPath: $0 + "/b.txt")) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["b.txt"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), ["out"], "no staging folder left")
        // A folder of files: an existing file in it needs overwrite; a file where the folder should be is refused.
        XCTAssertThrowsError(try AtomicOutput.prepareFolder(dir, files: ["b.txt"], overwrite: false)) { e in
            XCTAssertEqual(e as? AtomicOutputError, AtomicOutputError(file: dir + "/b.txt", kind: .exists, reason: "it already exists"))
        }
        XCTAssertNoThrow(try AtomicOutput.prepareFolder(dir, files: ["b.txt"], overwrite: true))
        XCTAssertNoThrow(try AtomicOutput.prepareFolder(dir, files: ["c.txt"], overwrite: false))
        XCTAssertThrowsError(try AtomicOutput.prepareFolder(dir + "/b.txt", files: [], overwrite: true)) { e in
            XCTAssertEqual((e as? AtomicOutputError)?.kind, .notAFolder, "\(e)")
        }
        XCTAssertThrowsError(try AtomicOutput.prepareFolder(root + "/no/such", files: [], overwrite: true)) { e in
            XCTAssertEqual((e as? AtomicOutputError)?.kind, .folderMissing, "\(e)")
        }
    }
}
