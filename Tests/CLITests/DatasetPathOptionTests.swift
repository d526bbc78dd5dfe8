import XCTest
import Foundation
import NeuralData
import TestSupport

/// A path the user names and the file lacks is an error, never a silent fallback; the old `--split`
/// spelling (mistaken for "which subset") is refused with a message naming the new options.
final class DatasetPathOptionTests: XCTestCase {
    func testNamedPathsMustExistAndDefaultsMayBeAbsent() throws {
        let dir = TestPaths.temporaryDirectory("path-options")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let noSplit = try BadInputCatalogue.contract("no-split") { c in c.split = nil }(dir)

        // The default path absent: the seeded split, flagged as not from the file.
        let d = try Dataset.load(noSplit)
        XCTAssertFalse(d.splitFromFile)

        // The same path named explicitly: an error naming the file, the path and the array.
        for array in [DatasetArray.split, .stimulusIndex, .masks, .unitNames] {
            var paths = DatasetPaths(split: "/fold", masks: "/fold", unitNames: "/fold")
            if array == .stimulusIndex { paths.stimulusIndex = "/fold" }
            paths.named = [array]
            if array != .split { paths.split = "/split" }
            let file = array == .split ? noSplit : try BadInputCatalogue.contract("named-\(array.rawValue.replacingOccurrences(of: " ", with: "-"))") { _ in }(dir)
            XCTAssertThrowsError(try Dataset.load(file, options: DatasetLoadOptions(paths: paths)), "\(array)") { e in
                XCTAssertEqual(e as? DatasetError, .namedPathMissing(file: file, path: "/fold", array: array))
                print("[\(array)] \(e)")
            }
        }

        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        let named = try CLIRunner.run(["inspect", noSplit, "--split-path", "/fold"])
        XCTAssertEqual(named.status, 1)
        XCTAssertEqual(named.stdout, "")
        XCTAssertEqual(named.stderr.trimmingCharacters(in: .newlines),
                       "Error: \(noSplit): /fold: no such dataset (the path of the split array was named explicitly; the file has nothing there)")

        let old = try CLIRunner.run(["inspect", noSplit, "--split", "test"])
        XCTAssertNotEqual(old.status, 0)
        XCTAssertEqual(old.stdout, "")
        XCTAssertTrue(old.stderr.contains("--split-path") && old.stderr.contains("--eval-split"), old.stderr)
        print("old spelling: \(old.stderr)")

        let ok = try CLIRunner.run(["inspect", noSplit, "--split-path", "/split", "--json"])
        XCTAssertEqual(ok.status, 1, "an explicitly named default path is required too")
        let plain = try CLIRunner.run(["inspect", noSplit])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("seeded"), plain.stdout)
    }
}
