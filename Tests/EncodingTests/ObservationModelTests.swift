// Observation models, links and special functions: against scipy (fixture written by
// scripts/fixtures/scipy_likelihoods.py), finite differences, and simulations with known truth.
import Foundation
import XCTest
import Tensors
import TestSupport
import Encoding

final class ObservationModelTests: XCTestCase {
    private func fixture() throws -> HDF5File {
        try HDF5File.open(TestPaths.fixture("scipy_likelihoods.h5"))
    }

    private func read(_ f: HDF5File, _ path: String) throws -> [Double] { try f.readDoubles(path).values }

    // MARK: against scipy

    func testPoissonLogPMFAndCDFMatchScipy() throws {
        let f = try fixture()
        let y = try read(f, "poisson/y"), mu = try read(f, "poisson/mu")
        let model = PoissonObservation()
        let ll = zip(y, mu).map { model.logLikelihood(y: $0, mean: $1, unit: 0) }
        XCTAssertTrue(compareArrays("poisson logpmf vs scipy", ll, try read(f, "poisson/logpmf"), atol: 1e-12, rtol: 1e-10).ok)
        let cdf = zip(y, mu).map { model.cdf(y: $0, mean: $1, unit: 0) }
        XCTAssertTrue(compareArrays("poisson cdf vs scipy", cdf, try read(f, "poisson/cdf"), atol: 1e-300, rtol: 1e-10).ok)
    }

    func testGaussianLogPDFAndCDFMatchScipy() throws {
        let f = try fixture()
        let y = try read(f, "gaussian/y"), mu = try read(f, "gaussian/mu"), v = try read(f, "gaussian/var")
        // One unit per observation, each with its own variance.
        let model = GaussianObservation(variance: v)
        let ll = (0..<y.count).map { model.logLikelihood(y: y[$0], mean: mu[$0], unit: $0) }
        XCTAssertTrue(compareArrays("gaussian logpdf vs scipy", ll, try read(f, "gaussian/logpdf"), atol: 1e-12, rtol: 1e-10).ok)
        let cdf = (0..<y.count).map { model.cdf(y: y[$0], mean: mu[$0], unit: $0) }
        XCTAssertTrue(compareArrays("gaussian cdf vs scipy", cdf, try read(f, "gaussian/cdf"), atol: 1e-300, rtol: 1e-10).ok)
    }

    func testNegativeBinomialLogPMFAndCDFMatchScipy() throws {
        let f = try fixture()
        let y = try read(f, "nbinom/y"), mu = try read(f, "nbinom/mu"), r = try read(f, "nbinom/r")
        let model = NegativeBinomialObservation(dispersion: r)
        let ll = (0..<y.count).map { model.logLikelihood(y: y[$0], mean: mu[$0], unit: $0) }
        XCTAssertTrue(compareArrays("nbinom logpmf vs scipy", ll, try read(f, "nbinom/logpmf"), atol: 1e-12, rtol: 1e-10).ok)
        let cdf = (0..<y.count).map { model.cdf(y: y[$0], mean: mu[$0], unit: $0) }
        XCTAssertTrue(compareArrays("nbinom cdf vs scipy", cdf, try read(f, "nbinom/cdf"), atol: 1e-300, rtol: 1e-10).ok)
    }

    // MARK: gradients

    /// The batched loss equals −Σ logLikelihood and its gradient equals a central finite
    /// difference of −logLikelihood (in Double), for every model.
    func testBatchedLossAndGradientAgainstFiniteDifferences() throws {
        let B = 7, U = 5
        var rng = SeededRandom(seed: 11)
        var mean = [Float](repeating: 0, count: B * U), y = [Float](repeating: 0, count: B * U)
        for i in 0..<(B * U) {
            mean[i] = Float(rng.uniform(0.05, 6))
            y[i] = Float(rng.poisson(Double(mean[i]) * rng.uniform(0.3, 2)))
        }
        let models: [any ObservationModel] = [
            PoissonObservation(),
            QuasiPoissonObservation(dispersion: [1.5, 2, 0.7, 3, 1]),
            GaussianObservation(variance: [0.5, 1, 2, 3.5, 0.1]),
            NegativeBinomialObservation(dispersion: [0.3, 1, 4, 20, 300]),
        ]
        for model in models {
            var dMean = [Float](repeating: .nan, count: B * U)
            let scale: Float = 0.25
            let loss = y.withUnsafeBufferPointer { py in mean.withUnsafeBufferPointer { pm in dMean.withUnsafeMutableBufferPointer { pd in
                model.lossAndGradient(y: py.baseAddress!, mean: pm.baseAddress!, dMean: pd.baseAddress!, count: B, units: U, scale: scale)
            } } }
            var reference = 0.0
            var fd = [Double](repeating: 0, count: B * U)
            var scalar = [Double](repeating: 0, count: B * U)
            for i in 0..<(B * U) {
                let u = i % U, yi = Double(y[i]), m = Double(mean[i])
                reference -= model.logLikelihood(y: yi, mean: m, unit: u)
                let h = 1e-6 * max(1, m)
                fd[i] = Double(scale) * -(model.logLikelihood(y: yi, mean: m + h, unit: u) - model.logLikelihood(y: yi, mean: m - h, unit: u)) / (2 * h)
                scalar[i] = Double(scale) * Double(model.negativeLogLikelihoodGradient(y: y[i], mean: mean[i], unit: u))
            }
            XCTAssertEqual(loss, Double(scale) * reference, accuracy: 1e-10 * abs(reference), "\(model.name) loss")
            let g = dMean.map(Double.init)
            XCTAssertTrue(compareArrays("\(model.name) dMean vs finite difference", g, fd, atol: 1e-5, rtol: 1e-5).ok)
            XCTAssertTrue(compareArrays("\(model.name) dMean vs scalar gradient", g, scalar, atol: 1e-6, rtol: 1e-6).ok)
        }
    }

    func testMeanFloorKeepsCountLossFinite() {
        let y: [Float] = [3, 0], mean: [Float] = [0, 0]
        var d = [Float](repeating: 0, count: 2)
        for model in [PoissonObservation() as any ObservationModel, NegativeBinomialObservation(dispersion: [2])] {
            let loss = model.lossAndGradient(y: y, mean: mean, dMean: &d, count: 2, units: 1)
            XCTAssertTrue(loss.isFinite && d.allSatisfy { $0.isFinite }, "\(model.name): loss \(loss), grad \(d)")
            // 3·log(1e-8) + log 3! ≈ 61.06 nats for the y = 3 observation under Poisson.
            if model.kind == .poisson { XCTAssertEqual(loss, -3 * log(1e-8) + log(6.0), accuracy: 1e-9) }
        }
    }

    // MARK: nuisance parameters

    func testNegativeBinomialDispersionMLERecoversSimulatedR() throws {
        let n = 20_000
        for (trueR, seed) in [(2.5, UInt64(1)), (0.4, 2), (15.0, 3)] {
            var rng = SeededRandom(seed: seed)
            var y = [Double](), mu = [Double]()
            for _ in 0..<n {
                let m = 3 * exp(0.7 * rng.normal())
                mu.append(m)
                y.append(Double(rng.negativeBinomial(mean: m, dispersion: trueR)))
            }
            let rHat = NegativeBinomialObservation.maximumLikelihoodDispersion(y: y, mean: mu)
            // Standard error from the observed information −S′(r̂).
            let slope = NegativeBinomialObservation.dispersionScore(y: y, mean: mu, r: rHat).slope
            let se = 1 / (-slope).squareRoot()
            print("[nb dispersion] true r \(trueR), MLE \(rHat), se \(se), z \((rHat - trueR) / se)")
            XCTAssertEqual(rHat, trueR, accuracy: 4 * se)
            XCTAssertEqual(NegativeBinomialObservation.dispersionScore(y: y, mean: mu, r: rHat).score, 0, accuracy: 1e-6 * Double(n))
            // Through the protocol, two units in one [N, 2] buffer.
            var model = NegativeBinomialObservation(units: 2)
            var y2 = [Double](), mu2 = [Double]()
            for t in 0..<n { y2 += [y[t], y[t]]; mu2 += [mu[t], mu[t]] }
            try model.fitNuisance(y: y2, mean: mu2, units: 2)
            XCTAssertEqual(model.dispersion[0], rHat, accuracy: 1e-9 * rHat)
            XCTAssertEqual(model.dispersion[1], rHat, accuracy: 1e-9 * rHat)
        }
        // Poisson data are not over-dispersed: r goes to (or near) the upper bound.
        var rng = SeededRandom(seed: 4)
        let mu = (0..<5000).map { _ in rng.uniform(0.5, 5) }
        let y = mu.map { Double(rng.poisson($0)) }
        let r = NegativeBinomialObservation.maximumLikelihoodDispersion(y: y, mean: mu)
        print("[nb dispersion] Poisson data: r = \(r)")
        XCTAssertGreaterThan(r, 50)
    }

    func testGaussianVarianceAndQuasiPoissonDispersionEstimates() throws {
        let n = 50_000
        let sigma2 = [0.5, 2.0, 7.0]
        var rng = SeededRandom(seed: 5)
        var y = [Double](), mu = [Double]()
        for _ in 0..<n {
            for u in 0..<3 {
                let m = rng.normal(mean: 1, std: 2)
                mu.append(m)
                y.append(m + sigma2[u].squareRoot() * rng.normal())
            }
        }
        var g = GaussianObservation(units: 3)
        try g.fitNuisance(y: y, mean: mu, units: 3)
        for u in 0..<3 {
            let se = sigma2[u] * (2.0 / Double(n)).squareRoot()
            print("[gaussian variance] unit \(u): true \(sigma2[u]), estimate \(g.variance[u]), se \(se)")
            XCTAssertEqual(g.variance[u], sigma2[u], accuracy: 4 * se)
        }
        // Exact: SSE/(N − p).
        var g2 = GaussianObservation(units: 1)
        try g2.fitNuisance(y: [1, 2, 4], mean: [0, 0, 0], units: 1, parametersPerUnit: 1)
        XCTAssertEqual(g2.variance[0], 21.0 / 2, accuracy: 1e-15)

        // Quasi-Poisson: NB counts with constant μ = 4, r = 2 have variance/mean φ = 1 + μ/r = 3.
        var qy = [Double](), qm = [Double]()
        for _ in 0..<n { qm.append(4); qy.append(Double(rng.negativeBinomial(mean: 4, dispersion: 2))) }
        var q = QuasiPoissonObservation(units: 1)
        try q.fitNuisance(y: qy, mean: qm, units: 1)
        print("[quasi-poisson] φ estimate \(q.dispersion[0]) (true 3)")
        XCTAssertEqual(q.dispersion[0], 3, accuracy: 0.1)
        XCTAssertTrue(q.isQuasi)
    }

    func testNuisanceInputErrors() {
        var g = GaussianObservation(units: 2)
        XCTAssertThrowsError(try g.fitNuisance(y: [1, 2, 3], mean: [1, 2, 3], units: 2)) { e in
            XCTAssertTrue("\(e)".contains("units") || "\(e)".contains("values"), "\(e)")
        }
        XCTAssertThrowsError(try g.fitNuisance(y: [1, .nan], mean: [1, 2], units: 2)) { e in
            XCTAssertTrue("\(e)".contains("y has a non-finite"), "\(e)")
        }
        XCTAssertThrowsError(try g.fitNuisance(y: [1, 2], mean: [1, 2], units: 2, parametersPerUnit: 1)) { e in
            XCTAssertTrue("\(e)".contains("cannot estimate"), "\(e)")
        }
    }

    // MARK: parameters, sampling, links

    func testParametersRoundTripThroughJSON() throws {
        let models: [any ObservationModel] = [PoissonObservation(), GaussianObservation(variance: [0.5, 2]),
                                              NegativeBinomialObservation(dispersion: [3, 0.25]), QuasiPoissonObservation(dispersion: [1.5, 1])]
        for m in models {
            let data = try JSONEncoder().encode(m.parameters)
            let json = String(decoding: data, as: UTF8.self)
            XCTAssertTrue(json.contains("\"per_unit\"") && json.contains("\"kind\":\"\(m.kind.rawValue)\""), json)
            let back = try JSONDecoder().decode(ObservationParameters.self, from: data)
            XCTAssertEqual(back, m.parameters)
            let rebuilt = try back.makeModel()
            XCTAssertEqual(rebuilt.logLikelihood(y: 3, mean: 2.2, unit: 1), m.logLikelihood(y: 3, mean: 2.2, unit: 1))
        }
        // Through the existential, as a trainer holds it: default parameters, then fitted ones.
        var existential: any ObservationModel = ObservationKind.gaussian.makeModel(units: 2)
        XCTAssertEqual(existential.parameters.perUnit, [1, 1])
        try existential.fitNuisance(y: [1, 0, 3, 0], mean: [0, 0, 0, 2], units: 2)
        XCTAssertEqual(existential.parameters.perUnit, [5, 2])
        for kind in ObservationKind.allCases { XCTAssertEqual(kind.makeModel(units: 3).kind, kind) }
        XCTAssertEqual(ObservationKind(rawValue: "negative-binomial"), .negativeBinomial)
        XCTAssertEqual(ObservationKind(rawValue: "quasi-poisson"), .quasiPoisson)
        XCTAssertThrowsError(try ObservationParameters(kind: .gaussian, perUnit: [1, -2]).makeModel()) { e in
            XCTAssertEqual("\(e)", "gaussian observation model: parameter of unit 1 is -2.0; it must be finite and positive")
        }
        XCTAssertThrowsError(try ObservationParameters(kind: .poisson, perUnit: [1]).makeModel())
    }

    func testSamplesHaveTheModelMoments() {
        let n = 200_000
        let cases: [(any ObservationModel, Double, Double)] = [
            (PoissonObservation(), 3.0, 3.0),
            (NegativeBinomialObservation(dispersion: [2]), 3.0, 3.0 + 9.0 / 2),
            (GaussianObservation(variance: [2.5]), -1.0, 2.5),
            (QuasiPoissonObservation(dispersion: [2.5]), 3.0, 7.5),
        ]
        for (model, mean, variance) in cases {
            var rng = SeededRandom(seed: 9)
            var s = 0.0, s2 = 0.0
            for _ in 0..<n { let v = model.sample(mean: mean, unit: 0, rng: &rng); s += v; s2 += v * v }
            let m = s / Double(n), v = s2 / Double(n) - m * m
            print("[\(model.name) samples] mean \(m) (\(mean)), variance \(v) (\(variance))")
            XCTAssertEqual(m, mean, accuracy: 5 * (variance / Double(n)).squareRoot())
            XCTAssertEqual(v, variance, accuracy: 0.03 * variance)
        }
    }

    func testLinksValuesDerivativesAndBatchedForms() {
        // Softplus: reference values (log1p(exp(x))), the threshold, and no overflow.
        XCTAssertEqual(Link.softplus.apply(0.0), log(2.0), accuracy: 1e-15)
        XCTAssertEqual(Link.softplus.apply(-30.0), exp(-30.0), accuracy: 1e-25)
        XCTAssertEqual(Link.softplus.apply(30.0), 30.0)
        XCTAssertEqual(Link.softplus.apply(Float(1000)), 1000)
        XCTAssertEqual(Link.softplus.derivative(-800.0), 0)
        XCTAssertEqual(Link.softplus.derivative(800.0), 1)
        XCTAssertEqual(Link.eluPlusOne.apply(2.0), 3.0)
        XCTAssertEqual(Link.eluPlusOne.apply(-1.0), exp(-1.0), accuracy: 1e-15)
        XCTAssertEqual(Link(rawValue: "elu+1"), .eluPlusOne)
        let etas: [Double] = [-25, -3, -0.4, 0.3, 1.7, 12, 19.5]
        for link in Link.allCases {
            for e in etas {
                let h = 1e-6
                let fd = (link.apply(e + h) - link.apply(e - h)) / (2 * h)
                XCTAssertEqual(link.derivative(e), fd, accuracy: 1e-7 * max(1, abs(fd)), "\(link) at \(e)")
            }
            // Batched forward / backward against the scalar Float forms.
            let x = etas.map(Float.init)
            var mean = [Float](repeating: 0, count: x.count), slope = mean, inPlace = x
            link.forward(eta: x, mean: &mean, slope: &slope, count: x.count)
            link.apply(&inPlace, count: x.count)
            var dEta = [Float](repeating: 1, count: x.count)
            let dMean = [Float](repeating: 2, count: x.count)
            link.backward(dEta: &dEta, dMean: dMean, slope: slope, count: x.count)
            for i in 0..<x.count {
                XCTAssertEqual(mean[i], link.apply(x[i]), "\(link)")
                XCTAssertEqual(inPlace[i], link.apply(x[i]), "\(link)")
                XCTAssertEqual(slope[i], link.derivative(x[i]), accuracy: 1e-7 * max(1, abs(slope[i])), "\(link)")
                XCTAssertEqual(dEta[i], 1 + 2 * slope[i], accuracy: 1e-6 * max(1, abs(dEta[i])), "\(link) accumulates")
            }
        }
    }
}
