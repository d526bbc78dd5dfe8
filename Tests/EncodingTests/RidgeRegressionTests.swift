import XCTest
import Tensors
import Encoding
import TestSupport

/// RidgeRegression against himalaya's RidgeCV (scripts/fixtures/make_ridge_fixture.py: numpy
/// backend, float64, KFold(5) folds, per-target α from 15 values in 1e-2…1e5), in the primal form
/// (150 training rows, 30 features) and the dual form (80 rows, 200 features), 200 targets each.
/// Required: the same α for ≥ 99 % of targets; test predictions equal to 1e-4 relative
/// (|ours − theirs| ≤ 1e-4 · max|theirs|).
final class RidgeRegressionTests: XCTestCase {
    func check(_ name: String, form: RidgeForm) throws {
        let f = try HDF5File.open(TestPaths.fixture("himalaya_ridge.h5"))
        let alphas = try f.readDoubles("/alphas").values
        let (xs, x) = try f.readFloats("/\(name)/features")
        let (ys, y) = try f.readFloats("/\(name)/responses")
        let nTrain = Int(try f.doubleAttribute("train_rows", at: "/\(name)") ?? 0)
        let p = xs[1], u = ys[1], nTest = xs[0] - nTrain
        let theirAlphas = try f.readDoubles("/\(name)/best_alphas").values
        let theirPred = try f.readDoubles("/\(name)/test_predictions").values

        let folds = RidgeRegression.contiguousFolds(count: nTrain, folds: 5)
        let fit = try RidgeRegression.fit(features: Array(x[0..<(nTrain * p)]), rows: nTrain, featureCount: p,
                                          targets: Array(y[0..<(nTrain * u)]), targetCount: u, foldOfRow: folds,
                                          alphas: alphas, targetBatch: 64)
        XCTAssertEqual(fit.cv.form, form)
        let same = zip(fit.cv.bestAlphas, theirAlphas).filter { abs(log($0 / $1)) < 1e-6 }.count
        let pred = RidgeRegression.predict(features: Array(x[(nTrain * p)...]), rows: nTest, fit: fit)
        let scale = theirPred.map { abs($0) }.max() ?? 1
        let maxDiff = zip(pred, theirPred).map { abs(Double($0) - $1) }.max() ?? .infinity
        print("ridge vs himalaya (\(name)): same α for \(same)/\(u) targets; max |Δprediction| = \(maxDiff) (relative \(maxDiff / scale))")
        XCTAssertGreaterThanOrEqual(Double(same), 0.99 * Double(u))
        XCTAssertLessThanOrEqual(maxDiff / scale, 1e-4)
    }

    func testPrimalMatchesHimalaya() throws { try check("primal", form: .primal) }
    func testDualMatchesHimalaya() throws { try check("dual", form: .dual) }

    /// Dual storage (p > n: the fit keeps D and the design, W = Xᵀ D is never formed) against the
    /// same fit storing primal weights, on himalaya's dual case: Xᵀ D equals the stored W and the
    /// predictions (Z Xᵀ) D equal Z W, both to 1e-5 relative (float32 products in another order).
    func testDualStorageEqualsPrimalWeights() throws {
        let f = try HDF5File.open(TestPaths.fixture("himalaya_ridge.h5"))
        let alphas = try f.readDoubles("/alphas").values
        let (xs, x) = try f.readFloats("/dual/features")
        let (ys, y) = try f.readFloats("/dual/responses")
        let nTrain = Int(try f.doubleAttribute("train_rows", at: "/dual") ?? 0)
        let p = xs[1], u = ys[1], nTest = xs[0] - nTrain
        func fit(dual: Bool) throws -> RidgeFit {
            try RidgeRegression.fit(features: Array(x[0..<(nTrain * p)]), rows: nTrain, featureCount: p,
                                    targets: Array(y[0..<(nTrain * u)]), targetCount: u,
                                    foldOfRow: RidgeRegression.contiguousFolds(count: nTrain, folds: 5),
                                    alphas: alphas, targetBatch: 64, dualStorage: dual)
        }
        let d = try fit(dual: true), w = try fit(dual: false)
        XCTAssertNotNil(d.cv.dual); XCTAssertTrue(d.cv.weights.isEmpty)
        XCTAssertNil(w.cv.dual); XCTAssertEqual(w.cv.weights.count, p * u)
        XCTAssertEqual(d.cv.bestAlphas, w.cv.bestAlphas)
        let dw = d.cv.primalWeights()
        let wScale = w.cv.weights.map { abs(Double($0)) }.max() ?? 1
        let wDiff = zip(dw, w.cv.weights).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
        let test = Array(x[(nTrain * p)...])
        let pd = RidgeRegression.predict(features: test, rows: nTest, fit: d), pw = RidgeRegression.predict(features: test, rows: nTest, fit: w)
        let pScale = pw.map { abs(Double($0)) }.max() ?? 1
        let pDiff = zip(pd, pw).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
        print("dual storage vs primal weights: max |Δw| \(wDiff) (relative \(wDiff / wScale)), max |Δprediction| \(pDiff) (relative \(pDiff / pScale))")
        XCTAssertEqual(dw.count, p * u)
        XCTAssertLessThanOrEqual(wDiff / wScale, 1e-5)
        XCTAssertLessThanOrEqual(pDiff / pScale, 1e-5)
        // A share of whole 10-target blocks (an MPI rank's) predicts its columns of the whole exactly.
        var part = d; part.cv = d.cv.targets(10..<30); part.intercept = Array(d.intercept[10..<30])
        let whole = RidgeRegression.predict(features: test, rows: nTest, fit: d, targetBlock: 10)
        let pp = RidgeRegression.predict(features: test, rows: nTest, fit: part, targetBlock: 10)
        var worst: Float = 0
        for i in 0..<nTest { for t in 0..<20 { worst = max(worst, abs(pp[i * 20 + t] - whole[i * u + 10 + t])) } }
        XCTAssertEqual(worst, 0, "columns 10..<30 predicted alone differ from the whole by \(worst)")
    }

    /// The refit weights solve the normal equations (XᵀX + α_t I) w_t = Xᵀ y_t of every target:
    /// checked by a naive double-precision Cholesky solve per target (1e-6 relative).
    func testWeightsSolveNormalEquationsPerTarget() throws {
        var rng = SeededRandom(seed: 3)
        for (n, p) in [(40, 12), (20, 50)] {
            let u = 7
            let x = (0..<(n * p)).map { _ in rng.normal() }
            let y = (0..<(n * u)).map { _ in Float(rng.normal()) }
            let alphas = [0.1, 1, 10, 100]
            let cv = try RidgeRegression.crossValidate(x: x, rows: n, featureCount: p, y: y, targetCount: u,
                                                       foldOfRow: RidgeRegression.contiguousFolds(count: n, folds: 4),
                                                       alphas: alphas, targetBatch: 3)
            var worst = 0.0
            for t in 0..<u {
                var a = [Double](repeating: 0, count: p * p), b = [Double](repeating: 0, count: p)
                for i in 0..<n { for j in 0..<p {
                    b[j] += x[i * p + j] * Double(y[i * u + t])
                    for l in 0..<p { a[j * p + l] += x[i * p + j] * x[i * p + l] }
                } }
                for j in 0..<p { a[j * p + j] += cv.bestAlphas[t] }
                let w = try LAPACK.choleskySolve(a, b, n: p)
                let scale = w.map { abs($0) }.max() ?? 1
                for j in 0..<p { worst = max(worst, abs(Double(cv.weights[j * u + t]) - w[j]) / scale) }
            }
            print("ridge refit vs Cholesky (n \(n), p \(p)): max relative difference \(worst)")
            XCTAssertLessThan(worst, 1e-5)
            // The same refit stored as dual coefficients (n < p): Xᵀ D solves the same equations.
            let dual = try RidgeRegression.crossValidate(x: x, rows: n, featureCount: p, y: y, targetCount: u,
                                                         foldOfRow: RidgeRegression.contiguousFolds(count: n, folds: 4),
                                                         alphas: alphas, targetBatch: 3, dualStorage: true)
            XCTAssertEqual(dual.dual != nil, n - n / 4 < p)
            let dw = dual.primalWeights()
            let dd = zip(dw, cv.weights).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
            let scale = cv.weights.map { abs(Double($0)) }.max() ?? 1
            print("  dual storage: max |Xᵀ D − W| relative \(dd / scale)")
            XCTAssertLessThan(dd / scale, 1e-5)
        }
    }

    /// Banded ridge against himalaya's GroupRidgeCV (random search over 7 given space weightings,
    /// 15 penalties, KFold(5)), two spaces of 20 and 15 features, 100 targets: the same (γ, α) for
    /// ≥ 99 % of targets, test predictions to 1e-4 relative; and the variance split adds up to
    /// the joint R² of the centred targets.
    func testBandedMatchesHimalaya() throws {
        let f = try HDF5File.open(TestPaths.fixture("himalaya_ridge.h5"))
        let alphas = try f.readDoubles("/alphas").values
        let (xs, x) = try f.readFloats("/banded/features")
        let (ys, y) = try f.readFloats("/banded/responses")
        let nTrain = Int(try f.doubleAttribute("train_rows", at: "/banded") ?? 0)
        let pa = Int(try f.doubleAttribute("space_a", at: "/banded") ?? 0)
        let p = xs[1], u = ys[1], nTest = xs[0] - nTrain
        let g = try f.readDoubles("/banded/gammas")
        let gammas = (0..<g.shape[0]).map { Array(g.values[($0 * 2)..<($0 * 2 + 2)]) }
        let deltas = try f.readDoubles("/banded/deltas").values          // [2, u] log(γ/α)
        let theirAlphas = try f.readDoubles("/banded/best_alphas").values
        let theirPred = try f.readDoubles("/banded/test_predictions").values
        let fit = try RidgeRegression.fit(features: Array(x[0..<(nTrain * p)]), rows: nTrain, featureCount: p,
                                          targets: Array(y[0..<(nTrain * u)]), targetCount: u,
                                          foldOfRow: RidgeRegression.contiguousFolds(count: nTrain, folds: 5),
                                          alphas: alphas, bandedSpaces: [pa, p - pa], gammas: gammas)
        let sw = try XCTUnwrap(fit.spaceWeights)
        var same = 0
        for t in 0..<u {
            let theirGamma = exp(deltas[t]) * theirAlphas[t]
            if abs(log(fit.cv.bestAlphas[t] / theirAlphas[t])) < 1e-6 && abs(sw[t] - theirGamma) < 1e-6 { same += 1 }
        }
        let pred = RidgeRegression.predict(features: Array(x[(nTrain * p)...]), rows: nTest, fit: fit)
        let scale = theirPred.map { abs($0) }.max() ?? 1
        let maxDiff = zip(pred, theirPred).map { abs(Double($0) - $1) }.max() ?? .infinity
        print("banded ridge vs himalaya: same (γ, α) for \(same)/\(u) targets; max |Δprediction| relative \(maxDiff / scale)")
        XCTAssertGreaterThanOrEqual(Double(same), 0.99 * Double(u))
        XCTAssertLessThanOrEqual(maxDiff / scale, 1e-4)

        // The split adds up to the joint R² (centred test targets, predictions without intercept).
        var z = Array(x[(nTrain * p)...])
        for i in 0..<nTest { for j in 0..<p { z[i * p + j] = (z[i * p + j] - fit.featureMean[j]) / fit.featureStd[j] } }
        var yc = [Double](repeating: 0, count: nTest * u)
        for t in 0..<u {
            let m = (0..<nTest).reduce(0.0) { $0 + Double(y[(nTrain + $1) * u + t]) } / Double(nTest)
            for i in 0..<nTest { yc[i * u + t] = Double(y[(nTrain + i) * u + t]) - m }
        }
        let split = BandedRidge.varianceSplit(z: z, rows: nTest, spaceSizes: [pa, p - pa], weights: fit.cv.weights, y: yc, targetCount: u)
        var worst = 0.0
        for t in 0..<u {
            var sse = 0.0, sst = 0.0
            for i in 0..<nTest {
                var yhat = 0.0
                for j in 0..<p { yhat += Double(z[i * p + j]) * Double(fit.cv.weights[j * u + t]) }
                sse += (yc[i * u + t] - yhat) * (yc[i * u + t] - yhat); sst += yc[i * u + t] * yc[i * u + t]
            }
            worst = max(worst, abs(split[t] + split[u + t] - (1 - sse / sst)))
        }
        print("banded variance split vs joint R²: max difference \(worst)")
        XCTAssertLessThan(worst, 1e-4)
    }

    func testBadInputIsATypedError() {
        XCTAssertThrowsError(try RidgeRegression.crossValidate(x: [1, 2, 3, 4], rows: 4, featureCount: 1, y: [1, 2, 3, .nan], targetCount: 1,
                                                               foldOfRow: [0, 0, 1, 1], alphas: [1])) { e in
            XCTAssertEqual(e as? RidgeError, .nonFinite(what: "the responses", row: 3, column: 0))
        }
        XCTAssertThrowsError(try RidgeRegression.crossValidate(x: [1, 2, 3, 4], rows: 4, featureCount: 1, y: [1, 2, 3, 4], targetCount: 1,
                                                               foldOfRow: [0, 0, 1, 1], alphas: [0]))
        XCTAssertThrowsError(try RidgeRegression.crossValidate(x: [1, 2, 3, 4], rows: 4, featureCount: 1, y: [1, 2, 3, 4], targetCount: 1,
                                                               foldOfRow: [0, 0, 0, 0], alphas: [1]))
    }

    func testGroupedFoldsKeepGroupsTogether() throws {
        let groups = [5, 5, 1, 1, 1, 9, 2, 2, 9]
        let folds = try RidgeRegression.groupedFolds(groups: groups, folds: 2)
        for (i, g) in groups.enumerated() { for (j, h) in groups.enumerated() where g == h { XCTAssertEqual(folds[i], folds[j]) } }
        XCTAssertEqual(Set(folds), [0, 1])
        XCTAssertEqual(RidgeRegression.contiguousFolds(count: 7, folds: 3), [0, 0, 0, 1, 1, 2, 2])
    }
}
