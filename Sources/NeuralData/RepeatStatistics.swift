// Repeat-averaged responses and per-unit repeat statistics of a set of stimuli.
//
// Notes (S stimuli, U units, n_s repeats of stimulus s, y_sr the response on repeat r; only stimuli
// with n_s ≥ 2 enter the variance statistics, "R" below is the set of their trials):
//   noise variance      σ²_noise = Σ_s Σ_r (y_sr − ȳ_s)² / Σ_s (n_s − 1)      (pooled, ddof 1)
//   total variance      σ²_total = Σ_R (y − ȳ)² / (|R| − 1)                      (over trials, ddof 1)
//   explainable var.    EV = 1 − σ²_noise / σ²_total                 (can be < 0 for pure noise)
//   oracle correlation  Pearson r over trials in R between y_sr and the mean of the other
//                       repeats of s, (n_s ȳ_s − y_sr)/(n_s − 1)    (leave-one-out oracle)
//   FEVE of predictions p_s: 1 − (MSE − σ²_noise)/(σ²_total − σ²_noise), MSE = mean_R (y_sr − p_s)²
// Undefined values (no repeated stimulus, zero variance) are NaN.
import Foundation
import Tensors

public struct RepeatStatistics {
    /// [S] the stimuli, in the order of the rows of `meanResponses`.
    public let stimuli: [Int]
    public let unitCount: Int
    /// [S] number of trials (repeats) of each stimulus.
    public let repeatCounts: [Int]
    /// [S, U] repeat-averaged response (0 for a stimulus no trial shows).
    public let meanResponses: [Float]
    /// Stimuli with at least two repeats, and the number of their trials.
    public let repeatedStimulusCount: Int
    public let repeatedTrialCount: Int
    /// [U] σ²_noise, σ²_total, EV and oracle r as defined above.
    public let noiseVariance: [Double]
    public let totalVariance: [Double]
    public let explainableVarianceFraction: [Double]
    public let oracleCorrelation: [Double]

    // Kept for FEVE: trials of repeated stimuli and the row of their stimulus in `stimuli`.
    private let repeatedTrials: [Int]
    private let repeatedRows: [Int]
    private let responses: [Float]

    /// Statistics of `stimuli` (e.g. `dataset.stimuli(in: .test)`) over all trials showing them.
    public init(dataset: Dataset, stimuli: [Int]) {
        self.init(responses: dataset.responses, unitCount: dataset.unitCount, stimulusIndex: dataset.stimulusIndex,
                  stimulusCount: dataset.stimulusCount, stimuli: stimuli)
    }

    /// - Parameters:
    ///   - responses: [T, U].
    ///   - stimulusIndex: [T] in 0..<stimulusCount.
    ///   - stimuli: [S] distinct stimulus indices.
    public init(responses: [Float], unitCount u: Int, stimulusIndex: [Int], stimulusCount: Int, stimuli: [Int]) {
        precondition(responses.count == stimulusIndex.count * u)
        self.stimuli = stimuli; unitCount = u; self.responses = responses
        let s = stimuli.count
        var row = [Int](repeating: -1, count: stimulusCount)
        for (k, n) in stimuli.enumerated() { precondition(row[n] == -1, "stimulus \(n) listed twice"); row[n] = k }
        let y = ResponseMatrix(rows: stimulusIndex.count, columns: u, values: responses)
        var counts = [Int](repeating: 0, count: s)
        var trialsOfRow = [[Int]](repeating: [], count: s)
        for (t, n) in stimulusIndex.enumerated() where row[n] >= 0 {
            let k = row[n]
            counts[k] += 1
            trialsOfRow[k].append(t)
        }
        // Means in double only for repeated stimuli (what the noise estimates below read); a
        // stimulus shown once has its trial as its mean (Float(Double(y)) = y), one shown never 0.
        var repeatedRow = [Int](repeating: -1, count: s)
        var repeatedOrder = 0
        for k in 0..<s where counts[k] >= 2 { repeatedRow[k] = repeatedOrder; repeatedOrder += 1 }
        var means = ResponseMatrix<Double>(rows: repeatedOrder, columns: u)
        var meanValues = [Float](repeating: 0, count: s * u)
        var sum = [Double](repeating: 0, count: u)
        for k in 0..<s where counts[k] > 0 {
            if counts[k] == 1 {
                let t = trialsOfRow[k][0]
                for j in 0..<u { meanValues[k * u + j] = y[t, j] }
                continue
            }
            for j in 0..<u { sum[j] = 0 }
            for t in trialsOfRow[k] { for j in 0..<u { sum[j] += Double(y[t, j]) } }
            let r = repeatedRow[k]
            for j in 0..<u {
                let m = sum[j] / Double(counts[k])
                means[r, j] = m
                meanValues[k * u + j] = Float(m)
            }
        }
        repeatCounts = counts
        meanResponses = meanValues

        var rTrials: [Int] = [], rRows: [Int] = []
        for k in 0..<s where counts[k] >= 2 { for t in trialsOfRow[k] { rTrials.append(t); rRows.append(k) } }
        repeatedTrials = rTrials; repeatedRows = rRows
        repeatedStimulusCount = counts.filter { $0 >= 2 }.count
        repeatedTrialCount = rTrials.count

        var noise = [Double](repeating: .nan, count: u), total = noise, ev = noise, oracle = noise
        let dof = counts.reduce(0) { $0 + ($1 >= 2 ? $1 - 1 : 0) }
        if dof > 0 && rTrials.count >= 2 {
            for j in 0..<u {
                var within = 0.0, sum = 0.0
                for (t, k) in zip(rTrials, rRows) {
                    let y = Double(y[t, j])
                    let d = y - means[repeatedRow[k], j]
                    within += d * d; sum += y
                }
                let grand = sum / Double(rTrials.count)
                var across = 0.0
                // Leave-one-out oracle and Pearson correlation in one pass over the repeated trials.
                var sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0
                for (t, k) in zip(rTrials, rRows) {
                    let y = Double(y[t, j])
                    across += (y - grand) * (y - grand)
                    let n = Double(counts[k])
                    let o = (n * means[repeatedRow[k], j] - y) / (n - 1)
                    sx += y; sy += o; sxx += y * y; syy += o * o; sxy += y * o
                }
                let m = Double(rTrials.count)
                noise[j] = within / Double(dof)
                total[j] = across / (m - 1)
                ev[j] = total[j] > 0 ? 1 - noise[j] / total[j] : .nan
                let cxx = sxx - sx * sx / m, cyy = syy - sy * sy / m, cxy = sxy - sx * sy / m
                oracle[j] = cxx > 0 && cyy > 0 ? cxy / (cxx * cyy).squareRoot() : .nan
            }
        }
        noiseVariance = noise; totalVariance = total; explainableVarianceFraction = ev; oracleCorrelation = oracle
    }

    /// [U] fraction of explainable variance explained by `predictions` [S, U] (one predicted mean
    /// response per stimulus, rows in the order of `stimuli`), over the trials of repeated stimuli.
    public func fractionOfExplainableVarianceExplained(predictions: [Float]) -> [Double] {
        precondition(predictions.count == stimuli.count * unitCount, "predictions must be [S, U]")
        let y = ResponseMatrix(rows: responses.count / max(unitCount, 1), columns: unitCount, values: responses)
        let predicted = ResponseMatrix(rows: stimuli.count, columns: unitCount, values: predictions)
        return (0..<unitCount).map { j in
            guard !repeatedTrials.isEmpty else { return .nan }
            var mse = 0.0
            for (t, k) in zip(repeatedTrials, repeatedRows) {
                let d = Double(y[t, j]) - Double(predicted[k, j])
                mse += d * d
            }
            mse /= Double(repeatedTrials.count)
            let explainable = totalVariance[j] - noiseVariance[j]
            return explainable > 0 ? 1 - (mse - noiseVariance[j]) / explainable : .nan
        }
    }
}
