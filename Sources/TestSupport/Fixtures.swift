// Shared test helpers: fixture location, shared-data location, tolerance assertions.
// Fixtures are small HDF5 files under Tests/Fixtures/, written by scripts/fixtures/*.py.
import Foundation
import Tensors

public enum TestPaths {
    /// Repository root, found from this source file's location (Sources/TestSupport/Fixtures.swift).
    public static let repositoryRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// Path of a committed fixture, Tests/Fixtures/<name>.
    public static func fixture(_ name: String) -> String { repositoryRoot + "/Tests/Fixtures/" + name }

    /// ../shared/data/<name> when present, else nil (tests then skip with a printed reason).
    public static func sharedData(_ name: String) -> String? {
        let p = URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent().appendingPathComponent("shared/data/\(name)").path
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// A fresh temporary directory for one test.
    public static func temporaryDirectory(_ label: String = "test") -> String {
        let p = NSTemporaryDirectory() + "receptive-\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}

/// Comparison of two arrays with a stated tolerance: |a − b| ≤ atol + rtol·|b| everywhere.
/// Returns the max absolute difference and whether it passed; always prints the max difference
/// so test logs show how close each kernel is to its reference.
@discardableResult
public func compareArrays(_ label: String, _ a: [Float], _ b: [Float], atol: Float, rtol: Float = 0) -> (maxDiff: Float, ok: Bool) {
    precondition(a.count == b.count, "\(label): count \(a.count) vs \(b.count)")
    var maxDiff: Float = 0
    var ok = true
    for i in 0..<a.count {
        let d = abs(a[i] - b[i])
        if !(d <= atol + rtol * abs(b[i])) { ok = false }
        maxDiff = max(maxDiff, d.isNaN ? .infinity : d)
    }
    print("[\(label)] max |diff| = \(maxDiff) (atol \(atol), rtol \(rtol)) over \(a.count) values")
    return (maxDiff, ok)
}

@discardableResult
public func compareArrays(_ label: String, _ a: [Double], _ b: [Double], atol: Double, rtol: Double = 0) -> (maxDiff: Double, ok: Bool) {
    precondition(a.count == b.count, "\(label): count \(a.count) vs \(b.count)")
    var maxDiff = 0.0
    var ok = true
    for i in 0..<a.count {
        let d = abs(a[i] - b[i])
        if !(d <= atol + rtol * abs(b[i])) { ok = false }
        maxDiff = max(maxDiff, d.isNaN ? .infinity : d)
    }
    print("[\(label)] max |diff| = \(maxDiff) (atol \(atol), rtol \(rtol)) over \(a.count) values")
    return (maxDiff, ok)
}
