// The byte writer of the output policy (AtomicOutput.write(bytes:), JSON, SVG, PNG, HTML) when the disk is full: a clear error,
// the previous file intact, no temporary file. A small tmpfs when running as root; otherwise a
// file-size limit on this process (SIGXFSZ ignored), which makes write(2) fail the same way.
import XCTest
import Foundation
import Tensors
import TestSupport

final class ReliabilityAtomicFileTests: XCTestCase {
    func testFullDiskKeepsPreviousFile() throws {
        var dir = TestPaths.temporaryDirectory("atomic-full")
        var mounted = false
        if getuid() == 0 {
            let mnt = dir + "/tmpfs"
            try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
            if mountTmpfs(mnt) { mounted = true; dir = mnt } else { print("[atomic-full] tmpfs mount failed; using a file size limit") }
        } else {
            print("[atomic-full] not root: cannot mount a tmpfs; using a file size limit (RLIMIT_FSIZE) instead")
        }
        defer { if mounted { _ = shell("umount '\(dir)'") } }
        let path = dir + "/result.json"
        let previous = Array("{\"previous\": true}\n".utf8)
        try AtomicOutput.write(bytes: previous, to: path, overwrite: true)
        let big = [UInt8](repeating: 0x41, count: 8 << 20)   // 8 MiB: more than the 4 MiB tmpfs or the 64 KiB limit

        var message = ""
        if mounted {
            do { try AtomicOutput.write(bytes: big, to: path, overwrite: true) } catch { message = "\(error)" }
        } else {
            let oldHandler = signal(SIGXFSZ, SIG_IGN)
            var old = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &old)
            var small = old
            small.rlim_cur = 64 << 10
            setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &small)
            do { try AtomicOutput.write(bytes: big, to: path, overwrite: true) } catch { message = "\(error)" }
            setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &old)
            signal(SIGXFSZ, oldHandler)
        }
        print("[atomic-full] \(message)")
        XCTAssertTrue(message.contains(path), message)
        XCTAssertTrue(message.contains(mounted ? "No space left on device" : "File too large"), message)
        XCTAssertEqual(FileManager.default.contents(atPath: path).map { [UInt8]($0) }, previous, "the previous file changed")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(names.filter { $0.contains(".tmp-") }, [], "temporary file left")
    }

    private func mountTmpfs(_ dir: String) -> Bool { shell("mount -t tmpfs -o size=4m tmpfs '\(dir)'") == 0 }

    private func shell(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", command]
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
