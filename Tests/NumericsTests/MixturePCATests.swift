// PCA against numpy (scanner_math.h5), the Gaussian mixture against scikit-learn's own
// GaussianMixture (sklearn_clustering.h5, scripts/fixtures/sklearn_clustering.py), and a seeded
// recovery of three clusters.
import XCTest
import Tensors
import Numerics
import TestSupport

final class MixturePCATests: XCTestCase {
    var file: HDF5File!
    override func setUpWithError() throws { file = try HDF5File.open(TestPaths.fixture("scanner_math.h5")) }
    override func tearDown() { file.close() }
    func d(_ p: String) throws -> [Double] { try file.readDoubles(p).values }

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

    /// 15 EM rounds from the same start as sklearn.mixture.GaussianMixture(max_iter=15, tol=0,
    /// reg_covar=1e-6, weights/means/precisions_init): parameters within 1e-9, lower bound within 1e-10.
    func testGaussianMixtureEMMatchesScikitLearn() throws {
        let sk = try HDF5File.open(TestPaths.fixture("sklearn_clustering.h5"))
        defer { sk.close() }
        func d(_ p: String) throws -> [Double] { try sk.readDoubles(p).values }
        let (shape, x) = try sk.readDoubles("gmm/x")
        var g = GaussianMixture(weights: try d("gmm/w0"), means: try d("gmm/mu0"), covariances: try d("gmm/cov0"), dimension: 2)
        try g.run(data: x, rows: shape[0], maxIterations: 15, tolerance: 0, regularization: 1e-6)
        XCTAssertTrue(compareArrays("GMM weights", g.weights, try d("gmm/w"), atol: 1e-10).ok)
        XCTAssertTrue(compareArrays("GMM means", g.means, try d("gmm/mu"), atol: 1e-9).ok)
        XCTAssertTrue(compareArrays("GMM covariances", g.covariances, try d("gmm/cov"), atol: 1e-9).ok)
        let lb = try d("gmm/lower_bound")[0]
        print("[GMM lower bound] max |diff| = \(abs(g.lowerBound - lb)) (tolerance 1e-10)")
        XCTAssertEqual(g.lowerBound, lb, accuracy: 1e-10)
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

    func testErrorsNameTheMethod() {
        XCTAssertThrowsError(try PrincipalComponents(data: [1, 2, 3, 4], rows: 2, columns: 2, components: 3)) { e in
            XCTAssertEqual(e as? NumericsError, .numerical(what: "PCA", reason: "cannot take 3 components of 2 samples in 2 dimensions"))
        }
        XCTAssertThrowsError(try GaussianMixture.fit(data: [0, 1], rows: 1, columns: 2, components: 2)) { e in
            XCTAssertTrue("\(e)".hasPrefix("Gaussian mixture: cannot fit 2 components to 1 points"), "\(e)")
        }
        // A covariance that is not positive definite (rank 1, no regularisation) is refused, not factorised.
        let g = GaussianMixture(weights: [1], means: [0, 0], covariances: [1, 1, 1, 1], dimension: 2)
        XCTAssertThrowsError(try g.logJoint(data: [0, 0], rows: 1)) { e in
            XCTAssertTrue("\(e)".contains("not positive definite"), "\(e)")
        }
    }
}
