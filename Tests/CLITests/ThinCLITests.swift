// The command line's shape: every refusal is one line on stderr (ArgumentParser's usage lines
// are not printed after a parse or validation error), help is unchanged, and no library target
// names a command-line flag (only ReceptiveCLI does).
import Foundation
import TestSupport
import XCTest

final class ThinCLITests: XCTestCase {
    func requireBinary() throws { guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) } }

    /// An invalid enum value (parse error) and a validate() error each give one line, status 64
    /// (ArgumentParser's code for a usage error), nothing on stdout.
    func testParseAndValidationRefusalsAreOneLine() throws {
        try requireBinary()
        let cases: [([String], String)] = [
            (["fit", "data.h5", "--out", "m.h5", "--model", "banana"], "Error: The value 'banana' is invalid for '--model <model>'"),
            (["fit", "data.h5", "--out", "m.h5", "--threads", "0"], "Error: --threads must be at least 1"),
            (["simulate", "--out", "x.h5", "--units-per-family", "0"], "Error: --units-per-family must be at least 1"),
            (["fit", "data.h5", "--out", "m.h5", "--no-such-option"], "Error: Unknown option '--no-such-option'"),
            (["fit"], "Error: Missing expected argument"),
        ]
        for (args, prefix) in cases {
            let r = try CLIRunner.run(args)
            let label = args.joined(separator: " ")
            XCTAssertEqual(r.status, 64, "\(label): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", label)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(label): stderr is not one line:\n\(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix(prefix), "\(label): '\(r.stderr)' does not start with '\(prefix)'")
            XCTAssertFalse(r.stderr.contains("Usage:"), label)
        }
    }

    /// Comma lists are parsed by ArgumentParser (CommaList): a bad element is refused while the
    /// command line is parsed, in one line naming the option, the value and the element.
    func testCommaListsRefuseBadElementsNamingTheOption() throws {
        try requireBinary()
        let cases: [([String], String)] = [
            (["fit", "d.h5", "--out", "m.h5", "--arch", "custom", "--kernels", "5,x"],
             "Error: The value '5,x' is invalid for '--kernels <list>': 'x' is not an integer"),
            (["fit", "d.h5", "--out", "m.h5", "--ridge-grid", "0,1,,10"],
             "Error: The value '0,1,,10' is invalid for '--ridge-grid <list>': an element is empty"),
            (["simulate", "--out", "s.h5", "--rate", "1,nan"],
             "Error: The value '1,nan' is invalid for '--rate <min,max>': 'nan' is not a finite number"),
            (["invariance", "--data", "d.h5", "--ground-truth", "--shift", "1,2.5"],
             "Error: The value '1,2.5' is invalid for '--shift <dx,dy>': '2.5' is not an integer"),
        ]
        for (args, prefix) in cases {
            let r = try CLIRunner.run(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix(prefix), "'\(r.stderr)' does not start with '\(prefix)'")
        }
    }

    /// --force, --json, --quiet and --threads come from one declaration each (CommonOptions.swift):
    /// every command that has one shows the same help line.
    func testSharedOptionsHaveOneHelpText() throws {
        try requireBinary()
        let expected = ["--force": "Overwrite existing output (the output file, or the", "--json": "Print the results as JSON on stdout instead of a",
                        "--quiet": "No progress lines on stderr.", "--threads <threads>": "Threads for BLAS and the conv kernels."]
        var seen: [String: Int] = [:]
        // rsa's --threads is its own (worker threads, default all cores).
        for command in ["simulate", "inspect", "fit", "score", "predict", "demo", "rsa", "scan", "attribute", "mei", "scramble",
                        "invariance", "gabor", "import", "features", "identify", "report", "compare"] {
            let help = try CLIRunner.run([command, "--help"])
            XCTAssertEqual(help.status, 0, command)
            // One space between words: a help text wrapped onto the next line reads as one line.
            let text = help.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
            for (flag, line) in expected where text.contains(" \(flag) ") && !(command == "rsa" && flag.hasPrefix("--threads")) {
                XCTAssertTrue(text.contains(" \(flag) \(line)"), "\(command) \(flag) has another help text")
                seen[flag, default: 0] += 1
            }
        }
        print("[shared options] commands showing each: \(seen.sorted { $0.key < $1.key })")
        for flag in expected.keys { XCTAssertGreaterThan(seen[flag] ?? 0, 5, flag) }
    }

    /// --quiet silences progress on stderr only; the results (the fit summary) still go to stdout,
    /// alike for ridge and for the GLM (and the CNN, which shares the GLM's path).
    func testQuietFitsPrintTheirSummaryAndNothingElse() throws {
        try requireBinary()
        let dir = TestPaths.temporaryDirectory("quiet-fit")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try CLIRunner.run(["simulate", "--out", dir + "/s.h5", "--stimuli", "60", "--size", "16", "--quiet"]).status, 0)
        for (name, extra, title) in [("ridge", ["--model", "ridge", "--features", "pixels"], "fitted ridge"), ("glm", ["--model", "glm"], "fitted")] {
            let r = try CLIRunner.run(["fit", dir + "/s.h5", "--out", dir + "/\(name).h5", "--quiet"] + extra)
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            XCTAssertEqual(r.stderr, "", "\(name): --quiet printed on stderr")
            XCTAssertTrue(r.stdout.contains(title), "\(name): no summary on stdout: \(r.stdout)")
            let loud = try CLIRunner.run(["fit", dir + "/s.h5", "--out", dir + "/\(name)2.h5"] + extra)
            XCTAssertEqual(loud.stdout.split(separator: "\n").count, r.stdout.split(separator: "\n").count, "\(name): the same summary")
            XCTAssertFalse(loud.stderr.isEmpty, "\(name): no progress without --quiet")
        }
    }

    /// --help and a bare command group still print ArgumentParser's help, status 0.
    func testHelpIsUnchanged() throws {
        try requireBinary()
        let help = try CLIRunner.run(["fit", "--help"])
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertTrue(help.stdout.contains("USAGE: receptive fit"), help.stdout)
        XCTAssertTrue(help.stdout.contains("OPTIONS:"))
        let top = try CLIRunner.run(["--help"])
        XCTAssertEqual(top.status, 0)
        XCTAssertTrue(top.stdout.contains("SUBCOMMANDS:"), top.stdout)
        let version = try CLIRunner.run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertFalse(version.stdout.isEmpty)
    }
}

/// Only ReceptiveCLI (and the benchmark tool) may name command-line options: a string literal in
/// a library target that holds `--name` is a flag the library should not know. Comments are
/// allowed (documentation may say which option sets a value).
final class LibraryNamesNoFlagsTests: XCTestCase {
    static let allowedTargets: Set<String> = ["ReceptiveCLI", "receptive", "receptive-bench", "TestSupport"]

    /// The `--flag` strings inside string literals of `line` (nil-free, comment text ignored).
    static func flagLiterals(in line: String) -> [String] {
        var found: [String] = []
        var inString = false, escaped = false, literal = ""
        var previous: Character = " "
        for c in line {
            if !inString {
                if c == "/" && previous == "/" { break }          // the rest is a comment
                if c == "\"" { inString = true; literal = "" }
            } else if escaped {
                escaped = false; literal.append(c)
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                inString = false
                if let r = literal.range(of: #"--[a-z]"#, options: .regularExpression) {
                    found.append(String(literal[r.lowerBound...].prefix(30)))
                }
            } else {
                literal.append(c)
            }
            previous = c
        }
        return found
    }

    func testTheScannerFindsFlags() {
        XCTAssertEqual(Self.flagLiterals(in: #"throw E(option: "--cells", reason: "x")"#), ["--cells"])
        XCTAssertEqual(Self.flagLiterals(in: #"let s = "reduce \(n) --size or"  // "--not-this""#), ["--size or"])
        XCTAssertEqual(Self.flagLiterals(in: #"// "--comment""#), [])
        XCTAssertEqual(Self.flagLiterals(in: #"let s = "a - b -- c""#), [])
    }

    func testNoLibraryTargetNamesAFlag() throws {
        let sources = TestPaths.repositoryRoot + "/Sources"
        let fm = FileManager.default
        let targets = try fm.contentsOfDirectory(atPath: sources).filter { !Self.allowedTargets.contains($0) }
        var offenders: [String] = []
        var files = 0
        for target in targets.sorted() {
            guard let walker = fm.enumerator(atPath: sources + "/" + target) else { continue }
            for case let name as String in walker where name.hasSuffix(".swift") {
                files += 1
                let text = try String(contentsOfFile: sources + "/" + target + "/" + name, encoding: .utf8)
                for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    for flag in Self.flagLiterals(in: String(line)) { offenders.append("\(target)/\(name):\(i + 1): \(flag)") }
                }
            }
        }
        print("[flags] scanned \(files) Swift files in \(targets.count) library targets; \(offenders.count) flag literals")
        XCTAssertGreaterThan(files, 100, "the scan found the library sources")
        XCTAssertEqual(offenders, [], "flags named outside ReceptiveCLI:\n" + offenders.joined(separator: "\n"))
    }
}
