// Numerical helpers of the scanner against numpy / scipy / torch (scanner_math.h5) and small
// hand-checked cases.
import XCTest
import Tensors
import Scanner
import TestSupport

final class ScannerMathTests: XCTestCase {
    var file: HDF5File!
    override func setUpWithError() throws { file = try HDF5File.open(TestPaths.fixture("scanner_math.h5")) }
    override func tearDown() { file.close() }
    func d(_ p: String) throws -> [Double] { try file.readDoubles(p).values }

    func testCorrelations() throws {
        let a = try d("spearman/a"), b = try d("spearman/b")
        XCTAssertEqual(ScanStatistics.spearman(a, b), try d("spearman/rho")[0], accuracy: 1e-12)
        XCTAssertEqual(ScanStatistics.pearson(a, b), try d("pearson/r")[0], accuracy: 1e-12)
        // Tied values share the mean rank (1.5, 1.5, 3): scipy.stats.spearmanr gives √3/2, ordinal ranks would give 1.
        XCTAssertEqual(ScanStatistics.spearman([1, 1, 2], [1, 2, 3]), 3.0.squareRoot() / 2, accuracy: 1e-12)
        XCTAssertTrue(ScanStatistics.pearson([1, 1, 1] as [Double], [1, 2, 3]).isNaN)
    }

    func testPCA() throws {
        for name in ["wide", "tall"] {
            let (shape, x) = try file.readDoubles("pca/\(name)/x")
            let k = try file.info("pca/\(name)/components").shape[0]
            let p = try PrincipalComponents(data: x, rows: shape[0], columns: shape[1], components: k)
            XCTAssertTrue(compareArrays("PCA \(name) components", p.components, try d("pca/\(name)/components"), atol: 1e-9).ok)
            XCTAssertTrue(compareArrays("PCA \(name) variance", p.explainedVariance, try d("pca/\(name)/variance"), atol: 1e-9, rtol: 1e-9).ok)
            XCTAssertTrue(compareArrays("PCA \(name) scores", p.scores, try d("pca/\(name)/scores"), atol: 1e-9).ok)
            XCTAssertTrue(compareArrays("PCA \(name) transform", p.transform(x, rows: shape[0]), p.scores, atol: 1e-9).ok)
        }
        XCTAssertThrowsError(try PrincipalComponents(data: [1, 2], rows: 1, columns: 2, components: 1))
    }

    func testGaussianMixtureEMMatchesNumpy() throws {
        let (shape, x) = try file.readDoubles("gmm/x")
        var g = GaussianMixture(weights: try d("gmm/w0"), means: try d("gmm/mu0"), covariances: try d("gmm/cov0"), dimension: 2)
        try g.run(data: x, rows: shape[0], maxIterations: 15, tolerance: 0, regularization: 1e-6)
        XCTAssertTrue(compareArrays("GMM weights", g.weights, try d("gmm/w"), atol: 1e-10).ok)
        XCTAssertTrue(compareArrays("GMM means", g.means, try d("gmm/mu"), atol: 1e-9).ok)
        XCTAssertTrue(compareArrays("GMM covariances", g.covariances, try d("gmm/cov"), atol: 1e-9).ok)
        XCTAssertEqual(g.lowerBound, try d("gmm/lower_bound")[0], accuracy: 1e-10)
        // From k-means starts the fit finds the three generating clusters (40 points each).
        let fit = try GaussianMixture.fit(data: x, rows: shape[0], columns: 2, components: 3,
                                          settings: GaussianMixtureSettings(restarts: 3, seed: 5))
        XCTAssertTrue(fit.converged)
        let labels = try fit.predict(data: x, rows: shape[0])
        for block in 0..<3 {
            let ls = labels[(block * 40)..<((block + 1) * 40)]
            let majority = Dictionary(grouping: ls, by: { $0 }).values.map(\.count).max()!
            XCTAssertGreaterThanOrEqual(majority, 36, "cluster \(block) recovered")
        }
        // Seeded: the same seed gives the same fit.
        let again = try GaussianMixture.fit(data: x, rows: shape[0], columns: 2, components: 3,
                                            settings: GaussianMixtureSettings(restarts: 3, seed: 5))
        XCTAssertEqual(again.means, fit.means)
    }

    func testCalinskiHarabaszAndDBSCAN() throws {
        let (shape, x) = try file.readDoubles("ch/x")
        let labels = try file.readInts("ch/labels").values
        XCTAssertEqual(ClusterValidity.calinskiHarabasz(data: x, rows: shape[0], columns: 3, labels: labels),
                       try d("ch/score")[0], accuracy: 1e-9)
        // Hand case: two tight pairs far apart. B = 4·(…), W small.
        let pts: [Double] = [0, 0, 0, 1, 10, 0, 10, 1]
        // centres (0, .5) and (10, .5), grand (5, .5): B = 2·25 + 2·25 = 100, W = 4·0.25 = 1; CH = (100/1)/(1/2) = 200.
        XCTAssertEqual(ClusterValidity.calinskiHarabasz(data: pts, rows: 4, columns: 2, labels: [0, 0, 1, 1]), 200, accuracy: 1e-12)
        XCTAssertTrue(ClusterValidity.calinskiHarabasz(data: pts, rows: 4, columns: 2, labels: [0, 0, 0, 0]).isNaN)

        let (ds, dx) = try file.readDoubles("dbscan/x")
        let eps = try file.doubleAttribute("eps", at: "dbscan")!, minS = Int(try file.doubleAttribute("min_samples", at: "dbscan")!)
        let got = DBSCAN.cluster(data: dx, rows: ds[0], columns: 2, eps: eps, minSamples: minS)
        XCTAssertEqual(got, try file.readInts("dbscan/labels").values)
        XCTAssertEqual(DBSCAN.cluster(data: [0, 0.1, 5], rows: 3, columns: 1, eps: 0.2, minSamples: 2), [0, 0, -1])
    }

    func testResamplingAndBlur() throws {
        let x = try file.readFloats("bilinear/x").values
        XCTAssertTrue(compareArrays("bilinear", ImageResampling.bilinear(x, height: 7, width: 5, toHeight: 16, toWidth: 11),
                                    try file.readFloats("bilinear/y").values, atol: 1e-5).ok)
        let b = try file.readFloats("blur/x").values
        let sigma = try file.doubleAttribute("sigma", at: "blur")!
        XCTAssertTrue(compareArrays("gaussian blur", ImageResampling.gaussianBlur(b, height: 12, width: 9, sigma: sigma),
                                    try file.readFloats("blur/y").values, atol: 1e-5).ok)
    }

    func testPowerIteration() throws {
        let a = try d("power/a")
        let (est, v) = PowerIteration.topEigenvalue(dimension: 20, maxIterations: 500, tolerance: 1e-12, seed: 3) { v in
            (0..<20).map { i in (0..<20).reduce(0.0) { $0 + a[i * 20 + $1] * v[$1] } }
        }
        print("[power iteration] λ = \(est.value) after \(est.iterations) iterations")
        XCTAssertTrue(est.converged)
        XCTAssertEqual(est.value, try d("power/top")[0], accuracy: 1e-8)
        XCTAssertEqual(v.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-9)
    }

    func testFaithfulnessCurves() throws {
        let x = try file.readTensor("aopc/x"), w = try file.readTensor("aopc/w")
        let attribution = try file.readFloats("aopc/attribution").values
        let c = try Faithfulness.curves(stimulus: x, attribution: attribution, baseline: Tensor(shape: x.shape), steps: 4, batchSize: 2) { batch in
            (0..<batch.shape[0]).map { i in (0..<60).reduce(Float(0)) { $0 + w.data[$1] * batch.data[i * 60 + $1] } }
        }
        XCTAssertTrue(compareArrays("AOPC fractions", c.fractions, try d("aopc/fractions"), atol: 1e-12).ok)
        XCTAssertTrue(compareArrays("deletion curve", c.deletion, try d("aopc/deletion"), atol: 1e-4).ok)
        XCTAssertTrue(compareArrays("insertion curve", c.insertion, try d("aopc/insertion"), atol: 1e-4).ok)
        XCTAssertEqual(c.deletionAOPC, try d("aopc/del_aopc")[0], accuracy: 1e-4)
        XCTAssertEqual(c.insertionAOPC, try d("aopc/ins_aopc")[0], accuracy: 1e-4)
        XCTAssertThrowsError(try Faithfulness.curves(stimulus: x, attribution: [1, 2], baseline: x, steps: 4) { _ in [] })
    }
}

final class FeatureQuantityFormulaTests: XCTestCase {
    func testFeatureScoreMatchesNumpy() throws {
        let f = try HDF5File.open(TestPaths.fixture("scanner_math.h5"))
        defer { f.close() }
        let image = try f.readFloats("fq/image").values, stim = try f.readFloats("fq/stimulus").values
        let mask = try f.readUInt8("fq/mask").values.map { $0 != 0 }
        let s = FeatureQuantity.score(image: image, stimulus: stim, mask: mask)
        XCTAssertEqual(s.value, try f.readDoubles("fq/F").values[0], accuracy: 1e-6 * abs(s.value))
        XCTAssertEqual(s.luminance, try f.readDoubles("fq/l").values[0], accuracy: 1e-9)
        XCTAssertEqual(s.contrast, try f.readDoubles("fq/c").values[0], accuracy: 1e-9)
        XCTAssertEqual(s.structure, try f.readDoubles("fq/s").values[0], accuracy: 1e-9)
        print("[feature score] F = \(s.value)")
        let x = try f.readFloats("fq_mask/stimulus").values
        XCTAssertEqual(FeatureQuantity.thresholdMask(stimulus: x), try f.readUInt8("fq_mask/mask").values.map { $0 != 0 })
    }

    func testKnowledgeMeasuresByHand() {
        // input active everywhere (4 pixels), image active on 2 of them.
        let q = KnowledgeMeasures.quantity(image: [0, 2, 0, -1], input: [1, 1, -1, 1], threshold: 1e-3)
        XCTAssertEqual(q.count, 0.5)
        XCTAssertEqual(q.intensity, 0.75)
        let d = KnowledgeMeasures.distance(image: [2, 0], input: [1, 0])
        XCTAssertEqual(d.distance, 0, accuracy: 1e-12); XCTAssertEqual(d.cosine, 1, accuracy: 1e-12)
        let o = KnowledgeMeasures.distance(image: [0, 1], input: [1, 0])
        XCTAssertEqual(o.distance, 2.0.squareRoot(), accuracy: 1e-12); XCTAssertEqual(o.cosine, 0, accuracy: 1e-12)
        XCTAssertEqual(KnowledgeMeasures.intersectionOverUnion([true, true, false, false], [false, true, true, false]), 1.0 / 3)
    }
}
