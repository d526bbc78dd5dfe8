// Sparsity measures against scipy/numpy (scripts/fixtures/scipy_sparsity.py), hand-computed
// extremes, conv unit pooling and input errors.
import Foundation
import XCTest
import Tensors
import TestSupport
import Analysis

final class SparsityTests: XCTestCase {

    /// NaN positions must agree; the rest within atol.
    private func compareWithNaN(_ label: String, _ a: [Double], _ b: [Double], atol: Double) {
        XCTAssertEqual(a.count, b.count, label)
        XCTAssertEqual(a.map(\.isNaN), b.map(\.isNaN), "\(label): undefined (NaN) entries differ")
        let r = compareArrays(label, a.map { $0.isNaN ? 0 : $0 }, b.map { $0.isNaN ? 0 : $0 }, atol: atol, rtol: atol)
        XCTAssertTrue(r.ok, label)
    }

    private func checkCase(_ file: HDF5File, _ group: String, activations: Tensor? = nil) throws {
        let a = try activations ?? file.readTensor("\(group)/activations")
        for m in SparsityMeasure.allCases {
            let life = try file.readDoubles("\(group)/lifetime/\(m.rawValue)").values
            let pop = try file.readDoubles("\(group)/population/\(m.rawValue)").values
            compareWithNaN("\(group) lifetime \(m)", try Sparsity.lifetime(m, activations: a), life, atol: 1e-6)
            compareWithNaN("\(group) population \(m)", try Sparsity.population(m, activations: a), pop, atol: 1e-6)
        }
    }

    func testMatchesScipyAndNumpy() throws {
        let file = try HDF5File.open(TestPaths.fixture("scipy_sparsity.h5"))
        defer { file.close() }
        for name in ["gamma", "sparse", "sparse_t", "signed", "onehot"] { try checkCase(file, "/\(name)") }
        // The fixture's undefined entries are really exercised.
        for (path, nan) in [("/sparse/lifetime/kurtosis", 2), ("/sparse/lifetime/hoyer", 1), ("/sparse_t/population/kurtosis", 2), ("/sparse_t/population/treves-rolls", 1)] {
            XCTAssertEqual(try file.readDoubles(path).values.filter(\.isNaN).count, nan, "\(path): all-zero and constant vectors")
        }
    }

    func testConvActivationsPoolings() throws {
        let file = try HDF5File.open(TestPaths.fixture("scipy_sparsity.h5"))
        defer { file.close() }
        let conv = try file.readTensor("/conv/conv")
        let positions = try Sparsity.unitMatrix(convActivations: conv, pooling: .everyPosition)
        XCTAssertEqual(positions.shape, [12, 4 * 5 * 6])
        XCTAssertEqual(positions.data, try file.readTensor("/conv/positions/activations").data)
        let mean = try Sparsity.unitMatrix(convActivations: conv, pooling: .spatialMean)
        XCTAssertEqual(mean.shape, [12, 4])
        XCTAssertTrue(compareArrays("conv spatial mean", mean.data, try file.readTensor("/conv/mean/activations").data, atol: 1e-6).ok)
        try checkCase(file, "/conv/positions", activations: positions)
        try checkCase(file, "/conv/mean", activations: mean)
    }

    func testHandComputedValues() {
        // One active value: maximally sparse.
        XCTAssertEqual(Sparsity.trevesRolls([0, 0, 3, 0]), 1, accuracy: 1e-15)
        XCTAssertEqual(Sparsity.hoyer([0, 0, 3, 0]), 1, accuracy: 1e-15)
        // All equal: not sparse at all.
        XCTAssertEqual(Sparsity.trevesRolls([2, 2, 2, 2, 2]), 0, accuracy: 1e-15)
        XCTAssertEqual(Sparsity.hoyer([2, 2, 2, 2, 2]), 0, accuracy: 1e-15)
        // [1, 1, 0, 0]: TR = (1 − (1/2)²/(1/2)) / (3/4) = 2/3; Hoyer = (2 − 2/√2)/(2 − 1) = 2 − √2.
        XCTAssertEqual(Sparsity.trevesRolls([1, 1, 0, 0]), 2.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(Sparsity.hoyer([1, 1, 0, 0]), 2 - 2.0.squareRoot(), accuracy: 1e-15)
        // Kurtosis of [1, 2, 3, 4]: m2 = 1.25, m4 = 2.5625, m4/m2² − 3 = −1.36 (scipy gives −1.36).
        XCTAssertEqual(Sparsity.excessKurtosis([1, 2, 3, 4]), -1.36, accuracy: 1e-12)
        // Undefined cases are NaN, not traps.
        XCTAssertTrue(Sparsity.trevesRolls([0, 0, 0]).isNaN)
        XCTAssertTrue(Sparsity.hoyer([5]).isNaN)
        XCTAssertTrue(Sparsity.excessKurtosis([0.7, 0.7, 0.7]).isNaN)
        XCTAssertTrue(Sparsity.trevesRolls([]).isNaN)
        // Lifetime and population are the column and row views of the same definition.
        let a = Tensor(shape: [3, 2], data: [1, 0, 0, 2, 0, 2])
        XCTAssertEqual(try Sparsity.lifetime(.trevesRolls, activations: a)[0], 1, accuracy: 1e-12)
        XCTAssertEqual(try Sparsity.lifetime(.trevesRolls, activations: a)[1], Sparsity.trevesRolls([0, 2, 2]), accuracy: 1e-12)
        XCTAssertEqual(try Sparsity.population(.hoyer, activations: a)[0], 1, accuracy: 1e-12)
    }

    func testSummaryAndErrors() {
        let s = SparsitySummary([0.2, .nan, 0.6, 0.4, .nan])
        XCTAssertEqual(s.defined, 3); XCTAssertEqual(s.undefined, 2)
        XCTAssertEqual(s.mean, 0.4, accuracy: 1e-15); XCTAssertEqual(s.median, 0.4)
        XCTAssertTrue(SparsitySummary([.nan]).mean.isNaN)

        XCTAssertThrowsError(try Sparsity.lifetime(.hoyer, activations: Tensor(shape: [2, 3, 4]))) { e in
            XCTAssertEqual(e as? SparsityError, .badShape(shape: [2, 3, 4], expected: "[stimuli, units] with both ≥ 1"))
        }
        XCTAssertThrowsError(try Sparsity.population(.hoyer, activations: Tensor(shape: [0, 3]))) { e in
            guard case SparsityError.badShape = e else { return XCTFail("\(e)") }
        }
        var bad = Tensor(shape: [2, 2]); bad.data[1] = .nan
        XCTAssertThrowsError(try Sparsity.lifetime(.kurtosis, activations: bad)) { e in XCTAssertEqual(e as? SparsityError, .nonFinite) }
        XCTAssertThrowsError(try Sparsity.unitMatrix(convActivations: Tensor(shape: [2, 3]), pooling: .spatialMean)) { e in
            guard case SparsityError.badShape = e else { return XCTFail("\(e)") }
        }
    }
}
