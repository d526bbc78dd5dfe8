// receptive predict MODEL DATA --out rates.h5: predicted mean responses per stimulus.
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Cluster

struct PredictCommand: ParsableCommand, WithThreadsOption, WithForceFlag {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Write a model's predicted mean response of every unit to every stimulus (HDF5).",
        discussion: """
        Output: /rates [N, U] float32 (the observation model's mean, e.g. spikes per bin), /stimulus [N] \
        (stimulus indices into the dataset), root attributes model and data.
        Example: receptive predict demo-cnn.h5 data/demo.h5 --out rates.h5
        """)

    @Argument(help: "The model file.") var model: String
    @Argument(help: "The HDF5 dataset file.") var data: String
    @Option(help: "Output HDF5 file.") var out: String
    @Option(name: .customLong("eval-split"), help: "Only the stimuli of one split (train, validation, test); default all.") var split: Split?
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var forceFlag: ForceFlag
    @OptionGroup var dataset: DatasetOptions

    func run() throws { try onCluster(predict(on:)) }

    /// Under mpirun the stimuli are split over ranks (whole batches each); rank 0 writes.
    func predict(on cluster: Cluster) throws {
        Parallel.setThreads(threads)
        try OutputPolicy.checkFile(out, force: force)
        if try RidgeModel.kind(ofModelFile: model) == .ridge {
            return try predictRidge(on: cluster)
        }
        let estimator = try EncodingModel.load(from: model)
        var options = dataset.loadOptions(for: try estimator.fitted())
        // Under mpirun the predictions need no responses: each rank reads (and checks) only its
        // share of the response columns, so the file is checked as in one process, read once in all.
        var fileUnits: Int?
        if cluster.size > 1 { fileUnits = try shareResponseColumns(of: data, options: &options, cluster: cluster).header.unitCount }
        let ds = try dataset.load(data, options: options)
        let indices = split.map { ds.stimuli(in: $0) } ?? Array(0..<ds.stimulusCount)
        // Under mpirun: the checks predict makes before any work (units, stimulus shape) are made
        // before the agreement point, so a file every rank finds wrong is reported once.
        if cluster.size > 1 { try EncodingModel.checkCompatible(model: try estimator.fitted(), dataset: ds, fileUnits: fileUnits) }
        try passAgreementPoint(cluster)
        let rates = try estimator.predict(ds, stimuli: indices, cluster: cluster, fileUnits: fileUnits)
        guard cluster.isRoot else { return }
        try HDF5File.writeAtomically(to: out, overwrite: force) { f in
            try f.write("/rates", floats: rates.values, shape: [rates.rows, rates.columns])
            try f.write("/stimulus", int64s: indices, shape: [indices.count])
            try f.setAttribute("model", string: model)
            try f.setAttribute("data", string: data)
        }
        print("wrote \(out): rates of \(rates.units) units for \(rates.rows) stimuli")
    }
}
