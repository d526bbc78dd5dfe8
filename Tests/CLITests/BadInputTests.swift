// The bad-input suite: every problem the dataset contract names gets its own generated file. Each
// is checked twice: in process (`Dataset.load` throws a `DatasetError` whose one-line message
// names the file, the path inside it and the problem; the command line's message for it names the
// option to use, where there is one) and through the built binary (`receptive inspect` exits
// non-zero, prints exactly the command line's message on stderr, nothing on stdout, no trap).
import ConvEngine
import Foundation
import NeuralData
import ReceptiveCLI
import Tensors
import TestSupport
import XCTest

struct BadInput {
    let name: String
    /// Writes the file (or not) into the folder; returns its path.
    let make: (String) throws -> String
    /// Extra command-line arguments and the equivalent load options.
    var arguments: [String] = []
    var options = DatasetLoadOptions()
    /// Substrings the message must contain (besides the file path).
    let expect: [String]
}

enum BadInputCatalogue {
    static func contract(_ name: String, _ edit: @escaping (inout ContractFile) -> Void) -> (String) throws -> String {
        return { dir in
            var c = ContractFile()
            edit(&c)
            let path = dir + "/" + name + ".h5"
            try c.write(to: path)
            return path
        }
    }

    static let n = ContractFile.n, t = ContractFile.t, u = ContractFile.u, side = ContractFile.side

    static var all: [BadInput] {
        var cases: [BadInput] = [
            BadInput(name: "missing-file", make: { $0 + "/does-not-exist.h5" }, expect: ["no such file"]),
            BadInput(name: "not-hdf5", make: { dir in
                let p = dir + "/notes.h5"
                try "stimulus,response\n1,2\n".write(toFile: p, atomically: true, encoding: .utf8)
                return p
            }, expect: ["not an HDF5 file"]),
            BadInput(name: "truncated", make: { dir in
                let p = dir + "/truncated.h5"
                try ContractFile().write(to: p)
                let data = try Data(contentsOf: URL(fileURLWithPath: p))
                try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: p))
                return p
            }, expect: ["truncated file"]),
            BadInput(name: "empty-file", make: { dir in
                let p = dir + "/empty.h5"
                _ = FileManager.default.createFile(atPath: p, contents: Data())
                return p
            }, expect: ["not an HDF5 file"]),
            BadInput(name: "missing-stimuli", make: contract("missing-stimuli") { $0.stimuli = nil }, expect: ["/stimuli: no such dataset", "--stimuli"]),
            BadInput(name: "missing-responses", make: contract("missing-responses") { $0.responses = nil }, expect: ["/responses: no such dataset", "--responses"]),
            BadInput(name: "missing-overridden-path", make: contract("missing-overridden") { _ in },
                     arguments: ["--responses", "/spikes"], options: DatasetLoadOptions(paths: DatasetPaths(responses: "/spikes")),
                     expect: ["/spikes: no such dataset"]),
            BadInput(name: "stimuli-group", make: contract("stimuli-group") { c in
                c.stimuli = nil; c.extra = [("/stimuli/images", .uint8([UInt8](repeating: 0, count: n * side * side), [n, side, side]))]
            }, expect: ["/stimuli: is a group, not a dataset"]),
            BadInput(name: "stimuli-rank-2", make: contract("stimuli-rank2") { $0.stimuli = .uint8([UInt8](repeating: 0, count: n * side * side), [n, side * side]) },
                     expect: ["/stimuli: has shape [10, 64] (rank 2)", "[N, H, W] or [N, C, H, W]"]),
            BadInput(name: "stimuli-rank-5", make: contract("stimuli-rank5") { $0.stimuli = .float32([Float](repeating: 0, count: n * side * side), [n, 1, 1, side, side]) },
                     expect: ["/stimuli: has shape [10, 1, 1, 8, 8] (rank 5)"]),
            BadInput(name: "responses-rank-1", make: contract("responses-rank1") { $0.responses = .float32([Float](repeating: 1, count: t), [t]) },
                     expect: ["/responses: has shape [20] (rank 1)", "[T, U]"]),
            BadInput(name: "stimuli-strings", make: contract("stimuli-strings") { $0.stimuli = .strings(["cat", "dog"]) },
                     expect: ["/stimuli: unsupported element type string"]),
            BadInput(name: "responses-strings", make: contract("responses-strings") { $0.responses = .strings(["1", "2"]) },
                     expect: ["/responses: unsupported element type string"]),
            BadInput(name: "nt-disagreement", make: contract("nt-disagreement") { $0.stimulusIndex = nil },
                     expect: ["/responses: has 20 trials but /stimuli has 10 stimuli", "/stimulus_index"]),
            BadInput(name: "index-length", make: contract("index-length") { $0.stimulusIndex = .int64(Array(0..<10), [10]) },
                     expect: ["/stimulus_index: has 10 entries but /responses has 20 trials"]),
            BadInput(name: "index-out-of-range", make: contract("index-range") { c in
                var idx = (0..<t).map { $0 % n }; idx[7] = n; c.stimulusIndex = .int64(idx, [t])
            }, expect: ["/stimulus_index: entry 7 is 10, outside the stimulus range 0..<10"]),
            BadInput(name: "index-negative", make: contract("index-negative") { c in
                var idx = (0..<t).map { $0 % n }; idx[3] = -1; c.stimulusIndex = .int64(idx, [t])
            }, expect: ["/stimulus_index: entry 3 is -1"]),
            BadInput(name: "index-float", make: contract("index-float") { $0.stimulusIndex = .float32((0..<t).map { Float($0 % n) }, [t]) },
                     expect: ["/stimulus_index: unsupported element type float32", "integer"]),
            BadInput(name: "stimuli-nan", make: contract("stimuli-nan") { c in
                var v = [Float](repeating: 0.5, count: n * 2 * side * side); v[((3 * 2 + 1) * side + 4) * side + 5] = .nan
                c.stimuli = .float32(v, [n, 2, side, side])
            }, expect: ["/stimuli: non-finite value nan at index [3, 1, 4, 5]"]),
            BadInput(name: "stimuli-inf", make: contract("stimuli-inf") { c in
                var v = [Double](repeating: 0.5, count: n * side * side); v[2 * side * side + 7] = -.infinity
                c.stimuli = .float64(v, [n, side, side])
            }, expect: ["/stimuli: non-finite value -inf at index [2, 0, 7]"]),
            BadInput(name: "stimuli-nan-streamed", make: contract("stimuli-nan-stream") { c in
                var v = [Float](repeating: 0.5, count: n * side * side); v[(n - 1) * side * side] = .nan
                c.stimuli = .float32(v, [n, side, side])
            }, arguments: ["--stimulus-storage", "stream"], options: DatasetLoadOptions(storage: .stream),
                     expect: ["/stimuli: non-finite value nan at index [9, 0, 0]"]),
            BadInput(name: "responses-nan", make: contract("responses-nan") { c in
                var v = [Float](repeating: 1, count: t * u); v[5 * u + 2] = .nan; c.responses = .float32(v, [t, u])
            }, expect: ["/responses: non-finite value nan at index [5, 2]"]),
            BadInput(name: "responses-inf-fmri", make: contract("responses-inf") { c in
                var v = [Double](repeating: -0.3, count: t * u); v[11 * u] = .infinity; c.responses = .float64(v, [t, u]); c.modality = "fmri"
            }, expect: ["/responses: non-finite value inf at index [11, 0]"]),
            BadInput(name: "negative-counts", make: contract("negative-counts") { c in
                var v = [Int32](repeating: 2, count: t * u); v[4 * u + 1] = -1; c.responses = .int32(v, [t, u])
            }, expect: ["/responses: negative response -1.0 at trial 4, unit 1"]),
            BadInput(name: "non-integer-counts", make: contract("non-integer") { c in
                var v = [Float](repeating: 2, count: t * u); v[6 * u + 2] = 2.5; c.responses = .float32(v, [t, u])
            }, expect: ["/responses: non-integer count 2.5 at trial 6, unit 2", "--quasi-likelihood"]),
            BadInput(name: "non-integer-counts-float64", make: contract("non-integer64") { c in
                var v = [Double](repeating: 3, count: t * u); v[0] = 3.0000001; c.responses = .float64(v, [t, u])
            }, expect: ["/responses: non-integer count 3.0000001 at trial 0, unit 0"]),
            BadInput(name: "split-no-train", make: contract("split-no-train") { $0.split = .uint8([1, 1, 1, 1, 1, 2, 2, 2, 2, 2], [n]) },
                     expect: ["/split: no training stimuli (0 of 10 stimuli are marked 0)"]),
            BadInput(name: "split-no-test", make: contract("split-no-test") { $0.split = .uint8([0, 0, 0, 0, 0, 0, 0, 0, 1, 1], [n]) },
                     expect: ["/split: no test stimuli (0 of 10 stimuli are marked 2)"]),
            BadInput(name: "split-test-never-shown", make: contract("split-test-unshown") { c in
                c.stimulusIndex = .int64((0..<t).map { $0 % 8 }, [t])
            }, expect: ["/split: no test stimuli (2 stimuli are marked 2 but no trial shows one)"]),
            BadInput(name: "split-bad-value", make: contract("split-value") { $0.split = .uint8([0, 0, 0, 0, 0, 3, 1, 1, 2, 2], [n]) },
                     expect: ["/split: entry 5 is 3"]),
            BadInput(name: "split-length", make: contract("split-length") { $0.split = .uint8([0, 0, 2], [3]) },
                     expect: ["/split: has 3 entries but /stimuli has 10 stimuli"]),
            BadInput(name: "image-smaller-than-receptive-field", make: contract("small-images") { _ in },
                     arguments: ["--receptive-field", "11"], options: DatasetLoadOptions(minimumImageSize: 11),
                     expect: ["/stimuli: images are 8×8 pixels, smaller than the model's receptive field of 11×11"]),
            // Declared sizes (chunks never written, so the files are tiny): 2³⁰ stimuli of 64×64
            // float32 is 16 TiB; 2³⁶ trials × 3 units of float32 is 768 GiB.
            BadInput(name: "stimuli-beyond-memory", make: contract("huge-stimuli") { c in
                c.stimuli = .declared(.float32, [1 << 30, 1, 64, 64]); c.split = nil
            }, arguments: ["--stimulus-storage", "memory"], options: DatasetLoadOptions(storage: .memory),
                     expect: ["/stimuli: reading it whole needs 16384.0 GiB", "of available memory"]),
            BadInput(name: "responses-beyond-memory", make: contract("huge-responses") { c in
                c.stimuli = .declared(.uint8, [1 << 36, 8, 8]); c.responses = .declared(.float32, [1 << 36, 3])
                c.stimulusIndex = nil; c.split = nil
            }, expect: ["/responses: reading it whole needs 768.0 GiB", "of available memory"]),
            BadInput(name: "modality-invalid", make: contract("modality") { $0.modality = "calcium" },
                     expect: ["/ (attribute 'modality'): is 'calcium'"]),
            BadInput(name: "unit-names-count", make: contract("unit-names") { $0.unitNames = .strings(["a", "b"]) },
                     expect: ["/unit_names: has shape [2] but /responses has 3 units"]),
            BadInput(name: "masks-shape", make: contract("masks-shape") { $0.masks = .uint8([UInt8](repeating: 1, count: n * 4 * 4), [n, 4, 4]) },
                     expect: ["/masks: has shape [10, 4, 4]; expected [10, 8, 8]"]),
            BadInput(name: "responses-no-trials", make: contract("no-trials") { c in
                c.responses = .float32([], [0, u]); c.stimulusIndex = .int64([], [0])
            }, expect: ["/responses: has no trials"]),
        ]
        // Unsupported HDF5 types written by h5py (compound, enum), from a committed fixture.
        let fixture = TestPaths.fixture("neuraldata_bad.h5")
        cases += [
            BadInput(name: "stimuli-compound", make: { _ in fixture }, arguments: ["--stimuli", "/stimuli_compound"],
                     options: DatasetLoadOptions(paths: DatasetPaths(stimuli: "/stimuli_compound")),
                     expect: ["/stimuli_compound: unsupported element type compound"]),
            BadInput(name: "responses-compound", make: { _ in fixture }, arguments: ["--responses", "/responses_compound"],
                     options: DatasetLoadOptions(paths: DatasetPaths(responses: "/responses_compound")),
                     expect: ["/responses_compound: unsupported element type compound"]),
            BadInput(name: "responses-enum", make: { _ in fixture }, arguments: ["--responses", "/responses_enum"],
                     options: DatasetLoadOptions(paths: DatasetPaths(responses: "/responses_enum")),
                     expect: ["/responses_enum: unsupported element type enum"]),
        ]
        return cases
    }
}

final class BadInputTests: XCTestCase {
    func testEveryBadInputIsOneClearError() throws {
        let dir = TestPaths.temporaryDirectory("bad-inputs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        if CLIRunner.binary == nil { print("skipping the binary half of the suite: \(CLIRunner.skipReason)") }
        for c in BadInputCatalogue.all {
            let path = try c.make(dir)
            var message = ""
            var error: Error = CancellationError()
            do {
                _ = try Dataset.load(path, options: c.options)
                XCTFail("\(c.name): loaded without error")
                continue
            } catch let e as DatasetError {
                message = e.description; error = e
            } catch {
                XCTFail("\(c.name): untyped error \(error)")
                continue
            }
            XCTAssertTrue(message.hasPrefix(path + ": "), "\(c.name): message does not start with the file: \(message)")
            XCTAssertFalse(message.contains("\n"), "\(c.name): message is not one line")
            // The library's message names no option; the command line's adds the option to use.
            XCTAssertNil(message.range(of: #"--[a-z]"#, options: .regularExpression), "\(c.name): the library names a flag: \(message)")
            let cliMessage = Refusal.message(for: error)
            XCTAssertTrue(cliMessage.hasPrefix(path + ": "), "\(c.name): CLI message does not start with the file: \(cliMessage)")
            for s in c.expect { XCTAssertTrue(cliMessage.contains(s), "\(c.name): '\(cliMessage)' lacks '\(s)'") }
            print("[\(c.name)] \(cliMessage)")

            guard CLIRunner.binary != nil else { continue }
            // --full reads every value, like Dataset.load; plain inspect summarises a file too large
            // to read at once from its headers and samples (the declared-huge cases), else the same.
            let r = try CLIRunner.run(["inspect", "--full", path] + c.arguments)
            let plain = try CLIRunner.run(["inspect", path] + c.arguments)
            if c.name.hasSuffix("beyond-memory") { XCTAssertEqual(plain.status, 0, "\(c.name): \(plain.stderr)") }
            else { XCTAssertEqual(plain.stderr, r.stderr, "\(c.name): plain inspect differs from --full") }
            XCTAssertNotEqual(r.status, 0, "\(c.name): exit status 0")
            XCTAssertTrue(r.status == 1, "\(c.name): exit status \(r.status) (a trap or signal?)")
            XCTAssertEqual(r.stdout, "", "\(c.name): wrote to stdout")
            // The memory figure is read live by each process (other programs change it between the
            // two reads), so it is masked before comparing; the rest must be the same text.
            func masked(_ m: String) -> String {
                m.replacingOccurrences(of: #"[0-9.]+ GiB of available memory"#, with: "… GiB of available memory", options: .regularExpression)
            }
            XCTAssertEqual(masked(r.stderr.trimmingCharacters(in: .newlines)), masked("Error: " + cliMessage), "\(c.name): stderr differs")
            XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Stack dump"), "\(c.name): trapped")
        }
    }

    /// A misspelt engine override in the environment is refused (it used to run the default
    /// silently), and so is `RECEPTIVE_KERNELS=avx512` on a CPU without AVX-512; accepted values,
    /// in any case, run.
    func testEnvironmentOverridesRefusedWhenUnknown() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        let demo = TestPaths.repositoryRoot + "/data/demo.h5"
        let kernels = KernelInstructionSet.allCases.filter(\.isSupported).map(\.rawValue)
        var refused = [("RECEPTIVE_CONV", "fast", "expected one of direct, fft, auto"),
                       ("RECEPTIVE_KERNELS", "avx1024", "expected one of \(kernels.joined(separator: ", "))")]
        if !KernelInstructionSet.avx512.isSupported {
            refused.append(("RECEPTIVE_KERNELS", "avx512", "this CPU does not support it; expected one of avx2"))
        }
        for (variable, value, problem) in refused {
            let r = try CLIRunner.run(["inspect", demo], environment: [variable: value])
            XCTAssertNotEqual(r.status, 0, "\(variable)=\(value)")
            XCTAssertEqual(r.stdout, "", "\(variable)=\(value): nothing printed but the refusal")
            XCTAssertEqual(r.stderr, "Error: environment variable \(variable)=\(value): \(problem) (or unset)\n")
        }
        for (variable, value) in [("RECEPTIVE_CONV", "FFT"), ("RECEPTIVE_CONV", "direct")] + kernels.map({ ("RECEPTIVE_KERNELS", $0) }) {
            XCTAssertEqual(try CLIRunner.run(["inspect", demo], environment: [variable: value]).status, 0, "\(variable)=\(value)")
        }
    }

    /// Positive controls: the same small file loads when the problem is waived or absent.
    func testControlsLoad() throws {
        let dir = TestPaths.temporaryDirectory("bad-controls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = try BadInputCatalogue.contract("plain") { _ in }(dir)
        let d = try Dataset.load(plain)
        XCTAssertEqual([d.stimulusCount, d.trialCount, d.unitCount], [10, 20, 3])
        // Non-integer counts pass as a quasi-likelihood, and as fMRI.
        let nonInteger = try BadInputCatalogue.contract("non-integer-ok") { c in
            var v = [Float](repeating: 2, count: 60); v[20] = 2.5; c.responses = .float32(v, [20, 3])
        }(dir)
        XCTAssertNoThrow(try Dataset.load(nonInteger, options: DatasetLoadOptions(quasiLikelihood: true)))
        XCTAssertNoThrow(try Dataset.load(nonInteger, options: DatasetLoadOptions(modality: .fmri)))
        // Negative responses are fine for fMRI.
        let negative = try BadInputCatalogue.contract("negative-fmri") { c in
            c.responses = .float32((0..<60).map { Float($0) - 30.5 }, [20, 3]); c.modality = "fmri"
        }(dir)
        XCTAssertEqual(try Dataset.load(negative).modality, .fmri)
        // A declared-huge stimulus array is streamed, not refused, under automatic storage.
        // (Many stimuli: a single stimulus larger than a 32nd of memory is refused, since a
        // minibatch of them could not be held.)
        let huge = try BadInputCatalogue.contract("huge-uint8") { c in
            c.stimuli = .declared(.uint8, [100_000, 1, 256, 256]); c.stimulusIndex = .int64(Array(0..<20), [20])
            c.split = .uint8((0..<100_000).map { $0 % 10 == 0 ? 2 : ($0 % 10 == 1 ? 1 : 0) }, [100_000])
        }(dir)
        let h = try Dataset.load(huge, options: DatasetLoadOptions(availableMemory: 1 << 30))
        XCTAssertTrue(h.isStreaming)
        XCTAssertEqual(h.stimulusShape, [1, 256, 256])
        if let bin = CLIRunner.binary {
            _ = bin
            let r = try CLIRunner.run(["inspect", nonInteger, "--quasi-likelihood"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
    }
}
