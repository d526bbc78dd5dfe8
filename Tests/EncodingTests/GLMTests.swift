// GLM solver: against statsmodels (fixture from scripts/fixtures/statsmodels_glm.py), a ridge
// reference (scipy trust-exact on statsmodels' log-likelihood), recovery of simulated weights,
// ridge-path selection on an over-fitting case, multi-unit consistency, errors, and the peer's
// default problem size.
import Foundation
import XCTest
import Tensors
import TestSupport
import Encoding

final class GLMTests: XCTestCase {
    /// The λ choice shared by one process and MPI ranks, on values worked out by hand: the highest
    /// validation LL wins, a tie goes to the larger λ, a finite LL beats −∞, only allowed indices count.
    func testRidgePathChoiceRule() {
        let lambdas = [0.0, 0.1, 1.0, 10.0]
        XCTAssertEqual(RidgePath.choose(among: [0, 1, 2, 3], lambdas: lambdas, validationLogLikelihoods: [-5, -3, -4, -6]), 1)
        XCTAssertEqual(RidgePath.choose(among: [0, 1, 2, 3], lambdas: lambdas, validationLogLikelihoods: [-5, -3, -3, -6]), 2)
        XCTAssertEqual(RidgePath.choose(among: [0, 1, 3], lambdas: lambdas, validationLogLikelihoods: [-5, -3, -1, -6]), 1)
        XCTAssertEqual(RidgePath.choose(among: [0, 3], lambdas: lambdas, validationLogLikelihoods: [-.infinity, -3, -1, -9]), 3)
        XCTAssertEqual(RidgePath.choose(among: [2], lambdas: lambdas, validationLogLikelihoods: [-1, -1, -.infinity, -1]), 2)
        XCTAssertNil(RidgePath.choose(among: [], lambdas: lambdas, validationLogLikelihoods: [-1, -1, -1, -1]))
    }

    private struct Fixture {
        let X: [Double]; let n: Int; let p: Int
        let file: HDF5File
    }

    private func fixture() throws -> Fixture {
        let f = try HDF5File.open(TestPaths.fixture("statsmodels_glm.h5"))
        let (shape, X) = try f.readDoubles("X")
        return Fixture(X: X, n: shape[0], p: shape[1], file: f)
    }

    private func attribute(_ f: HDF5File, _ name: String, _ group: String) throws -> Double {
        try XCTUnwrap(try f.doubleAttribute(name, at: group), "\(group)@\(name)")
    }

    func testPoissonMatchesStatsmodels() throws {
        let fx = try fixture()
        let y = try fx.file.readDoubles("poisson/y").values
        let coef = try fx.file.readDoubles("poisson/coef").values
        let llf = try attribute(fx.file, "llf", "/poisson")
        let start = Date()
        let fit = try GLM(family: .poisson).fit(X: fx.X, rows: fx.n, columns: fx.p, y: y)
        print("[glm poisson \(fx.n)×\(fx.p)] \(fit.iterations) iterations (statsmodels: \(Int(try attribute(fx.file, "iterations", "/poisson")))), \(Date().timeIntervalSince(start)) s")
        XCTAssertTrue(fit.converged)
        XCTAssertEqual(fit.coefficients.count, fx.p + 1)
        XCTAssertTrue(compareArrays("poisson coefficients vs statsmodels", fit.coefficients, coef, atol: 1e-6).ok)
        print("[glm poisson] llf \(fit.logLikelihood) vs statsmodels \(llf): relative diff \(abs(fit.logLikelihood - llf) / abs(llf))")
        XCTAssertEqual(fit.logLikelihood, llf, accuracy: 1e-6 * abs(llf))
        XCTAssertEqual(fit.deviance, try attribute(fx.file, "deviance", "/poisson"), accuracy: 1e-6 * fit.deviance)
        XCTAssertEqual(fit.nullDeviance, try attribute(fx.file, "null_deviance", "/poisson"), accuracy: 1e-9 * fit.nullDeviance)
        // The fit's log-likelihood is the observation model's on its predictions.
        let mu = fit.predict(X: fx.X, rows: fx.n)
        XCTAssertEqual(PoissonObservation().totalLogLikelihood(y: y, mean: mu, units: 1), fit.logLikelihood, accuracy: 1e-9 * abs(llf))
        XCTAssertEqual(fit.score(X: fx.X, rows: fx.n, y: y), fit.logLikelihood / Double(fx.n), accuracy: 1e-12)
    }

    func testPoissonWithOffsetMatchesStatsmodels() throws {
        let fx = try fixture()
        let y = try fx.file.readDoubles("poisson_offset/y").values
        let offset = try fx.file.readDoubles("poisson_offset/offset").values
        let fit = try GLM(family: .poisson).fit(X: fx.X, rows: fx.n, columns: fx.p, y: y, offset: offset)
        XCTAssertTrue(compareArrays("poisson+offset coefficients vs statsmodels", fit.coefficients,
                                    try fx.file.readDoubles("poisson_offset/coef").values, atol: 1e-6).ok)
        let llf = try attribute(fx.file, "llf", "/poisson_offset")
        XCTAssertEqual(fit.logLikelihood, llf, accuracy: 1e-6 * abs(llf))
        XCTAssertEqual(fit.nullDeviance, try attribute(fx.file, "null_deviance", "/poisson_offset"), accuracy: 1e-9 * fit.nullDeviance)
        XCTAssertEqual(fit.logLikelihood(X: fx.X, rows: fx.n, y: y, offset: offset), fit.logLikelihood, accuracy: 1e-9 * abs(llf))
    }

    func testGaussianMatchesStatsmodels() throws {
        let fx = try fixture()
        let y = try fx.file.readDoubles("gaussian/y").values
        let fit = try GLM(family: .gaussian).fit(X: fx.X, rows: fx.n, columns: fx.p, y: y)
        XCTAssertTrue(compareArrays("gaussian coefficients vs statsmodels", fit.coefficients,
                                    try fx.file.readDoubles("gaussian/coef").values, atol: 1e-9).ok)
        let llf = try attribute(fx.file, "llf", "/gaussian")
        print("[glm gaussian] llf \(fit.logLikelihood) vs statsmodels \(llf)")
        XCTAssertEqual(fit.logLikelihood, llf, accuracy: 1e-10 * abs(llf))
        // statsmodels' scale is SSE/(N − Q); ours the ML variance SSE/N.
        let scale = try attribute(fx.file, "scale", "/gaussian")
        XCTAssertEqual(try XCTUnwrap(fit.variance) * Double(fx.n) / Double(fx.n - fx.p - 1), scale, accuracy: 1e-10 * scale)
        XCTAssertEqual(fit.deviance, try attribute(fx.file, "deviance", "/gaussian"), accuracy: 1e-9 * fit.deviance)
        XCTAssertEqual(fit.nullDeviance, try attribute(fx.file, "null_deviance", "/gaussian"), accuracy: 1e-9 * fit.nullDeviance)
        XCTAssertEqual(fit.iterations, 1)
    }

    func testRidgeMatchesReferenceMinimiser() throws {
        let fx = try fixture()
        let y = try fx.file.readDoubles("poisson/y").values
        let lambda = try attribute(fx.file, "lambda", "/ridge")
        let fit = try GLM(family: .poisson, ridge: lambda).fit(X: fx.X, rows: fx.n, columns: fx.p, y: y)
        XCTAssertTrue(compareArrays("ridge λ=\(lambda) coefficients vs scipy/statsmodels", fit.coefficients,
                                    try fx.file.readDoubles("ridge/coef").values, atol: 1e-6).ok)
        let llf = try attribute(fx.file, "llf", "/ridge")
        XCTAssertEqual(fit.logLikelihood, llf, accuracy: 1e-9 * abs(llf))
        // The penalty shrinks the weights but not the intercept.
        let plain = try GLM(family: .poisson).fit(X: fx.X, rows: fx.n, columns: fx.p, y: y)
        let norm = { (w: [Double]) in w.reduce(0) { $0 + $1 * $1 } }
        XCTAssertLessThan(norm(fit.weights), norm(plain.weights))
    }

    /// Simulated Poisson data with known weights: estimates within 4 standard errors (from the
    /// inverse Fisher information at the fit).
    func testRecoversGeneratingWeights() throws {
        let n = 40_000, p = 8
        var rng = SeededRandom(seed: 21)
        let wTrue = (0..<p).map { _ in rng.normal(mean: 0, std: 0.4) }
        let bTrue = -0.2
        var X = [Double](repeating: 0, count: n * p), y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var eta = bTrue
            for j in 0..<p { X[i * p + j] = rng.normal(); eta += X[i * p + j] * wTrue[j] }
            y[i] = Double(rng.poisson(exp(eta)))
        }
        let fit = try GLM(family: .poisson).fit(X: X, rows: n, columns: p, y: y)
        // Fisher information XᵀWX at the fit.
        let q = p + 1
        let mu = fit.predict(X: X, rows: n)
        var info = [Double](repeating: 0, count: q * q)
        for i in 0..<n {
            var row = [1.0]; row += X[(i * p)..<(i * p + p)]
            for a in 0..<q { for b in 0..<q { info[a * q + b] += mu[i] * row[a] * row[b] } }
        }
        let cov = try LAPACK.choleskyInverse(info, n: q)
        let truth = [bTrue] + wTrue
        var maxZ = 0.0
        for j in 0..<q {
            let z = (fit.coefficients[j] - truth[j]) / cov[j * q + j].squareRoot()
            maxZ = max(maxZ, abs(z))
        }
        print("[glm recovery] max |z| over \(q) coefficients = \(maxZ)")
        XCTAssertLessThan(maxZ, 4)
    }

    /// p close to n: the unpenalised fit over-fits; the path must pick an interior λ > 0 whose
    /// held-out log-likelihood beats λ = 0 on fresh test data.
    func testRidgePathChoosesSensibleLambda() throws {
        let p = 120, nTrain = 240, nVal = 400, nTest = 2000
        var rng = SeededRandom(seed: 33)
        let wTrue = (0..<p).map { _ in rng.normal(mean: 0, std: 0.08) }
        func simulate(_ n: Int) -> ([Double], [Double]) {
            var X = [Double](repeating: 0, count: n * p), y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var eta = 0.5
                for j in 0..<p { X[i * p + j] = rng.normal(); eta += X[i * p + j] * wTrue[j] }
                y[i] = Double(rng.poisson(exp(eta)))
            }
            return (X, y)
        }
        let (Xtr, ytr) = simulate(nTrain), (Xva, yva) = simulate(nVal), (Xte, yte) = simulate(nTest)
        let grid = [0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000.0]
        let path = try GLM(family: .poisson).fitRidgePath(trainX: Xtr, trainRows: nTrain, columns: p, trainY: ytr,
                                                         validationX: Xva, validationRows: nVal, validationY: yva, grid: grid)
        let testLL = path.fits.map { $0!.score(X: Xte, rows: nTest, y: yte) }
        for k in grid.indices {
            print(String(format: "[ridge path] λ = %7.1f  validation LL %.2f  test LL/obs %.4f  iterations %d",
                         grid[k], path.validationLogLikelihoods[k], testLL[k], path.fits[k]!.iterations))
        }
        print("[ridge path] chosen λ = \(path.bestLambda)")
        XCTAssertGreaterThan(path.bestLambda, 0)
        XCTAssertLessThan(path.bestLambda, grid.max()!)
        XCTAssertEqual(path.validationLogLikelihoods[path.bestIndex], path.validationLogLikelihoods.max()!)
        XCTAssertGreaterThan(testLL[path.bestIndex], testLL[0] + 0.05, "the chosen λ must generalise clearly better than λ = 0")
        // Warm-started path fits equal cold fits.
        let cold = try GLM(family: .poisson, ridge: path.bestLambda).fit(X: Xtr, rows: nTrain, columns: p, y: ytr)
        XCTAssertTrue(compareArrays("warm vs cold ridge fit", path.best.coefficients, cold.coefficients, atol: 1e-6).ok)
    }

    func testMultiUnitFitsEqualSingleUnitFits() throws {
        let fx = try fixture()
        let y1 = try fx.file.readDoubles("poisson/y").values, y2 = try fx.file.readDoubles("poisson_offset/y").values
        let yg1 = try fx.file.readDoubles("gaussian/y").values
        var Y = [Double](), YG = [Double]()
        for t in 0..<fx.n { Y += [y1[t], y2[t]]; YG += [yg1[t], yg1[t] * 2 - 1] }
        for family in GLMFamily.allCases {
            for ridge in [0.0, 2.0] {
                let glm = GLM(family: family, ridge: ridge)
                let data = family == .poisson ? Y : YG
                let fits = try glm.fit(X: fx.X, rows: fx.n, columns: fx.p, Y: data, units: 2)
                for u in 0..<2 {
                    let single = try glm.fit(X: fx.X, rows: fx.n, columns: fx.p, y: (0..<fx.n).map { data[$0 * 2 + u] })
                    XCTAssertTrue(compareArrays("\(family) λ=\(ridge) unit \(u) multi vs single", fits[u].coefficients, single.coefficients, atol: 1e-10).ok)
                    XCTAssertEqual(fits[u].logLikelihood, single.logLikelihood, accuracy: 1e-9 * abs(single.logLikelihood))
                }
            }
        }
        // Gaussian unit 1 is an affine map of unit 0: weights scale by 2, intercept 2b − 1.
        let g = try GLM(family: .gaussian).fit(X: fx.X, rows: fx.n, columns: fx.p, Y: YG, units: 2)
        XCTAssertEqual(g[1].intercept, 2 * g[0].intercept - 1, accuracy: 1e-10)
        XCTAssertTrue(compareArrays("gaussian affine unit", g[1].weights, g[0].weights.map { 2 * $0 }, atol: 1e-10).ok)
    }

    func testFitWithoutInterceptAndJSONRoundTrip() throws {
        let fx = try fixture()
        let y = try fx.file.readDoubles("poisson/y").values
        let fit = try GLM(family: .poisson, addIntercept: false).fit(X: fx.X, rows: fx.n, columns: fx.p, y: y)
        XCTAssertEqual(fit.coefficients.count, fx.p)
        XCTAssertEqual(fit.intercept, 0)
        // Adding a column of ones as a feature reproduces the intercept model.
        var Xc = [Double]()
        for i in 0..<fx.n { Xc.append(1); Xc += fx.X[(i * fx.p)..<((i + 1) * fx.p)] }
        let viaColumn = try GLM(family: .poisson, addIntercept: false).fit(X: Xc, rows: fx.n, columns: fx.p + 1, y: y)
        let withIntercept = try GLM(family: .poisson).fit(X: fx.X, rows: fx.n, columns: fx.p, y: y)
        XCTAssertTrue(compareArrays("ones column vs intercept", viaColumn.coefficients, withIntercept.coefficients, atol: 1e-7).ok)
        let data = try JSONEncoder().encode(withIntercept)
        XCTAssertEqual(try JSONDecoder().decode(GLMFit.self, from: data), withIntercept)
    }

    func testErrorsAreTypedAndReadable() throws {
        let X: [Double] = [1, 2, 3, 4, 5, 6], y: [Double] = [0, 0, 0]
        XCTAssertThrowsError(try GLM().fit(X: X, rows: 3, columns: 2, y: y)) { e in
            XCTAssertEqual(e as? GLMError, .noCounts(unit: 0))
            XCTAssertTrue("\(e)".contains("unit 0 has no counts"), "\(e)")
        }
        XCTAssertThrowsError(try GLM().fit(X: X, rows: 3, columns: 2, y: [1, -1, 2])) { e in
            XCTAssertEqual(e as? GLMError, .negativeCount(index: 1, value: -1))
        }
        XCTAssertThrowsError(try GLM().fit(X: X, rows: 3, columns: 2, y: [1, 2])) { e in
            XCTAssertEqual("\(e)", "GLM: y has 2 values, expected 3")
        }
        XCTAssertThrowsError(try GLM().fit(X: [1, .nan, 3, 4, 5, 6], rows: 3, columns: 2, y: [1, 2, 3])) { e in
            XCTAssertEqual(e as? GLMError, .nonFinite(what: "X", index: 1))
        }
        XCTAssertThrowsError(try GLM(ridge: -1).fit(X: X, rows: 3, columns: 2, y: [1, 2, 3]))
        // A duplicated column makes XᵀWX singular; a ridge penalty fixes it.
        var rng = SeededRandom(seed: 2)
        var Xd = [Double](), yd = [Double]()
        for _ in 0..<50 { let v = rng.normal(); Xd += [v, v]; yd.append(Double(rng.poisson(exp(0.3 * v)))) }
        XCTAssertThrowsError(try GLM().fit(X: Xd, rows: 50, columns: 2, y: yd)) { e in
            XCTAssertTrue("\(e)".contains("singular") && "\(e)".contains("ridge"), "\(e)")
        }
        let ridged = try GLM(ridge: 0.1).fit(X: Xd, rows: 50, columns: 2, y: yd)
        XCTAssertEqual(ridged.weights[0], ridged.weights[1], accuracy: 1e-10)
        // On a grid that includes λ = 0 the singular λ is ruled out, not the whole grid; the path
        // equals the single fit at the λ it chooses.
        let path = try GLM().fitRidgePath(trainX: Xd, trainRows: 50, columns: 2, trainY: yd, validationX: Xd,
                                          validationRows: 50, validationY: yd, grid: [0, 0.1])
        XCTAssertNil(path.fits[0])
        XCTAssertEqual(path.validationLogLikelihoods[0], -.infinity)
        XCTAssertEqual(path.bestLambda, 0.1)
        for (a, b) in zip(path.best.weights, ridged.weights) { XCTAssertEqual(a, b, accuracy: 1e-10) }
        XCTAssertThrowsError(try GLM().fitRidgePath(trainX: Xd, trainRows: 50, columns: 2, trainY: yd, validationX: Xd,
                                                    validationRows: 50, validationY: yd, grid: [0])) { e in
            XCTAssertTrue("\(e)".contains("singular"), "a grid with no usable λ is the singular error: \(e)")
        }
        XCTAssertThrowsError(try GLM().fitRidgePath(trainX: X, trainRows: 3, columns: 2, trainY: [1, 2, 3], validationX: X,
                                                    validationRows: 3, validationY: [1, 2, 3], grid: []))
    }

    /// The peer's default problem (glm_peer.py: 20000 × 400, statsmodels IRLS). Our own seeded
    /// design of the same size and distribution; timing is printed, the fit must converge.
    func testPeerDefaultSizeFit() throws {
        let n = 20_000, p = 400
        var rng = SeededRandom(seed: 0)
        let scale = 1 / Double(p).squareRoot()
        var X = [Double](repeating: 0, count: n * p)
        for i in 0..<(n * p) { X[i] = rng.normal() * scale }
        let w = (0..<p).map { _ in rng.normal() * 0.8 }
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var eta = 0.3
            for j in 0..<p { eta += X[i * p + j] * w[j] }
            y[i] = Double(rng.poisson(exp(eta)))
        }
        let start = Date()
        let fit = try GLM(family: .poisson).fit(X: X, rows: n, columns: p, y: y)
        let seconds = Date().timeIntervalSince(start)
        print("[glm peer size \(n)×\(p)] \(fit.iterations) iterations, \(String(format: "%.3f", seconds)) s, llf \(fit.logLikelihood)")
        XCTAssertTrue(fit.converged)
        // The estimate is close to the generating weights (SE ≈ 1/√(N·E[μ]/p) ≈ 0.1 here).
        let rmse = (zip(fit.weights, w).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(p)).squareRoot()
        print("[glm peer size] RMS weight error \(rmse)")
        XCTAssertLessThan(rmse, 0.2)
    }
}
