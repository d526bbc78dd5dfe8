// Choosing the ridge penalty λ of a GLM by validation log-likelihood.
//
// The path is fitted from the largest λ to the smallest, each fit warm-started from the previous
// one (the solutions move smoothly with λ, so each fit takes a few Newton steps). The chosen λ
// maximises the full log-likelihood of the validation responses (gaussian: under each fit's own
// training variance); ties go to the larger λ.
import Foundation
import Tensors

/// The fits of one response along a grid of ridge penalties.
public struct RidgePath: Sendable {
    /// The grid, in the order it was given.
    public let lambdas: [Double]
    /// One fit per λ (same order); nil where the system was singular or IRLS diverged at that λ
    /// (an unpenalised λ = 0 on a collinear design), which is then never chosen.
    public let fits: [GLMFit?]
    /// Σ log p(y_val | μ) per λ (nats, summed over validation observations).
    public let validationLogLikelihoods: [Double]
    /// Index of the chosen λ.
    public let bestIndex: Int

    public var bestLambda: Double { lambdas[bestIndex] }
    public var best: GLMFit { fits[bestIndex]! }

    /// The λ the path keeps among the `allowed` grid indices: the highest validation log-likelihood,
    /// ties to the larger λ, a finite likelihood over a non-finite one; nil when `allowed` is empty.
    /// One process and every MPI rank (after the ranks agree on the λs that failed) choose with it.
    public static func choose(among allowed: [Int], lambdas: [Double], validationLogLikelihoods ll: [Double]) -> Int? {
        guard var best = allowed.first else { return nil }
        for k in allowed.dropFirst() {
            let better = ll[k] > ll[best] || (ll[k] == ll[best] && lambdas[k] > lambdas[best])
            if better || (!ll[best].isFinite && ll[k].isFinite) { best = k }
        }
        return best
    }
}

extension GLM {
    /// Fits one response for every λ in `grid` (this estimator's own `ridge` is ignored) and
    /// chooses λ by validation log-likelihood.
    /// - Parameters: train X [N, P], y [N]; validation X [M, P], y [M]; offsets [N] / [M] or nil.
    public func fitRidgePath(trainX: [Double], trainRows n: Int, columns p: Int, trainY: [Double],
                             validationX: [Double], validationRows m: Int, validationY: [Double],
                             grid: [Double], trainOffset: [Double]? = nil, validationOffset: [Double]? = nil) throws -> RidgePath {
        try fitRidgePath(trainX: trainX, trainRows: n, columns: p, trainY: trainY, validationX: validationX,
                         validationRows: m, validationY: validationY, units: 1, grid: grid,
                         trainOffset: trainOffset, validationOffset: validationOffset)[0]
    }

    /// U responses sharing the designs: train Y [N, U], validation Y [M, U] row-major. λ is chosen
    /// per unit. The gaussian family solves all units with one factorisation per λ.
    public func fitRidgePath(trainX: [Double], trainRows n: Int, columns p: Int, trainY: [Double],
                             validationX: [Double], validationRows m: Int, validationY: [Double], units: Int,
                             grid: [Double], trainOffset: [Double]? = nil, validationOffset: [Double]? = nil) throws -> [RidgePath] {
        guard !grid.isEmpty else { throw GLMError.invalidOption("the ridge grid is empty") }
        for l in grid where !(l.isFinite && l >= 0) { throw GLMError.invalidOption("ridge grid values must be finite and ≥ 0, got \(l)") }
        guard validationX.count == m * p else { throw GLMError.shapeMismatch(what: "validation X (\(m) × \(p))", expected: m * p, got: validationX.count) }
        guard validationY.count == m * units else { throw GLMError.shapeMismatch(what: "validation y", expected: m * units, got: validationY.count) }
        if let o = validationOffset, o.count != m { throw GLMError.shapeMismatch(what: "validation offset", expected: m, got: o.count) }
        for i in 0..<validationX.count where !validationX[i].isFinite { throw GLMError.nonFinite(what: "validation X", index: i) }
        for i in 0..<validationY.count where !validationY[i].isFinite { throw GLMError.nonFinite(what: "validation y", index: i) }

        let design = try GLMDesign(X: trainX, rows: n, columns: p, addIntercept: addIntercept)
        var estimator = self
        estimator.ridge = grid.max()!
        try estimator.checkResponses(trainY, rows: n, units: units, offset: trainOffset)

        let order = grid.indices.sorted { grid[$0] > grid[$1] }            // largest λ first
        var fitsByGrid = [[GLMFit]?](repeating: nil, count: grid.count)    // [λ][unit]; nil: no fit at that λ
        var starts: [[Double]]? = nil
        var firstFailure: Error? = nil
        for k in order {
            estimator.ridge = grid[k]
            do {
                let fits = try estimator.fitUnits(design: design, Y: trainY, units: units, offset: trainOffset, starts: starts)
                fitsByGrid[k] = fits
                starts = fits.map(\.coefficients)
            } catch let e as GLMError {
                // A singular or diverging fit rules out this λ (typically λ = 0 on a collinear
                // design), not the whole grid; it is an error only when no λ can be fitted.
                switch e {
                case .singular, .diverged: firstFailure = firstFailure ?? e
                default: throw e
                }
            }
        }
        if fitsByGrid.allSatisfy({ $0 == nil }) { throw firstFailure! }

        var paths: [RidgePath] = []
        let validation = ResponseMatrix(rows: m, columns: units, values: validationY)
        for u in 0..<units {
            let yv = validation.column(u)
            let fits = fitsByGrid.map { $0?[u] }
            let ll = fits.map { $0?.logLikelihood(X: validationX, rows: m, y: yv, offset: validationOffset) ?? -.infinity }
            // fitsByGrid has at least one fitted λ (checked above), so a choice exists.
            let best = RidgePath.choose(among: grid.indices.filter { fits[$0] != nil }, lambdas: grid, validationLogLikelihoods: ll) ?? 0
            paths.append(RidgePath(lambdas: grid, fits: fits, validationLogLikelihoods: ll, bestIndex: best))
        }
        return paths
    }
}
