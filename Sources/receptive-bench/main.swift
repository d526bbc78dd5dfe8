// receptive-bench: speed figures, one JSON object per line, every ratio measured in this run.
//   receptive-bench [all|conv|train|stream|rsa|scanner] [--threads N] [--python PATH] [--stream-gb G]
// Benchmarks are never pass/fail tests; `make bench` runs `all`. Subcommands and options are
// parsed by ArgumentParser (`receptive-bench --help`); the default subcommand is `all`.
import ArgumentParser
import Foundation
import Tensors
import ConvEngine
import NeuralData
import Encoding
import TestSupport
import CAllocationCounter

// Settings of this run, set once from the options before any benchmark starts.
var threads = 2
var python = "python3"
var streamGB = 4.0
let peersDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/peers").path

func emit(_ pairs: [(String, Any)]) {
    var obj: [String: JSONValue] = [:]
    for (k, v) in pairs { obj[k] = benchJSON(v) }
    print(JSONValue.object(obj).text(indent: 0))
    fflush(stdout)
}

/// A benchmark figure as JSON: numbers to six significant digits (tiny differences stay visible),
/// non-finite values as null.
func benchJSON(_ v: Any) -> JSONValue {
    switch v {
    case let d as Double: return d.isFinite ? .double(Double(String(format: "%.6g", d))!) : .null
    case let f as Float: return benchJSON(Double(f))
    case let i as Int: return .int(i)
    case let b as Bool: return .bool(b)
    case let s as String: return .string(s)
    case let a as [Any]: return .array(a.map(benchJSON))
    case let o as [String: Any]: return .object(o.mapValues(benchJSON))
    default: return .string("\(v)")
    }
}

/// Runs a peer script; returns its last stdout line parsed as JSON, or nil (with a note) when the
/// interpreter or its packages are missing.
func runPeer(_ script: String, _ args: [String]) -> [String: Any]? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [python, peersDir + "/" + script] + args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
          let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
    return obj
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
}

/// CPU seconds of the whole process (all threads) so far.
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

// MARK: conv kernels vs the sgemm ceiling

var ceiling = 0.0
/// `cpuTime`: one thread for both OpenBLAS and the kernels, timed by the thread's CPU time — a
/// per-core efficiency that other processes on a shared machine barely disturb. `isas`: the
/// kernels measured (each line names its instruction set); the FMA peak is that of the first.
func benchConv(cpuTime: Bool = false, isas: [KernelInstructionSet] = [KernelInstructionSet.current]) {
    if cpuTime { BLAS.setThreads(1); Parallel.threadCount = 1; ConvolutionBenchmark.clock = .threadCPU }
    let kernelThreads = cpuTime ? 1 : threads
    ceiling = ConvolutionBenchmark.sgemmCeiling()
    let peak = ConvolutionBenchmark.fmaPeak(isas[0], threads: kernelThreads)
    // The ceiling the conv lines are divided by: all the threads the kernels use.
    let peakGFLOPS = cpuTime ? peak.perThread : peak.allThreads
    emit([("sgemm_gflops", ceiling), ("threads", kernelThreads)] + (cpuTime ? [("clock", "thread CPU time")] : []))
    emit([("fma_peak_gflops_per_thread", peak.perThread), ("fma_peak_gflops_all_threads", peak.allThreads),
          ("threads", kernelThreads), ("isa", isas[0].rawValue),
          ("what", "register-only FMA loop, \(FMAPeakLoop.chains) independent chains, at the start of the run; each conv line divides by the \(cpuTime ? "one-thread" : "all-thread") peak measured between its own repeats (*_peak_gflops), and gives this one's fraction too (*_fraction_of_run_peak)")])
    // The probe: the FMA loop on the threads the kernels use, with the kernels' instruction set
    // (the loop's instruction set, not the conv's, sets the peak: AVX-512 where the CPU has it).
    let probe = ConvolutionBenchmark.peakProbe(isas[0], threads: kernelThreads)
    for isa in isas {
        KernelInstructionSet.with(isa) {
            for (label, g, batch) in ConvolutionBenchmark.standardCases {
                let r = ConvolutionBenchmark.measure(label, g, batch: batch, peakProbe: probe)
                var fields: [(String, Any)] = [("conv", label), ("isa", isa.rawValue)]
                for (pass, gflops, beside) in [("forward", r.forwardGFLOPS, r.forwardPeakGFLOPS!),
                                               ("backward_data", r.backwardDataGFLOPS, r.backwardDataPeakGFLOPS!),
                                               ("backward_weights", r.backwardWeightsGFLOPS, r.backwardWeightsPeakGFLOPS!)] {
                    fields += [("\(pass)_gflops", gflops), ("\(pass)_peak_gflops", beside),
                               ("\(pass)_fraction_of_peak", gflops / beside), ("\(pass)_fraction_of_run_peak", gflops / peakGFLOPS),
                               ("\(pass)_fraction_of_sgemm", gflops / ceiling)]
                }
                emit(fields)
            }
        }
    }
    // The FFT path (FFTConvolution) on the layers it serves, beside the direct kernels (current ISA)
    // measured on the same layers in the same run.
    for (label, g, batch) in ConvolutionBenchmark.fftCases {
        let d = ConvolutionBenchmark.measure(label, g, batch: batch)
        let r = ConvolutionBenchmark.measure(label, g, batch: batch, fft: true)
        emit([("conv", label), ("path", "fft"), ("transform_size", FFTConvolution.transformSize(g)),
              ("direct_forward_ms", d.forwardSeconds * 1e3), ("direct_backward_data_ms", d.backwardDataSeconds * 1e3),
              ("direct_backward_weights_ms", d.backwardWeightsSeconds * 1e3),
              ("forward_ms", r.forwardSeconds * 1e3), ("backward_data_ms", r.backwardDataSeconds * 1e3),
              ("backward_weights_ms", r.backwardWeightsSeconds * 1e3),
              ("forward_effective_gflops", r.forwardGFLOPS), ("backward_data_effective_gflops", r.backwardDataGFLOPS),
              ("backward_weights_effective_gflops", r.backwardWeightsGFLOPS),
              ("what", "effective = direct-method flops / time; may exceed the FMA peak (the FFT path does fewer flops)")])
    }
}

// MARK: stacked3 training step vs PyTorch

/// One stacked3 training step (forward, Poisson loss, backward, Adam) and inference at `size`×`size`,
/// batch `batch`, `units` units, next to `torch_step_bench.py` with the same sizes and threads.
/// Peak RSS is the process's so far: the V4-size run goes first so that its figure is its own.
func benchTrain(size s: Int = 64, units u: Int = 1000, batch b: Int = 64) throws {
    let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: s, width: s, units: u, channels: 32)
    let enc = try NeuralEncoder(architecture: arch, seed: 0)
    var rng = SeededRandom(seed: 0)
    let x = rng.normalTensor([b, 1, s, s])
    var y = Tensor(shape: [b, u])
    for i in 0..<y.count { y.data[i] = Float(rng.poisson(1)) }
    let adam = try Adam(learningRate: 1e-3)
    let obs = PoissonObservation()
    var dMean = Tensor(shape: [b, u])
    func step() {
        let mu = enc.forward(x, training: true)
        _ = y.data.withUnsafeBufferPointer { yp in mu.data.withUnsafeBufferPointer { mp in dMean.data.withUnsafeMutableBufferPointer { dp in
            obs.lossAndGradient(y: yp.baseAddress!, mean: mp.baseAddress!, dMean: dp.baseAddress!, count: b, units: u, scale: 1 / Float(b))
        } } }
        enc.zeroGradients()
        enc.backward(dMean, inputGradient: false)   // as the trainer: no gradient of the image
        adam.step(enc.parameters)
    }
    step(); step()
    let steps = 5
    let cpu0 = processCPUSeconds()
    let t = seconds { for _ in 0..<steps { step() } }
    let trainCPU = Double(b * steps) / (processCPUSeconds() - cpu0)
    let train = Double(b * steps) / t
    _ = enc.forward(x, training: false)
    let ti = seconds { for _ in 0..<steps { _ = enc.forward(x, training: false) } }
    let infer = Double(b * steps) / ti
    let rss = Double(peakResidentBytes() ?? 0) / 1_048_576
    // Allocations of three more training steps, every thread of the process (CAllocationCounter):
    // a warm step writes into the storage of the step before (docs/performance.md, "Allocation
    // per step"); what is left is bookkeeping (libdispatch's, shape arrays) and OpenBLAS's job
    // table of each threaded sgemm (512 KB, malloc'd by OpenBLAS on every threaded call).
    var allocationFields: [(String, Any)] = [("allocations", "not counted: the counter is not this process's malloc")]
    if rcp_allocation_counter_active() == 1 {
        rcp_allocation_counting_begin(4096)
        for _ in 0..<3 { step() }
        let c = rcp_allocation_counting_end()
        allocationFields = [("allocations_per_step", Double(c.count) / 3), ("allocated_bytes_per_step", Double(c.bytes) / 3),
                            ("allocations_of_4kib_or_more_per_step", Double(c.large_count) / 3),
                            ("largest_allocation_bytes", Int(c.largest))]
    }
    var fields: [(String, Any)] = [("benchmark", "stacked3 training step (\(s)×\(s), B=\(b), \(u) units, factorized, Poisson, Adam)"),
                                   ("isa", KernelInstructionSet.current.rawValue), ("conv_algorithm", Conv2D.algorithm.rawValue),
                                   ("train_images_per_cpu_second", trainCPU),
                                   ("train_images_per_second", train), ("inference_images_per_second", infer), ("peak_rss_mb", rss)]
                                   + allocationFields
    if let peer = runPeer("torch_step_bench.py", ["--threads", "\(threads)", "--size", "\(s)", "--units", "\(u)", "--batch", "\(b)"]),
       let pt = peer["pytorch_train_images_per_second"] as? Double, let pi = peer["pytorch_inference_images_per_second"] as? Double {
        fields += [("pytorch_train_images_per_second", pt), ("pytorch_inference_images_per_second", pi),
                   ("pytorch_peak_rss_mb", peer["pytorch_peak_rss_mb"] ?? NSNull()),
                   ("train_ratio_vs_pytorch", train / pt), ("inference_ratio_vs_pytorch", infer / pi)]
    } else {
        fields.append(("pytorch", "not measured: '\(python) -c \"import torch\"' failed (set --python or RECEPTIVE_PYTHON)"))
    }
    emit(fields)
}

/// The V4 recipe's size (56×56, 50 units) first, then 64×64 with 1000 units.
func benchTrainSizes() throws {
    try benchTrain(size: 56, units: 50)
    try benchTrain(size: 64, units: 1000)
}

// MARK: Poisson GLM vs statsmodels and nemos

func benchGLM(rows: Int = 20_000, columns: Int = 400, units: Int = 50) throws {
    for line in try GLMBenchmark.run(python: python, threads: threads, rows: rows, columns: columns, units: units) { emit(line) }
}

// MARK: training over a file larger than memory would allow, bounded RSS

func benchStream() throws {
    let dir = NSTemporaryDirectory() + "receptive-stream-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/big.h5"
    _ = try LargeContractFile.generate(at: path, bytes: Int(streamGB * 1e9))
    // A small encoder trained on 32×32 area-resized stimuli, one epoch, streamed from the file.
    let ds = try Dataset.load(path, options: DatasetLoadOptions(storage: .stream))
    let prep = try Preprocessing(inputShape: ds.stimulusShape, options: PreprocessingOptions(grayscale: true, resize: ImageSize(32), normalization: .none))
    let arch = EncoderArchitecture(name: "custom", inputChannels: 1, inputHeight: 32, inputWidth: 32,
                                   blocks: [ConvBlockSpec(channels: 4, kernel: 5, batchNorm: true, activation: .elu)],
                                   readout: .factorized, link: .softplus, observation: .poisson, units: ds.unitCount)
    let enc = try NeuralEncoder(architecture: arch, seed: 0)
    let adam = try Adam(learningRate: 1e-3)
    let obs = PoissonObservation()
    var lossSum = 0.0
    let report = try StreamingBenchmark.runEpoch(path: path, batchSize: 256, preprocessing: prep) { mb in
        let x = mb.stimuli.map { $0 / 255 }
        let mu = enc.forward(x, training: true)
        var d = Tensor(shape: mu.shape)
        lossSum += mb.responses.data.withUnsafeBufferPointer { yp in mu.data.withUnsafeBufferPointer { mp in d.data.withUnsafeMutableBufferPointer { dp in
            obs.lossAndGradient(y: yp.baseAddress!, mean: mp.baseAddress!, dMean: dp.baseAddress!, count: mu.shape[0], units: mu.shape[1], scale: 1 / Float(mu.shape[0]))
        } } }
        enc.zeroGradients()
        enc.backward(d, inputGradient: false)
        adam.step(enc.parameters)
    }
    emit([("benchmark", "one training epoch streamed from a file larger than the memory budget"),
          ("file_gb", Double(report.fileBytes) / 1e9), ("trials", report.trials), ("seconds", report.seconds),
          ("peak_rss_mb", Double(report.peakResidentBytes) / 1_048_576), ("peak_rss_reset", report.peakWasReset),
          ("mean_loss_per_trial", lossSum / Double(max(report.batches, 1)))])
}

// MARK: NNS filter learning images vs one backward pass per filter

func benchScanner(stimuli: Int = 8) throws {
    for r in try ScannerBenchmark.run(stimuli: stimuli) {
        emit([("benchmark", "NNS filter learning images of stacked3 \(r.layer) on 64×64 stimuli (\(r.stimuli) stimuli, \(r.filters) filters, \(r.filtersPerPass) per pass)")]
             + r.fields.map { ($0.0, $0.1 as Any) })
    }
}

// MARK: command line

struct BenchOptions: ParsableArguments {
    @Option(help: "Threads for OpenBLAS and the kernels.") var threads = 2
    @Option(help: "Python interpreter for the peer scripts (PyTorch, rsatoolbox); default $RECEPTIVE_PYTHON or python3.")
    var python: String?
    @Option(name: .customLong("stream-gb"), help: "Size of the file the stream benchmark generates, in GB.") var streamGB = 4.0

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard streamGB > 0 else { throw ValidationError("--stream-gb must be positive, got \(streamGB)") }
    }

    /// Sets the run's globals, the peers' interpreter, the allocator and both thread counts.
    func apply() {
        receptive_bench.threads = threads
        receptive_bench.python = python ?? ProcessInfo.processInfo.environment["RECEPTIVE_PYTHON"] ?? "python3"
        receptive_bench.streamGB = streamGB
        setenv("RECEPTIVE_PYTHON", receptive_bench.python, 1)
        AllocatorTuning.retainLargeAllocations()
        Parallel.setThreads(threads)
    }
}

struct ReceptiveBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receptive-bench",
        abstract: "Speed figures of Receptive, one JSON object per line; every ratio is measured in this run.",
        subcommands: [All.self, Conv.self, Train.self, GLMBench.self, Stream.self, RSA.self, Scanner.self],
        defaultSubcommand: All.self)

    struct All: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "conv, train, glm, rsa, scanner and stream, in that order (make bench).")
        @OptionGroup var options: BenchOptions
        func run() throws {
            options.apply()
            benchConv(isas: KernelInstructionSet.avx512.isSupported ? [.avx512, .avx2] : [.avx2])
            try benchTrainSizes()
            try benchGLM()
            RSABench.run()
            try benchScanner()
            try benchStream()
        }
    }

    struct Conv: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Convolution kernels against the OpenBLAS sgemm ceiling.")
        @OptionGroup var options: BenchOptions
        @Flag(name: .customLong("cpu-time"), help: "One thread, timed by the thread's CPU time (for a shared machine).")
        var cpuTime = false
        @Option(help: "Kernels to measure: avx2, avx512, both, or current (the run-time choice; RECEPTIVE_KERNELS=avx2 forces AVX2).")
        var isa: KernelChoice = .current
        func validate() throws {
            if isa == .avx512 || isa == .both, !KernelInstructionSet.avx512.isSupported {
                throw ValidationError("--isa \(isa.rawValue): this CPU does not report AVX-512 (avx512f, avx512vl, avx512dq)")
            }
        }
        func run() throws {
            options.apply()
            benchConv(cpuTime: cpuTime, isas: isa.instructionSets)
        }
    }

    /// The kernels `conv --isa` measures.
    enum KernelChoice: String, CaseIterable, ExpressibleByArgument {
        case avx2, avx512, both, current
        var instructionSets: [KernelInstructionSet] {
            switch self {
            case .avx2: [.avx2]
            case .avx512: [.avx512]
            case .both: [.avx512, .avx2]
            case .current: [KernelInstructionSet.current]
            }
        }
    }

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "stacked3 training and inference steps (56×56 with 50 units, 64×64 with 1000), next to PyTorch when --python has torch.")
        @OptionGroup var options: BenchOptions
        func run() throws { options.apply(); try benchTrainSizes() }
    }

    struct GLMBench: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "glm",
            abstract: "Poisson GLM (20 000 × 400, one unit and 50 units) beside statsmodels and nemos on the same design.")
        @OptionGroup var options: BenchOptions
        @Option(help: "Rows of the design.") var rows = 20_000
        @Option(help: "Columns of the design (without the intercept).") var columns = 400
        @Option(help: "Units fitted at once.") var units = 50
        func validate() throws {
            guard rows >= 10, columns >= 1, units >= 1, columns < rows else {
                throw ValidationError("--rows, --columns, --units must be positive with columns < rows (got \(rows), \(columns), \(units))")
            }
        }
        func run() throws { options.apply(); try benchGLM(rows: rows, columns: columns, units: units) }
    }

    struct Stream: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One training epoch streamed from a generated file of --stream-gb GB; peak RSS.")
        @OptionGroup var options: BenchOptions
        func run() throws { options.apply(); try benchStream() }
    }

    struct RSA: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "RSA bootstrap on the 92-image data, next to rsatoolbox.")
        @OptionGroup var options: BenchOptions
        func run() throws { options.apply(); RSABench.run() }
    }

    struct Scanner: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "NNS filter learning images against one backward pass per filter.")
        @OptionGroup var options: BenchOptions
        @Option(help: "Stimuli per batch.") var stimuli = 8
        func validate() throws { guard stimuli >= 1 else { throw ValidationError("--stimuli must be at least 1, got \(stimuli)") } }
        func run() throws { options.apply(); try benchScanner(stimuli: stimuli) }
    }
}

ReceptiveBench.main()
