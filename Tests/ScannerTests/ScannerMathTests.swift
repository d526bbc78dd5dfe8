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

    /// The squared form against sklearn.metrics.calinski_harabasz_score and DBSCAN against
    /// sklearn.cluster.DBSCAN, both run by scikit-learn itself (sklearn_clustering.h5).
    func testCalinskiHarabaszAndDBSCAN() throws {
        let sk = try HDF5File.open(TestPaths.fixture("sklearn_clustering.h5"))
        defer { sk.close() }
        let (shape, x) = try sk.readDoubles("ch/x")
        let labels = try sk.readInts("ch/labels").values
        let ch = ClusterValidity.calinskiHarabasz(data: x, rows: shape[0], columns: 3, labels: labels, form: .squared)
        let reference = try sk.readDoubles("ch/score").values[0]
        print("[Calinski–Harabasz] \(ch) vs sklearn \(reference): |diff| = \(abs(ch - reference)) (tolerance 1e-9 relative)")
        XCTAssertEqual(ch, reference, accuracy: 1e-9 * abs(reference))
        // Hand case: two tight pairs far apart; centres (0, .5) and (10, .5), grand mean (5, .5).
        let pts: [Double] = [0, 0, 0, 1, 10, 0, 10, 1]
        // squared: B = 2·25 + 2·25 = 100, W = 4·0.25 = 1; CH = (100/1)/(1/2) = 200.
        XCTAssertEqual(ClusterValidity.calinskiHarabasz(data: pts, rows: 4, columns: 2, labels: [0, 0, 1, 1], form: .squared), 200, accuracy: 1e-12)
        // eq. 6-6/6-7 (unsquared norms, the default): SSB = 2·5 + 2·5 = 20, SSW = 4·0.5 = 2; CH = (20/1)/(2/2) = 20.
        XCTAssertEqual(ClusterValidity.calinskiHarabasz(data: pts, rows: 4, columns: 2, labels: [0, 0, 1, 1]), 20, accuracy: 1e-12)
        // Unequal clusters, unsquared: points (0,0),(3,4),(6,8) | (12,0). Centres (3,4), (12,0); grand (5.25, 3).
        // SSB = 3·‖(−2.25, 1)‖ + 1·‖(6.75, −3)‖ = 3·√6.0625 + √54.5625; SSW = 5 + 0 + 5 + 0 = 10; CH = SSB/1 / (10/2).
        let q: [Double] = [0, 0, 3, 4, 6, 8, 12, 0]
        let ssb = 3 * 6.0625.squareRoot() + 54.5625.squareRoot()
        XCTAssertEqual(ClusterValidity.calinskiHarabasz(data: q, rows: 4, columns: 2, labels: [0, 0, 0, 1]), ssb / 5, accuracy: 1e-12)
        XCTAssertTrue(ClusterValidity.calinskiHarabasz(data: pts, rows: 4, columns: 2, labels: [0, 0, 0, 0]).isNaN)

        let (ds, dx) = try sk.readDoubles("dbscan/x")
        let eps = try sk.doubleAttribute("eps", at: "dbscan")!, minS = Int(try sk.doubleAttribute("min_samples", at: "dbscan")!)
        let got = DBSCAN.cluster(data: dx, rows: ds[0], columns: 2, eps: eps, minSamples: minS)
        let expected = try sk.readInts("dbscan/labels").values
        print("[DBSCAN] \(got.filter { $0 >= 0 }.count) of \(got.count) points clustered, \(Set(got.filter { $0 >= 0 }).count) clusters; labels equal to sklearn's: \(got == expected)")
        XCTAssertEqual(got, expected)
        XCTAssertGreaterThan(Set(expected.filter { $0 >= 0 }).count, 1, "the fixture has several clusters")
        XCTAssertTrue(expected.contains(-1), "the fixture has noise points")
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

/// §6.3.1's criteria with Table 6-1's hyper-parameters on hand-made clusterings.
final class AbnormalFilterCriteriaTests: XCTestCase {
    func testTable61Presets() {
        let v = AbnormalFilterPreset.allCases.map { p -> [Double] in let t = p.values; return [Double(t.lambda), t.alpha, t.beta, t.theta] }
        XCTAssertEqual(v, [[50, 0.2, 1, 0.1], [10, 0.2, 1, 0.1], [20, 0.2, 1, 0.5], [10, 0.2, 1, 0.1]])
        let s = AbnormalFilterSettings()
        XCTAssertEqual([Double(s.lambda), s.alpha, s.beta, s.theta], [50, 0.2, 1, 0.1])
        XCTAssertEqual(s.chForm, .thesis)
    }

    func testTiesGoToTheLargerK() {
        // Algorithm 6.1 line 9 updates on "CH ≥ max CH" while K ascends.
        XCTAssertEqual(AbnormalFilterCriteria.bestIndex([5, 7, 7, 3]), 2)
        XCTAssertEqual(AbnormalFilterCriteria.bestIndex([9, .nan, 2]), 0)
        XCTAssertNil(AbnormalFilterCriteria.bestIndex([.nan, .nan]))
    }

    func testCriteria() {
        var s = AbnormalFilterSettings(); s.lambda = 2; s.alpha = 0.2; s.beta = 1; s.theta = 0.5
        let rows = [
            FilterClusterInput(filter: 0, components: 2, calinskiHarabasz: 30, clusterSizes: [10, 2], activation: 1.0),
            FilterClusterInput(filter: 1, components: 2, calinskiHarabasz: 10, clusterSizes: [6, 6], activation: 2.0),
            FilterClusterInput(filter: 2, components: 3, calinskiHarabasz: 20, clusterSizes: [9, 2, 1], activation: 0.2),
            FilterClusterInput(filter: 3, components: 0, calinskiHarabasz: .nan, clusterSizes: [], activation: 0),
        ]
        let r = AbnormalFilterCriteria.apply(rows, layer: "act1", stimuli: 12, settings: s)
        // mean CH over defined filters = (30 + 10 + 20)/3 = 20, threshold β·20 = 20 (strictly above: f0 only).
        XCTAssertEqual(r.meanCH, 20, accuracy: 1e-12); XCTAssertEqual(r.chThreshold, 20, accuracy: 1e-12)
        // mean activation = (1 + 2 + 0.2 + 0)/4 = 0.8, θ·0.8 = 0.4: f2 (0.2) and f3 (0) excluded.
        XCTAssertEqual(r.meanActivation, 0.8, accuracy: 1e-12); XCTAssertEqual(r.activationThreshold, 0.4, accuracy: 1e-12)
        // clusters with ≤ λ = 2 points: f0 1 of 2 (1 > 0.4), f1 0 of 2, f2 2 of 3 (2 > 0.6).
        XCTAssertEqual(r.filters.map(\.abnormalClusters), [1, 0, 2, 0])
        XCTAssertEqual(r.filters.map(\.imbalanced), [true, false, true, false])
        XCTAssertEqual(r.filters.map(\.highCH), [true, false, false, false])
        XCTAssertEqual(r.filters.map(\.highActivation), [true, true, false, false])
        XCTAssertEqual(r.abnormalFilters, [0])
        // α boundary: 1 abnormal cluster of 2 does not *exceed* 0.5·2.
        s.alpha = 0.5
        XCTAssertFalse(AbnormalFilterCriteria.apply(rows, layer: "act1", stimuli: 12, settings: s).filters[0].imbalanced)
        // β scales the mean: β = 1.6 → threshold 32 > 30, nothing abnormal.
        s.alpha = 0.2; s.beta = 1.6
        XCTAssertEqual(AbnormalFilterCriteria.apply(rows, layer: "act1", stimuli: 12, settings: s).abnormalCount, 0)
    }
}

final class FeatureQuantityFormulaTests: XCTestCase {
    /// Eq. 4-1…4-6 worked out by hand on 4 pixels: I = [2, 4, 1, 3], foreground M^f = first two.
    func testFeatureScoreByHand() {
        let stim: [Float] = [2, 4, 1, 3], mask = [true, true, false, false]
        var worst = 0.0
        // (a) I_x = p·I, p = 0.5 (4-8): M_x = all, I_x^{fe} = I^f = [2, 4, 0, 0], I_x^e = [1, 2, 0, 0].
        //     μ^{fe} = 1.5, μ^e = 0.75; σ^{fe}² = (0.25 + 6.25 + 2.25 + 2.25)/4 = 2.75, σ^e² = 0.6875,
        //     σ^{fee} = 1.375; N = 4, N_x^n = 4 (4-9), N_x^e = N_f = 2.
        let a = FeatureQuantity.score(image: [1, 2, 0.5, 1.5], stimulus: stim, mask: mask)
        let la = 2 * 1.5 * 0.75 / (1.5 * 1.5 + 0.75 * 0.75 + 1e-4)
        let ca = 2 * (2.75 * 0.6875).squareRoot() / (2.75 + 0.6875 + 3e-4)
        let sa = 1.375 / ((2.75 * 0.6875).squareRoot() + 1.5e-4)
        // 4-10's first two factors with p = 0.5 give the same l and c:
        XCTAssertEqual(la, 2 * 0.5 * 2.25 / (1.25 * 2.25 + 1e-4), accuracy: 1e-15)
        XCTAssertEqual(ca, 2 * 0.5 * 2.75 / (1.25 * 2.75 + 3e-4), accuracy: 1e-15)
        for (got, want) in [(a.luminance, la), (a.contrast, ca), (a.structure, sa), (a.value, 1e4 * 1 * 1 * la * ca * sa)] {
            XCTAssertEqual(got, want, accuracy: 1e-12 * max(1, abs(want))); worst = max(worst, abs(got - want))
        }
        XCTAssertEqual([a.pixels, a.noisePixels, a.effectivePixels, a.foregroundPixels], [4, 4, 2, 2])
        // p = 1: l = c = 9/(9 + C) ≈ 1, so F → K (4-10 without its K): depends on p, no rescaling.
        let one = FeatureQuantity.score(image: stim, stimulus: stim, mask: mask)
        let want1 = 1e4 * (2 * 2.25 / (2 * 2.25 + 1e-4)) * (2 * 2.75 / (2 * 2.75 + 3e-4)) * (2.75 / (2.75 + 1.5e-4))
        XCTAssertEqual(one.value, want1, accuracy: 1e-8); worst = max(worst, abs(one.value - want1))
        XCTAssertGreaterThan(one.value, a.value + 1000)
        // (b) I_x = [1, 0, 0, −2]: M_x = {0, 3}; I_x^{fe} = [2, 0, 0, 0], I_x^e = [1, 0, 0, 0],
        //     I_x^n = [0, 0, 0, −2]. μ^{fe} = 0.5, μ^e = 0.25, σ^{fe}² = (2.25 + 3·0.25)/4 = 0.75,
        //     σ^e² = 0.1875, σ^{fee} = (1.5·0.75 + 3·0.5·0.25)/4 = 0.375;
        //     N = 4, N_x^e = 1, N_f = 2, N_x^n = 2 (active pixels of I_x) or 1 (of I_x^n).
        let lb = 2 * 0.5 * 0.25 / (0.25 + 0.0625 + 1e-4)
        let cb = 2 * (0.75 * 0.1875).squareRoot() / (0.75 + 0.1875 + 3e-4)
        let sb = 0.375 / ((0.75 * 0.1875).squareRoot() + 1.5e-4)
        let b = FeatureQuantity.score(image: [1, 0, 0, -2], stimulus: stim, mask: mask)
        XCTAssertEqual(b.value, 1e4 * (2.0 / 4) * (1.0 / 2) * lb * cb * sb, accuracy: 1e-9)
        var noise = FeatureQuantitySettings(); noise.noiseCount = .noisePart
        let bn = FeatureQuantity.score(image: [1, 0, 0, -2], stimulus: stim, mask: mask, settings: noise)
        XCTAssertEqual(bn.value, 1e4 * (1.0 / 4) * (1.0 / 2) * lb * cb * sb, accuracy: 1e-9)
        worst = max(worst, abs(b.value - 1e4 * 0.25 * lb * cb * sb), abs(bn.value - 1e4 * 0.125 * lb * cb * sb))
        // (c) I_x = 0 (4-11): F = 0.
        XCTAssertEqual(FeatureQuantity.score(image: [0, 0, 0, 0], stimulus: stim, mask: mask).value, 0)
        print("[feature score by hand] max |difference| \(worst)")
    }

    func testFeatureScoreMatchesNumpy() throws {
        let f = try HDF5File.open(TestPaths.fixture("scanner_fq.h5"))
        defer { f.close() }
        var noise = FeatureQuantitySettings(); noise.noiseCount = .noisePart
        for c in ["random", "scaled"] {
            let image = try f.readFloats(c + "/image").values, stim = try f.readFloats(c + "/stimulus").values
            let mask = try f.readUInt8(c + "/mask").values.map { $0 != 0 }
            let s = FeatureQuantity.score(image: image, stimulus: stim, mask: mask)
            let want = try f.readDoubles(c + "/F_learning").values[0]
            XCTAssertEqual(s.value, want, accuracy: 1e-9 * max(1, abs(want)))
            XCTAssertEqual(FeatureQuantity.score(image: image, stimulus: stim, mask: mask, settings: noise).value,
                           try f.readDoubles(c + "/F_noise").values[0], accuracy: 1e-9 * max(1, abs(want)))
            XCTAssertEqual(s.luminance, try f.readDoubles(c + "/l").values[0], accuracy: 1e-12)
            XCTAssertEqual(s.contrast, try f.readDoubles(c + "/c").values[0], accuracy: 1e-12)
            XCTAssertEqual(s.structure, try f.readDoubles(c + "/s").values[0], accuracy: 1e-12)
            print("[feature score \(c)] F = \(s.value), numpy \(want), difference \(abs(s.value - want))")
        }
        let g = try HDF5File.open(TestPaths.fixture("scanner_math.h5"))
        defer { g.close() }
        let x = try g.readFloats("fq_mask/stimulus").values
        XCTAssertEqual(FeatureQuantity.thresholdMask(stimulus: x), try g.readUInt8("fq_mask/mask").values.map { $0 != 0 })
    }

    func testKnowledgeMeasuresByHand() {
        // input active everywhere (4 pixels, Σ = 2), image active on 2 of them (Σ = 1).
        let q = KnowledgeMeasures.quantity(image: [0, 2, 0, -1], input: [1, 1, -1, 1], threshold: 0)
        XCTAssertEqual(q.count, 0.5)
        XCTAssertEqual(q.intensity, 0.5)
        XCTAssertEqual(KnowledgeMeasures.quantity(image: [0, 2, 0, -1], input: [1, 1, -1, 1], threshold: 0, absolute: true).intensity, 0.75)
    }
}
