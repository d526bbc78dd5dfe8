// Checks a file before the HDF5 library opens it: that it exists, carries the HDF5 signature, and
// is as long as its superblock declares. The last check turns an interrupted copy into one clear
// "truncated" message instead of a generic open failure deep inside HDF5.
import Foundation

enum HDF5FileCheck {
    /// Throws `.fileNotFound`, `.notHDF5`, `.truncated` or `.corrupt`; returns when the file looks whole.
    static func check(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw DatasetError.fileNotFound(file: path) }
        if isDirectory.boolValue { throw DatasetError.corrupt(file: path, reason: "it is a directory") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DatasetError.corrupt(file: path, reason: "permission denied") }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        // The superblock sits at offset 0, 512, 1024, 2048, … (after an optional user block).
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        var offset = 0
        while offset + 8 <= size {
            try? handle.seek(toOffset: UInt64(offset))
            let head = [UInt8](handle.readData(ofLength: 96))
            if head.count >= 8 && Array(head[0..<8]) == signature {
                if let declared = declaredEnd(superblock: head, at: offset), declared > size {
                    throw DatasetError.truncated(file: path, bytes: size, declaredBytes: declared)
                }
                return
            }
            offset = offset == 0 ? 512 : offset * 2
        }
        throw DatasetError.notHDF5(file: path)
    }

    /// End-of-file address the superblock declares (base address + stored EOF), or nil when the
    /// superblock is of an unknown version or too short to read.
    static func declaredEnd(superblock b: [UInt8], at offset: Int) -> Int? {
        guard b.count > 13 else { return nil }
        let version = Int(b[8])
        let sizeOfOffsets: Int, baseAt: Int
        switch version {
        case 0: sizeOfOffsets = Int(b[13]); baseAt = 24
        case 1: sizeOfOffsets = Int(b[13]); baseAt = 28
        case 2, 3: sizeOfOffsets = Int(b[9]); baseAt = 12
        default: return nil
        }
        guard [2, 4, 8].contains(sizeOfOffsets), baseAt + 3 * sizeOfOffsets <= b.count else { return nil }
        func address(_ at: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<sizeOfOffsets { v |= UInt64(b[at + k]) << (8 * UInt64(k)) }
            return v
        }
        let undefined: UInt64 = sizeOfOffsets == 8 ? .max : (1 << (8 * UInt64(sizeOfOffsets))) - 1
        let base = address(baseAt)
        // v0/1: base, free-space info, end of file; v2/3: base, superblock extension, end of file.
        let eof = address(baseAt + 2 * sizeOfOffsets)
        guard base != undefined, eof != undefined, eof < UInt64(Int.max / 2), base < UInt64(Int.max / 2) else { return nil }
        // Addresses are relative to the base address, which is absolute (normally the superblock's offset).
        return Int(base) + Int(eof)
    }
}
