// Held-out scores: hand-computed tiny cases, simulations with known truth (FEVE, PIT), and
// pseudo-R² against statsmodels' deviances (fixture from scripts/fixtures/statsmodels_glm.py).
import Foundation
import XCTest
import Tensors
import TestSupport
import Encoding

final class ScoresTests: XCTestCase {
    /// 2 units × 4 trials (2 stimuli × 2 repeats), Poisson, every value written out by hand.
    func testTinyPoissonCaseByHand() throws {
        // Rows are trials; columns units.
        let y: [Double] = [2, 0,
                           0, 1,
                           3, 1,
                           1, 0]
        let mu: [Double] = [1.5, 0.5,
                            1.0, 0.5,
                            2.5, 0.8,
                            2.0, 0.8]
        let stim = [7, 7, 9, 9]
        let train = [1.2, 0.6]
        let r = try Scores.evaluate(predicted: mu, observed: y, stimulusIndex: stim, units: 2,
                                    model: PoissonObservation(), trainingMean: train)
        // Unit 0: LL = Σ y log μ − μ − log y!
        let ll0 = (2 * log(1.5) - 1.5 - log(2.0)) + (0 - 1.0) + (3 * log(2.5) - 2.5 - log(6.0)) + (log(2.0) - 2.0)
        let null0 = (2 * log(1.2) - 1.2 - log(2.0)) + (-1.2) + (3 * log(1.2) - 1.2 - log(6.0)) + (log(1.2) - 1.2)
        XCTAssertEqual(r.llPerTrial.perUnit[0]!, ll0 / 4, accuracy: 1e-14)
        XCTAssertEqual(r.bitsPerSpike.perUnit[0]!, (ll0 - null0) / (6 * log(2.0)), accuracy: 1e-14)
        // Deviance d = 2[y log(y/μ) − (y − μ)].
        let d = { (y: Double, m: Double) in 2 * ((y > 0 ? y * log(y / m) : 0) - (y - m)) }
        let dm = d(2, 1.5) + d(0, 1.0) + d(3, 2.5) + d(1, 2.0)
        let dn = d(2, 1.2) + d(0, 1.2) + d(3, 1.2) + d(1, 1.2)
        XCTAssertEqual(r.pseudoR2.perUnit[0]!, 1 - dm / dn, accuracy: 1e-14)
        // corr over the 2 stimuli: predictions (1.25, 2.25), responses (1, 2) → r = 1.
        XCTAssertEqual(r.corr.perUnit[0]!, 1, accuracy: 1e-14)
        // FEVE: noise = mean(var(2,0), var(3,1)) = 2; Var(y) of (2,0,3,1) = 5/3; MSE = (0.25+1+0.25+1)/4.
        // Var(y) − noise < 0 → undefined.
        XCTAssertNil(r.feve.perUnit[0])
        // Unit 1: stimuli responses (0.5, 0.5) constant → corr undefined.
        XCTAssertNil(r.corr.perUnit[1])
        XCTAssertEqual(r.trials, 4); XCTAssertEqual(r.units, 2); XCTAssertEqual(r.stimuli, 2)
        XCTAssertEqual(r.llPerTrial.mean!, (r.llPerTrial.perUnit[0]! + r.llPerTrial.perUnit[1]!) / 2, accuracy: 1e-15)
        XCTAssertEqual(r.pitHistogram.count, 10)
        XCTAssertEqual(r.pitHistogram.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertFalse(r.quasiLikelihood)
    }

    func testFEVEByHand() throws {
        // One unit, 2 stimuli × 3 repeats: responses (1, 2, 3) and (5, 6, 10); prediction 2 and 7.
        let y: [Double] = [1, 2, 3, 5, 6, 10], mu: [Double] = [2, 2, 2, 7, 7, 7]
        let r = try Scores.evaluate(predicted: mu, observed: y, stimulusIndex: [0, 0, 0, 1, 1, 1], units: 1,
                                    model: GaussianObservation(variance: [1]), trainingMean: [4])
        let noise = (1.0 + 7.0) / 2                       // var(1,2,3) = 1, var(5,6,10) = 7
        let mean = 27.0 / 6
        let total = y.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5
        let mse = (1.0 + 0 + 1 + 4 + 1 + 9) / 6
        XCTAssertEqual(r.feve.perUnit[0]!, 1 - (mse - noise) / (total - noise), accuracy: 1e-14)
        XCTAssertNil(r.bitsPerSpike.perUnit[0], "bits/spike is for count models")
        // Gaussian pseudo-R² = 1 − SSE/SS about the training mean.
        let ssNull = y.map { ($0 - 4) * ($0 - 4) }.reduce(0, +)
        XCTAssertEqual(r.pseudoR2.perUnit[0]!, 1 - mse * 6 / ssNull, accuracy: 1e-14)
    }

    /// Predicting each unit's training mean exactly: bits/spike 0 and pseudo-R² 0.
    func testNullModelScoresZero() throws {
        var rng = SeededRandom(seed: 3)
        let T = 300, U = 3
        let means = [0.4, 2.0, 7.5]
        var y = [Double](), mu = [Double]()
        for _ in 0..<T { for u in 0..<U { mu.append(means[u]); y.append(Double(rng.poisson(means[u] * 1.3))) } }
        for model in [PoissonObservation() as any ObservationModel, NegativeBinomialObservation(dispersion: [1, 2, 3])] {
            let r = try Scores.evaluate(predicted: mu, observed: y, stimulusIndex: Array(0..<T), units: U, model: model, trainingMean: means)
            for u in 0..<U {
                XCTAssertEqual(r.bitsPerSpike.perUnit[u]!, 0, accuracy: 1e-15, "\(model.name)")
                XCTAssertEqual(r.pseudoR2.perUnit[u]!, 0, accuracy: 1e-15, "\(model.name)")
            }
            XCTAssertEqual(r.bitsPerSpike.median!, 0, accuracy: 1e-15)
            XCTAssertNil(r.feve.mean, "no repeats: FEVE is undefined")
        }
    }

    /// Large simulated repeats: the true rates have FEVE ≈ 1, a constant prediction FEVE ≈ 0,
    /// and the truth has positive bits/spike and a high stimulus correlation.
    func testFEVEOfTrueRatesOnSimulatedRepeats() throws {
        var rng = SeededRandom(seed: 8)
        let S = 300, R = 20, U = 4
        var rates = [[Double]]()
        for _ in 0..<S { rates.append((0..<U).map { _ in 2 * exp(0.6 * rng.normal()) }) }
        var y = [Double](), truth = [Double](), flat = [Double](), stim = [Int]()
        for s in 0..<S {
            for _ in 0..<R {
                stim.append(s)
                for u in 0..<U { truth.append(rates[s][u]); flat.append(2.4); y.append(Double(rng.poisson(rates[s][u]))) }
            }
        }
        let train = [Double](repeating: 2.4, count: U)
        let good = try Scores.evaluate(predicted: truth, observed: y, stimulusIndex: stim, units: U, model: PoissonObservation(), trainingMean: train)
        let bad = try Scores.evaluate(predicted: flat, observed: y, stimulusIndex: stim, units: U, model: PoissonObservation(), trainingMean: train)
        print("[feve] true rates: \(good.feve.perUnit), constant: \(bad.feve.perUnit)")
        for u in 0..<U {
            XCTAssertEqual(good.feve.perUnit[u]!, 1, accuracy: 0.05)
            XCTAssertEqual(bad.feve.perUnit[u]!, 0, accuracy: 0.05)
            XCTAssertGreaterThan(good.corr.perUnit[u]!, 0.95)
            XCTAssertGreaterThan(good.bitsPerSpike.perUnit[u]!, 0.1)
        }
    }

    /// PIT: the true model is uniform (KS below the 0.1 % critical value, flat histogram); a
    /// Poisson model of over-dispersed counts and a model with halved rates are far from it.
    func testPITCalibration() throws {
        var rng = SeededRandom(seed: 12)
        let T = 4000
        var mu = [Double](), yNB = [Double](), yP = [Double]()
        for _ in 0..<T {
            let m = 0.5 + 4 * rng.uniform()
            mu.append(m)
            yNB.append(Double(rng.negativeBinomial(mean: m, dispersion: 1.5)))
            yP.append(Double(rng.poisson(m)))
        }
        let stim = Array(0..<T), critical = 1.95 / Double(T).squareRoot()
        let poisson = try Scores.evaluate(predicted: mu, observed: yP, stimulusIndex: stim, units: 1, model: PoissonObservation(), trainingMean: [2.5])
        let nb = try Scores.evaluate(predicted: mu, observed: yNB, stimulusIndex: stim, units: 1,
                                     model: NegativeBinomialObservation(dispersion: [1.5]), trainingMean: [2.5])
        let wrongFamily = try Scores.evaluate(predicted: mu, observed: yNB, stimulusIndex: stim, units: 1, model: PoissonObservation(), trainingMean: [2.5])
        let wrongRate = try Scores.evaluate(predicted: mu.map { $0 / 2 }, observed: yP, stimulusIndex: stim, units: 1, model: PoissonObservation(), trainingMean: [2.5])
        let gaussTruth = mu.map { $0 + 0.7 * rng.normal() }
        let gauss = try Scores.evaluate(predicted: mu, observed: gaussTruth, stimulusIndex: stim, units: 1,
                                        model: GaussianObservation(variance: [0.49]), trainingMean: [2.5])
        print("[pit] KS poisson \(poisson.pitKS.perUnit[0]!), nb \(nb.pitKS.perUnit[0]!), gaussian \(gauss.pitKS.perUnit[0]!), critical \(critical); wrong family \(wrongFamily.pitKS.perUnit[0]!), wrong rate \(wrongRate.pitKS.perUnit[0]!)")
        print("[pit] histogram true poisson \(poisson.pitHistogram.map { String(format: "%.3f", $0) })")
        print("[pit] histogram poisson on NB data \(wrongFamily.pitHistogram.map { String(format: "%.3f", $0) })")
        XCTAssertLessThan(poisson.pitKS.perUnit[0]!, critical)
        XCTAssertLessThan(nb.pitKS.perUnit[0]!, critical)
        XCTAssertLessThan(gauss.pitKS.perUnit[0]!, critical)
        XCTAssertGreaterThan(wrongFamily.pitKS.perUnit[0]!, 3 * critical)
        XCTAssertGreaterThan(wrongRate.pitKS.perUnit[0]!, 0.2)
        for b in poisson.pitHistogram { XCTAssertEqual(b, 0.1, accuracy: 0.025) }
        // Over-dispersion under a Poisson model: U-shaped histogram.
        XCTAssertGreaterThan(wrongFamily.pitHistogram[0], 0.12)
        XCTAssertGreaterThan(wrongFamily.pitHistogram[9], 0.12)
        // Same seed, same PIT.
        let again = try Scores.evaluate(predicted: mu, observed: yP, stimulusIndex: stim, units: 1, model: PoissonObservation(), trainingMean: [2.5])
        XCTAssertEqual(again, poisson)
        // Calibration helpers by hand.
        XCTAssertEqual(Calibration.ksDistanceFromUniform([0.5]), 0.5, accuracy: 1e-15)
        XCTAssertEqual(Calibration.ksDistanceFromUniform([0.25, 0.75]), 0.25, accuracy: 1e-15)
        XCTAssertEqual(Calibration.histogram([0, 0.05, 0.5, 1], bins: 2), [0.5, 0.5])
    }

    /// Scored on the training data with the training mean as null, pseudo-R² is statsmodels'
    /// 1 − deviance/null_deviance and ll_per_trial·N is its llf.
    func testPseudoR2MatchesStatsmodelsDeviance() throws {
        let f = try HDF5File.open(TestPaths.fixture("statsmodels_glm.h5"))
        let (shape, X) = try f.readDoubles("X")
        let n = shape[0], p = shape[1]
        for family in GLMFamily.allCases {
            let group = family == .poisson ? "poisson" : "gaussian"
            let y = try f.readDoubles("\(group)/y").values
            let fit = try GLM(family: family).fit(X: X, rows: n, columns: p, y: y)
            let mu = fit.predict(X: X, rows: n)
            let mean = y.reduce(0, +) / Double(n)
            let r = try Scores.evaluate(predicted: mu, observed: y, stimulusIndex: Array(0..<n), units: 1,
                                        model: fit.observationModel, trainingMean: [mean])
            let dev = try XCTUnwrap(try f.doubleAttribute("deviance", at: "/\(group)"))
            let nullDev = try XCTUnwrap(try f.doubleAttribute("null_deviance", at: "/\(group)"))
            let llf = try XCTUnwrap(try f.doubleAttribute("llf", at: "/\(group)"))
            print("[scores \(group)] pseudo-R² \(r.pseudoR2.perUnit[0]!) vs statsmodels \(1 - dev / nullDev)")
            XCTAssertEqual(r.pseudoR2.perUnit[0]!, 1 - dev / nullDev, accuracy: 1e-9)
            XCTAssertEqual(r.llPerTrial.perUnit[0]! * Double(n), llf, accuracy: 1e-6 * abs(llf))
        }
    }

    func testJSONKeysAndNulls() throws {
        let r = try Scores.evaluate(predicted: [1, 2, 3], observed: [0, 2, 5], stimulusIndex: [0, 1, 2], units: 1,
                                    model: QuasiPoissonObservation(dispersion: [1.7]), trainingMean: [2])
        let data = try JSONEncoder().encode(r)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["ll_per_trial", "bits_per_spike", "pseudo_r2", "corr", "feve", "pit_ks"] {
            let summary = try XCTUnwrap(object[key] as? [String: Any], key)
            XCTAssertEqual(Set(summary.keys), ["mean", "median", "per_unit"], key)
            XCTAssertEqual((summary["per_unit"] as? [Any])?.count, 1, key)
        }
        let feve = try XCTUnwrap(object["feve"] as? [String: Any])
        XCTAssertTrue(feve["mean"] is NSNull, "undefined FEVE is null in JSON")
        XCTAssertTrue((feve["per_unit"] as? [Any])?.first is NSNull)
        XCTAssertEqual(object["quasi_likelihood"] as? Bool, true)
        XCTAssertEqual(object["observation_model"] as? String, "quasi-poisson")
        XCTAssertEqual(try JSONDecoder().decode(ScoreReport.self, from: data), r)
    }

    func testInputErrors() {
        XCTAssertThrowsError(try Scores.evaluate(predicted: [1, 2], observed: [1], stimulusIndex: [0, 1], units: 1,
                                                 model: PoissonObservation(), trainingMean: [1])) { e in
            XCTAssertEqual("\(e)", "scores: observed has 1 values, expected 2")
        }
        XCTAssertThrowsError(try Scores.evaluate(predicted: [1, .nan], observed: [1, 1], stimulusIndex: [0, 1], units: 1,
                                                 model: PoissonObservation(), trainingMean: [1])) { e in
            XCTAssertEqual(e as? ScoreError, .nonFinite(what: "predicted", index: 1))
        }
        XCTAssertThrowsError(try Scores.evaluate(predicted: [1, 1], observed: [1, 1], stimulusIndex: [0, 1], units: 1,
                                                 model: GaussianObservation(variance: [1, 2]), trainingMean: [1])) { e in
            XCTAssertEqual(e as? ScoreError, .unitsMismatch(model: 2, data: 1))
        }
        XCTAssertThrowsError(try Scores.evaluate(predicted: [], observed: [], stimulusIndex: [], units: 1,
                                                 model: PoissonObservation(), trainingMean: [1]))
    }
}
