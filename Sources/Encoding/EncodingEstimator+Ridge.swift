// Ridge models (feature-space ridge, RidgeModel.swift) are estimators of their own kind: they exist
// only fitted (`RidgeModel.fit` returns one), and are saved to the same kind of model file. The
// loader below reads any model file as the estimator of its kind.
import Foundation

extension RidgeModel: EncodingEstimator {
    public var kind: ModelKind { .ridge }
    /// A `RidgeModel` is made by fitting or loading; there is no unfitted one.
    public var isFitted: Bool { true }
    public func save(to path: String, overwrite: Bool) throws { try write(to: path, overwrite: overwrite) }
}

public enum EncodingEstimators {
    /// Reads a model file as the estimator of its kind: a `RidgeModel` for ridge files, an
    /// `EncodingModel` for CNN and GLM files.
    public static func load(from path: String) throws -> any EncodingEstimator {
        if try RidgeModel.kind(ofModelFile: path) == .ridge { return try RidgeModel.load(path) }
        return try EncodingModel.load(from: path)
    }
}
