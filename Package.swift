// swift-tools-version:6.0
import PackageDescription
import Foundation


// Kernels are compiled for the build machine's CPU (AVX-512 on the Zen 4 machines this project
// targets): a binary built here runs only on CPUs like the one it was built on. See README.
let native: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native", "-enforce-exclusivity=unchecked"])]

// Open MPI is optional: with its headers installed (Debian libopenmpi-dev) the Cluster target is
// built on MPI (define RECEPTIVE_MPI); without them it is the single-process implementation only.
let mpiHeader = "/usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h"
let hasMPI = ProcessInfo.processInfo.environment["RECEPTIVE_NO_MPI"] == nil
    && FileManager.default.fileExists(atPath: mpiHeader)
let mpiTargets: [Target] = hasMPI ? [.systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi")] : []
let clusterDependencies: [Target.Dependency] = hasMPI ? ["CMPI"] : []
let clusterSettings: [SwiftSetting] = hasMPI ? native + [.define("RECEPTIVE_MPI")] : native

let package = Package(
    name: "Receptive",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "receptive", targets: ["receptive"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries: imported only by Tensors (DESIGN §1).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5"),
        // cairo: figures as SVG/PNG/PDF. Imported only by Report.
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo"),
        // FFTW3 single precision (fftw3f): the FFT convolution path's transforms. Imported only by Tensors.
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW"),
        // Hand-written C kernels (packing, direct convolution micro-kernels), -O3 for x86-64-v3 (AVX2 +
        // FMA); AVX-512 variants are selected at run time from what the CPU reports (isa.c).
        .target(name: "CKernels", path: "Sources/CKernels",
                cSettings: [.unsafeFlags(["-O3", "-march=x86-64-v3", "-mtune=native", "-ffp-contract=fast"])]),

        // Allocation counter (malloc interposition) for the allocation-per-step test and bench;
        // never linked into `receptive`.
        .target(name: "CAllocationCounter", path: "Sources/CAllocationCounter", cSettings: [.unsafeFlags(["-O2"])]),

        .target(name: "Cluster", dependencies: clusterDependencies, swiftSettings: clusterSettings),
        .target(name: "Tensors", dependencies: ["CBLAS", "CHDF5", "CKernels", "CFFTW"], swiftSettings: native),
        .target(name: "ConvEngine", dependencies: ["Tensors", "CKernels"], swiftSettings: native),
        .target(name: "NeuralData", dependencies: ["Tensors"], swiftSettings: native),
        // Shared numerical methods (Levenberg–Marquardt, Gaussian mixture, PCA, ranks, special functions).
        .target(name: "Numerics", dependencies: ["Tensors"], swiftSettings: native),
        .target(name: "Encoding", dependencies: ["Tensors", "Numerics", "ConvEngine", "NeuralData", "Cluster"], swiftSettings: native),
        .target(name: "Analysis", dependencies: ["Tensors", "Numerics", "ConvEngine", "NeuralData", "Encoding"], swiftSettings: native),
        .target(name: "Scanner", dependencies: ["Tensors", "Numerics", "ConvEngine", "NeuralData", "Encoding"], swiftSettings: native),
        .target(name: "Report", dependencies: ["Tensors", "CCairo"], swiftSettings: native),
        // The per-model report page and the figure recipes shared by commands (HTML + JSON).
        .target(name: "ModelReport", dependencies: ["Tensors", "ConvEngine", "NeuralData", "Encoding", "Analysis", "Scanner", "Report"],
                swiftSettings: native),
        .target(name: "ReceptiveCLI", dependencies: [
            "Tensors", "ConvEngine", "NeuralData", "Encoding", "Analysis", "Scanner", "Report", "ModelReport", "Cluster",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: native),
        .executableTarget(name: "receptive", dependencies: ["ReceptiveCLI", "ConvEngine", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: native),
        // Benchmarks (conv, train, stream, rsa, scanner); TestSupport for the large synthetic file.
        .executableTarget(name: "receptive-bench", dependencies: [
            "Tensors", "ConvEngine", "NeuralData", "Encoding", "Analysis", "Scanner", "TestSupport", "CAllocationCounter",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: native),

        .target(name: "TestSupport", dependencies: ["Tensors"], swiftSettings: native),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"], swiftSettings: native),
        .testTarget(name: "NumericsTests", dependencies: ["Tensors", "Numerics", "TestSupport"], swiftSettings: native),
        .testTarget(name: "ConvEngineTests", dependencies: ["Tensors", "ConvEngine", "TestSupport"], swiftSettings: native),
        .testTarget(name: "NeuralDataTests", dependencies: ["Tensors", "NeuralData", "TestSupport"], swiftSettings: native),
        .testTarget(name: "EncodingTests", dependencies: ["Tensors", "ConvEngine", "NeuralData", "Encoding", "TestSupport", "CAllocationCounter"], swiftSettings: native),
        .testTarget(name: "AnalysisTests", dependencies: ["Tensors", "ConvEngine", "NeuralData", "Encoding", "Analysis", "TestSupport"], swiftSettings: native),
        .testTarget(name: "ScannerTests", dependencies: ["Tensors", "ConvEngine", "NeuralData", "Encoding", "Scanner", "TestSupport"], swiftSettings: native),
        .testTarget(name: "ReportTests", dependencies: ["Tensors", "Report", "TestSupport"], swiftSettings: native),
        .testTarget(name: "CLITests", dependencies: ["Tensors", "NeuralData", "TestSupport", "ReceptiveCLI"], swiftSettings: native),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "TestSupport"], swiftSettings: native),
    ] + mpiTargets,
    swiftLanguageModes: [.v5]
)
