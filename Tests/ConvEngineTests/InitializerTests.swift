// Weight initialisers: constants (fans, gains, standard deviations, PyTorch's default bound) against
// torch.nn.init (Tests/Fixtures/torch_optim.h5), sample statistics against their theoretical
// values, orthogonality, and seeding.
//
// Sampling bounds: for n i.i.d. draws with mean 0 and variance σ², the mean square s² = Σx²/n has
// standard deviation σ²·√(κ/n) with κ = E[x⁴]/σ⁴ − 1 (2 for a normal, 0.8 for a uniform). Tests
// require |s²/σ² − 1| ≤ 5·√(κ/n) and |mean| ≤ 5·σ/√n: a correct sampler fails one such check with
// probability below 1e-6 (and the seeds are fixed, so a pass is reproducible).
import XCTest
import Tensors
import TestSupport
import ConvEngine

final class InitializerTests: XCTestCase {
    /// Checks mean ≈ 0 and mean square ≈ variance within 5 standard errors; returns the variance ratio.
    @discardableResult
    func checkMoments(_ t: Tensor, variance: Double, kurtosisExcessPlusTwo kappa: Double, _ label: String) -> Double {
        let n = Double(t.count)
        var sum = 0.0, sumSquares = 0.0
        for x in t.data { sum += Double(x); sumSquares += Double(x) * Double(x) }
        let mean = sum / n, ratio = sumSquares / n / variance
        let ratioBound = 5 * (kappa / n).squareRoot(), meanBound = 5 * (variance / n).squareRoot()
        print("[\(label)] n = \(Int(n)): variance ratio \(ratio) (bound 1 ± \(ratioBound)), mean \(mean) (bound ± \(meanBound))")
        XCTAssertLessThanOrEqual(abs(ratio - 1), ratioBound, "\(label): variance ratio \(ratio)")
        XCTAssertLessThanOrEqual(abs(mean), meanBound, "\(label): mean \(mean)")
        return ratio
    }

    func testConstantsMatchTorch() throws {
        let f = try HDF5File.open(TestPaths.fixture("torch_optim.h5"))
        let shapes = try f.readInts("/init/shapes").values, ranks = try f.readInts("/init/ranks").values
        let fanIn = try f.readInts("/init/fan_in").values, fanOut = try f.readInts("/init/fan_out").values
        let kIn = try f.readDoubles("/init/kaiming_std_relu_fan_in").values
        let kOut = try f.readDoubles("/init/kaiming_std_relu_fan_out").values
        let xavier = try f.readDoubles("/init/xavier_std").values
        let bound = try f.readDoubles("/init/default_bound").values
        var ours: (kIn: [Double], kOut: [Double], xavier: [Double], bound: [Double]) = ([], [], [], [])
        for (i, rank) in ranks.enumerated() {
            let shape = Array(shapes[(i * 4)..<(i * 4 + rank)])
            let fans = Initializer.fans(shape)
            XCTAssertEqual(fans.fanIn, fanIn[i], "fan_in of \(shape)")
            XCTAssertEqual(fans.fanOut, fanOut[i], "fan_out of \(shape)")
            ours.kIn.append(Initializer.kaimingStandardDeviation(shape: shape, mode: .fanIn, nonlinearity: .relu))
            ours.kOut.append(Initializer.kaimingStandardDeviation(shape: shape, mode: .fanOut, nonlinearity: .relu))
            ours.xavier.append(Initializer.xavierStandardDeviation(shape: shape))
            ours.bound.append(3.0.squareRoot() * Initializer.kaimingStandardDeviation(
                shape: shape, mode: .fanIn, nonlinearity: .leakyReLU(negativeSlope: 5.0.squareRoot())))
        }
        XCTAssertTrue(compareArrays("kaiming std (fan_in, relu)", ours.kIn, kIn, atol: 0, rtol: 1e-12).ok)
        XCTAssertTrue(compareArrays("kaiming std (fan_out, relu)", ours.kOut, kOut, atol: 0, rtol: 1e-12).ok)
        XCTAssertTrue(compareArrays("xavier std", ours.xavier, xavier, atol: 0, rtol: 1e-12).ok)
        XCTAssertTrue(compareArrays("pytorch default bound", ours.bound, bound, atol: 0, rtol: 1e-12).ok)
        // Conv fan_in = Cin·K·K: [64, 32, 3, 3] → 288.
        XCTAssertEqual(Initializer.fans([64, 32, 3, 3]).fanIn, 288)

        let gains: [Initializer.Nonlinearity] = [.linear, .sigmoid, .tanh, .relu, .leakyReLU(negativeSlope: 0.2), .selu]
        XCTAssertTrue(compareArrays("gains", gains.map(\.gain), try f.readDoubles("/init/gains").values, atol: 0, rtol: 1e-12).ok)
    }

    func testKaimingNormalVarianceIsTwoOverFanIn() {
        var rng = SeededRandom(seed: 11)
        let shape = [64, 32, 3, 3]   // fan_in 288, 18,432 values
        let w = Initializer.kaimingNormal(shape: shape, rng: &rng)
        XCTAssertEqual(w.shape, shape)
        checkMoments(w, variance: 2.0 / 288, kurtosisExcessPlusTwo: 2, "kaimingNormal relu fan_in")
        let wOut = Initializer.kaimingNormal(shape: [16, 64, 5, 5], mode: .fanOut, nonlinearity: .relu, rng: &rng)
        checkMoments(wOut, variance: 2.0 / 400, kurtosisExcessPlusTwo: 2, "kaimingNormal relu fan_out")
        let wTanh = Initializer.kaimingNormal(shape: [200, 100], nonlinearity: .tanh, rng: &rng)
        checkMoments(wTanh, variance: 25.0 / 9 / 100, kurtosisExcessPlusTwo: 2, "kaimingNormal tanh")
    }

    func testKaimingUniformBoundAndVariance() {
        var rng = SeededRandom(seed: 12)
        let w = Initializer.kaimingUniform(shape: [64, 32, 3, 3], rng: &rng)
        let bound = Float((3 * 2.0 / 288).squareRoot())
        XCTAssertLessThanOrEqual(w.maxAbs(), bound)
        XCTAssertGreaterThan(w.maxAbs(), 0.99 * bound)
        checkMoments(w, variance: 2.0 / 288, kurtosisExcessPlusTwo: 0.8, "kaimingUniform relu fan_in")
    }

    func testXavier() {
        var rng = SeededRandom(seed: 13)
        let shape = [48, 24, 5, 5]   // fan_in 600, fan_out 1200
        checkMoments(Initializer.xavierNormal(shape: shape, rng: &rng), variance: 2.0 / 1800, kurtosisExcessPlusTwo: 2, "xavierNormal")
        let u = Initializer.xavierUniform(shape: shape, gain: 2, rng: &rng)
        XCTAssertLessThanOrEqual(u.maxAbs(), Float(2 * (6.0 / 1800).squareRoot()))
        checkMoments(u, variance: 4 * 2.0 / 1800, kurtosisExcessPlusTwo: 0.8, "xavierUniform gain 2")
    }

    func testPytorchDefault() {
        var rng = SeededRandom(seed: 14)
        for shape in [[64, 32, 3, 3], [300, 200]] {
            let fanIn = Double(Initializer.fans(shape).fanIn)
            let (w, b) = Initializer.pytorchDefault(weightShape: shape, rng: &rng)
            XCTAssertEqual(w.shape, shape)
            XCTAssertEqual(b.shape, [shape[0]])
            let bound = Float(1 / fanIn.squareRoot())
            XCTAssertLessThanOrEqual(w.maxAbs(), bound)
            XCTAssertLessThanOrEqual(b.maxAbs(), bound)
            XCTAssertGreaterThan(w.maxAbs(), 0.99 * bound)
            checkMoments(w, variance: 1 / (3 * fanIn), kurtosisExcessPlusTwo: 0.8, "pytorchDefault weight \(shape)")
        }
    }

    /// Largest |G − gain²·I| of the Gram matrix of the rows (rows ≤ cols) or columns.
    func orthonormalityError(_ w: Tensor, gain: Double) -> Double {
        let rows = w.shape[0], cols = w.count / rows
        let m = Tensor(shape: [rows, cols], data: w.data)
        let wide = rows <= cols
        let gram = Tensor.matmul(m, m, transposeA: !wide, transposeB: wide)
        let k = wide ? rows : cols
        XCTAssertEqual(gram.shape, [k, k])
        var worst = 0.0
        for i in 0..<k { for j in 0..<k {
            worst = max(worst, abs(Double(gram[i, j]) - (i == j ? gain * gain : 0)))
        } }
        return worst
    }

    func testOrthogonalIsOrthonormal() throws {
        var rng = SeededRandom(seed: 15)
        for (shape, gain) in [([16, 8, 3, 3], 1.0), ([300, 10], 1.0), ([32, 32], 1.0), ([40, 40], 2.0), ([10, 300], 0.5), ([1, 5], 1.0)] {
            let w = try Initializer.orthogonal(shape: shape, gain: gain, rng: &rng)
            XCTAssertEqual(w.shape, shape)
            let err = orthonormalityError(w, gain: gain)
            print("[orthogonal \(shape) gain \(gain)] max |WWᵀ − gain²I| = \(err)")
            XCTAssertLessThan(err, 1e-5 * max(1, gain * gain), "orthogonal \(shape)")
        }
        // A square orthogonal matrix is orthonormal both ways.
        let q = try Initializer.orthogonal(shape: [24, 24], rng: &rng)
        XCTAssertLessThan(orthonormalityError(q, gain: 1), 1e-5)
        XCTAssertLessThan(orthonormalityError(q.transposed(), gain: 1), 1e-5)
    }

    func testSeeding() throws {
        typealias Draw = (inout SeededRandom) throws -> Tensor
        let draws: [(String, Draw)] = [
            ("kaimingNormal", { Initializer.kaimingNormal(shape: [8, 4, 3, 3], rng: &$0) }),
            ("kaimingUniform", { Initializer.kaimingUniform(shape: [8, 4, 3, 3], rng: &$0) }),
            ("xavierNormal", { Initializer.xavierNormal(shape: [8, 36], rng: &$0) }),
            ("xavierUniform", { Initializer.xavierUniform(shape: [8, 36], rng: &$0) }),
            ("orthogonal", { try Initializer.orthogonal(shape: [8, 4, 3, 3], rng: &$0) }),
            ("pytorchDefault", { let (w, b) = Initializer.pytorchDefault(weightShape: [8, 4, 3, 3], rng: &$0)
                                 return Tensor(shape: [w.count + b.count], data: w.data + b.data) }),
        ]
        for (name, draw) in draws {
            var a = SeededRandom(seed: 2024), b = SeededRandom(seed: 2024), c = SeededRandom(seed: 2025)
            let x = try draw(&a), y = try draw(&b), z = try draw(&c)
            XCTAssertEqual(x, y, "\(name): same seed gave different values")
            XCTAssertNotEqual(x, z, "\(name): different seeds gave the same values")
            // The second draw from one generator differs from the first (the generator advances).
            XCTAssertNotEqual(try draw(&a), x, "\(name): generator did not advance")
        }
    }
}
