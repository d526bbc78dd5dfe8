// Optimisers, gradient clipping and learning-rate schedules against PyTorch
// (Tests/Fixtures/torch_optim.h5, written by scripts/fixtures/torch_optim.py), hand-computed steps,
// and bit-exact checkpoint round trips.
//
// Tolerance for PyTorch comparisons: |ours − torch| ≤ 1e-6 + 1e-6·|torch| per element (parameters
// are O(1), so this is a relative 1e-6 of their scale). Differences come only from float32
// rounding order (fused vs separate multiply-add), a few ulps after 5 steps.
import XCTest
import Tensors
import TestSupport
import ConvEngine

final class OptimizerTests: XCTestCase {
    static let steps = 5
    let atol: Float = 1e-6, rtol: Float = 1e-6

    func openFixture() throws -> HDF5File { try HDF5File.open(TestPaths.fixture("torch_optim.h5")) }

    /// Initial parameters and the gradient sequence (per parameter: STEPS gradients).
    func loadProblem(_ f: HDF5File) throws -> (params: [Parameter], grads: [[Tensor]]) {
        var params: [Parameter] = [], grads: [[Tensor]] = []
        for k in 0..<3 {
            let v = try f.readTensor("/params/init/\(k)")
            params.append(Parameter(name: "p\(k)", value: v))
            let g = try f.readTensor("/params/grads/\(k)")
            grads.append((0..<Self.steps).map { s in g.slice(s..<(s + 1)).reshaped(v.shape) })
        }
        return (params, grads)
    }

    func makeOptimizer(_ f: HDF5File, config: String) throws -> Optimizer {
        let g = "/\(config)"
        let kind = try XCTUnwrap(f.stringAttribute("optimizer", at: g))
        let lr = Float(try XCTUnwrap(f.doubleAttribute("lr", at: g)))
        let wd = try XCTUnwrap(f.doubleAttribute("weight_decay", at: g))
        switch kind {
        case "SGD":
            return try SGD(learningRate: lr, momentum: try XCTUnwrap(f.doubleAttribute("momentum", at: g)),
                           dampening: try XCTUnwrap(f.doubleAttribute("dampening", at: g)),
                           nesterov: try XCTUnwrap(f.doubleAttribute("nesterov", at: g)) != 0, weightDecay: wd)
        case "Adam", "AdamW":
            let b1 = try XCTUnwrap(f.doubleAttribute("beta1", at: g)), b2 = try XCTUnwrap(f.doubleAttribute("beta2", at: g))
            let eps = try XCTUnwrap(f.doubleAttribute("eps", at: g))
            return kind == "Adam"
                ? try Adam(learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd)
                : try AdamW(learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd)
        default:
            struct UnknownOptimizer: Error, CustomStringConvertible { let description: String }
            throw UnknownOptimizer(description: "unknown optimizer \(kind) in the fixture: the test must cover every optimizer the fixture holds")
        }
    }

    /// Runs one fixture configuration and compares every step's parameters and the final state.
    func checkAgainstTorch(_ config: String, stateSlots: [String]) throws {
        let f = try openFixture()
        let (params, grads) = try loadProblem(f)
        let opt = try makeOptimizer(f, config: config)
        let references = try (0..<3).map { try f.readTensor("/\(config)/params/\($0)") }
        for s in 0..<Self.steps {
            for (k, p) in params.enumerated() { p.grad = grads[k][s] }
            opt.step(params)
            for (k, p) in params.enumerated() {
                let ref = references[k].slice(s..<(s + 1))
                let r = compareArrays("\(config) step \(s + 1) param \(k)", p.value.data, ref.data, atol: atol, rtol: rtol)
                XCTAssertTrue(r.ok, "\(config) step \(s + 1) param \(k)")
            }
        }
        XCTAssertEqual(opt.stepCount, Self.steps)
        let state = opt.stateTensors()
        for k in 0..<3 {
            for slot in stateSlots {
                let ref = try f.readTensor("/\(config)/state/\(k)/\(slot)")
                let ours = try XCTUnwrap(state["\(k).\(slot)"], "missing state \(k).\(slot)")
                XCTAssertEqual(ours.shape, params[k].value.shape)
                let r = compareArrays("\(config) state \(k).\(slot)", ours.data, ref.data, atol: atol, rtol: rtol)
                XCTAssertTrue(r.ok, "\(config) state \(k).\(slot)")
            }
        }
    }

    // MARK: PyTorch fixtures

    func testSGDPlainMatchesTorch() throws { try checkAgainstTorch("sgd_plain", stateSlots: []) }
    func testSGDWeightDecayWithoutMomentumMatchesTorch() throws { try checkAgainstTorch("sgd_weight_decay_plain", stateSlots: []) }
    func testSGDMomentumDampeningMatchesTorch() throws { try checkAgainstTorch("sgd_momentum", stateSlots: ["momentum_buffer"]) }
    func testSGDNesterovMatchesTorch() throws { try checkAgainstTorch("sgd_nesterov", stateSlots: ["momentum_buffer"]) }
    func testSGDWeightDecayMatchesTorch() throws { try checkAgainstTorch("sgd_weight_decay", stateSlots: ["momentum_buffer"]) }
    func testAdamMatchesTorch() throws { try checkAgainstTorch("adam", stateSlots: ["exp_avg", "exp_avg_sq"]) }
    func testAdamWeightDecayMatchesTorch() throws { try checkAgainstTorch("adam_weight_decay", stateSlots: ["exp_avg", "exp_avg_sq"]) }
    /// β1 < 0.5 takes the other branch of torch's lerp.
    func testAdamLowBeta1MatchesTorch() throws { try checkAgainstTorch("adam_beta1_low", stateSlots: ["exp_avg", "exp_avg_sq"]) }
    func testAdamWMatchesTorch() throws { try checkAgainstTorch("adamw", stateSlots: ["exp_avg", "exp_avg_sq"]) }

    func testPlainSGDHasNoState() throws {
        let f = try openFixture()
        let (params, grads) = try loadProblem(f)
        let opt = try SGD(learningRate: 0.1)
        for (k, p) in params.enumerated() { p.grad = grads[k][0] }
        opt.step(params)
        XCTAssertEqual(Set(opt.stateTensors().keys), ["learning_rate", "step_count"])
    }

    // MARK: hand-computed cases

    func testSGDHandComputed() throws {
        // θ = [1, −2], g = [0.5, 0.25], η = 0.1, μ = 0.9, λ = 0.1.
        let p = Parameter(name: "w", value: Tensor(shape: [2], data: [1, -2]))
        p.grad = Tensor(shape: [2], data: [0.5, 0.25])
        let opt = try SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.1)
        opt.step([p])
        // g' = g + λθ = [0.6, 0.05]; b = g'; θ = θ − η b = [0.94, −2.005]
        XCTAssertEqual(p.value.data[0], 0.94, accuracy: 1e-6)
        XCTAssertEqual(p.value.data[1], -2.005, accuracy: 1e-6)
        opt.step([p])
        // g' = [0.5 + 0.094, 0.25 − 0.2005] = [0.594, 0.0495]; b = 0.9·[0.6, 0.05] + g' = [1.134, 0.0945]
        // θ = [0.94 − 0.1134, −2.005 − 0.00945] = [0.8266, −2.01445]
        XCTAssertEqual(p.value.data[0], 0.8266, accuracy: 1e-6)
        XCTAssertEqual(p.value.data[1], -2.01445, accuracy: 1e-6)
    }

    func testAdamFirstStepIsSignedLearningRate() throws {
        // On step 1, m̂ = g and v̂ = g², so θ moves by −η·g/(|g| + ε) ≈ −η·sign(g) for |g| ≫ ε.
        let p = Parameter(name: "w", value: Tensor(shape: [3], data: [0.5, 0.5, 0.5]))
        p.grad = Tensor(shape: [3], data: [3, -0.01, 0])
        let opt = try Adam(learningRate: 0.01)
        opt.step([p])
        XCTAssertEqual(p.value.data[0], 0.49, accuracy: 1e-6)
        XCTAssertEqual(p.value.data[1], 0.51, accuracy: 1e-6)
        XCTAssertEqual(p.value.data[2], 0.5)   // zero gradient: m = 0, no move
    }

    func testAdamWDecaysWithZeroGradient() throws {
        let p = Parameter(name: "w", value: Tensor(shape: [2], data: [2, -4]))
        let opt = try AdamW(learningRate: 0.1, weightDecay: 0.5)
        opt.step([p])   // grad is zero: θ ← θ(1 − ηλ) = 0.95 θ, and the Adam term is 0
        XCTAssertEqual(p.value.data, [1.9, -3.8])
    }

    func testNonTrainableParametersAreSkipped() throws {
        for make in optimizerFactories() {
            let frozen = Parameter(name: "frozen", value: Tensor(shape: [3], data: [1, 2, 3]))
            frozen.trainable = false
            frozen.grad = Tensor(shape: [3], data: [1, 1, 1])
            let live = Parameter(name: "live", value: Tensor(shape: [2], data: [1, 1]))
            live.grad = Tensor(shape: [2], data: [1, -1])
            let opt = try make()
            opt.step([frozen, live])
            opt.step([frozen, live])
            XCTAssertEqual(frozen.value.data, [1, 2, 3], "\(type(of: opt)) changed a frozen parameter")
            XCTAssertNotEqual(live.value.data, [1, 1])
            XCTAssertFalse(opt.stateTensors().keys.contains { $0.hasPrefix("0.") }, "\(type(of: opt)) kept state for a frozen parameter")
            let before = live.grad
            clipGradientValue([frozen, live], clipValue: 0.5)
            XCTAssertEqual(frozen.grad.data, [1, 1, 1])
            XCTAssertEqual(live.grad.data, before.data.map { min(max($0, -0.5), 0.5) })
        }
    }

    // MARK: checkpoints

    func optimizerFactories() -> [() throws -> Optimizer] {
        [
            { try SGD(learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3) },
            { try SGD(learningRate: 0.05, momentum: 0.9, nesterov: true) },
            { try Adam(learningRate: 1e-2, weightDecay: 1e-2) },
            { try AdamW(learningRate: 1e-2, beta1: 0.3) },
        ]
    }

    /// Model-like parameter list: a conv weight, a bias, a frozen tensor and a linear weight.
    func makeParameters(seed: UInt64) -> [Parameter] {
        var rng = SeededRandom(seed: seed)
        let ps = [Parameter(name: "conv.weight", value: rng.normalTensor([6, 3, 5, 5])),
                  Parameter(name: "conv.bias", value: rng.normalTensor([6])),
                  Parameter(name: "frozen", value: rng.normalTensor([4, 4])),
                  Parameter(name: "linear.weight", value: rng.normalTensor([10, 37]))]
        ps[2].trainable = false
        return ps
    }

    func setGradients(_ ps: [Parameter], step: Int) {
        var rng = SeededRandom.derived(seed: 99, stream: UInt64(step))
        for p in ps { p.grad = rng.normalTensor(p.value.shape) }
    }

    func testStateExportImportResumesBitForBit() throws {
        let total = 9, split = 4
        for make in optimizerFactories() {
            // Reference: `total` uninterrupted steps.
            let a = makeParameters(seed: 7)
            let optA = try make()
            for s in 0..<total { setGradients(a, step: s); optA.step(a) }

            // Interrupted: `split` steps, export, fresh parameters and optimiser, import, the rest.
            let b = makeParameters(seed: 7)
            let optB = try make()
            for s in 0..<split { setGradients(b, step: s); optB.step(b) }
            let saved = optB.stateTensors()
            let savedValues = b.map { $0.value }
            let c = makeParameters(seed: 12345)   // different values, same shapes
            for (p, v) in zip(c, savedValues) { p.value = v }
            let optC = try make()
            optC.learningRate = 123   // overwritten by the checkpoint
            try optC.loadState(saved, parameters: c)
            XCTAssertEqual(optC.stepCount, split)
            for s in split..<total { setGradients(c, step: s); optC.step(c) }

            for (pa, pc) in zip(a, c) {
                XCTAssertTrue(pa.value == pc.value, "\(type(of: optA)) \(pa.name): resumed run differs (max |diff| \(Tensor.maxAbsDifference(pa.value, pc.value)))")
            }
            let stateA = optA.stateTensors(), stateC = optC.stateTensors()
            XCTAssertEqual(Set(stateA.keys), Set(stateC.keys), "\(type(of: optA)) state entries differ after resuming")
            for (key, t) in stateA {
                guard let u = stateC[key] else { continue }
                XCTAssertTrue(t == u, "\(type(of: optA)) state '\(key)' differs after resuming")
            }
            XCTAssertEqual(optC.stepCount, total)
        }
    }

    func testLoadStateRejectsMismatchedCheckpoints() throws {
        let ps = makeParameters(seed: 1)
        setGradients(ps, step: 0)
        let adam = try Adam()
        adam.step(ps)
        let good = adam.stateTensors()

        var wrongShape = good
        wrongShape["3.exp_avg"] = Tensor(shape: [37, 10])
        XCTAssertThrowsError(try (try Adam()).loadState(wrongShape, parameters: ps)) { e in
            XCTAssertEqual(e as? OptimizerStateError,
                           .shapeMismatch(optimizer: "Adam", key: "3.exp_avg", expected: [10, 37], found: [37, 10]))
            XCTAssertTrue("\(e)".contains("3.exp_avg"), "\(e)")
        }
        var missing = good
        missing["1.exp_avg_sq"] = nil
        XCTAssertThrowsError(try (try Adam()).loadState(missing, parameters: ps)) { e in
            XCTAssertEqual(e as? OptimizerStateError, .missing(optimizer: "Adam", key: "1.exp_avg_sq"))
        }
        // Checkpoint of a 4-parameter model into a 2-parameter model.
        XCTAssertThrowsError(try (try Adam()).loadState(good, parameters: Array(ps.prefix(2)))) { e in
            XCTAssertEqual(e as? OptimizerStateError, .unexpected(optimizer: "Adam", key: "3.exp_avg"))
        }
        var badStep = good
        badStep["0.step"] = Tensor(shape: [1], data: [2.5])
        XCTAssertThrowsError(try (try Adam()).loadState(badStep, parameters: ps)) { e in
            XCTAssertEqual(e as? OptimizerStateError, .invalidValue(optimizer: "Adam", key: "0.step", value: 2.5, requirement: "a non-negative integer"))
        }
        // SGD state into Adam.
        let sgd = try SGD(learningRate: 0.1, momentum: 0.9)
        sgd.step(ps)
        XCTAssertThrowsError(try (try Adam()).loadState(sgd.stateTensors(), parameters: ps)) { e in
            XCTAssertEqual(e as? OptimizerStateError, .unexpected(optimizer: "Adam", key: "0.momentum_buffer"))
        }
        // A failed load leaves the optimiser untouched.
        let fresh = try Adam(learningRate: 0.5)
        XCTAssertThrowsError(try fresh.loadState(badStep, parameters: ps))
        XCTAssertEqual(fresh.learningRate, 0.5)
        XCTAssertEqual(fresh.stepCount, 0)
        XCTAssertEqual(Set(fresh.stateTensors().keys), ["learning_rate", "step_count"])
    }

    func testConfigurationErrors() {
        XCTAssertThrowsError(try SGD(learningRate: -1)) { e in XCTAssertTrue("\(e)".contains("learning rate"), "\(e)") }
        XCTAssertThrowsError(try SGD(learningRate: 0.1, nesterov: true)) { e in
            XCTAssertEqual("\(e)", "SGD: momentum = 0.0 is invalid; it must be > 0 with Nesterov momentum")
        }
        XCTAssertThrowsError(try SGD(learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true))
        XCTAssertThrowsError(try Adam(beta1: 1))
        XCTAssertThrowsError(try AdamW(beta2: -0.1)) { e in XCTAssertTrue("\(e)".hasPrefix("AdamW: beta2"), "\(e)") }
        XCTAssertThrowsError(try Adam(epsilon: -1e-8))
        XCTAssertThrowsError(try AdamW(weightDecay: .nan))
        XCTAssertThrowsError(try StepLR(stepSize: 0))
        XCTAssertThrowsError(try ReduceLROnPlateau(factor: 1))
        XCTAssertThrowsError(try ReduceLROnPlateau(patience: -1))
    }

    // MARK: gradient clipping

    func loadClipGradients(_ f: HDF5File, _ group: String) throws -> [Tensor] {
        try (0..<3).map { try f.readTensor("\(group)/grads/\($0)") }
    }

    func testClipGradientNormMatchesTorch() throws {
        let f = try openFixture()
        let base = try loadClipGradients(f, "/clip")
        for (key, maxNorm) in [("max1", Float(1)), ("max100", Float(100))] {
            let ps = base.enumerated().map { (k, g) -> Parameter in
                let p = Parameter(name: "p\(k)", value: Tensor(shape: g.shape)); p.grad = g; return p
            }
            let norm = clipGradientNorm(ps, maxNorm: maxNorm)
            let refNorm = try f.readFloats("/clip/\(key)/norm").values[0]
            XCTAssertTrue(compareArrays("clip \(key) norm", [norm], [refNorm], atol: 0, rtol: 1e-6).ok)
            let refs = try loadClipGradients(f, "/clip/\(key)")
            for (k, p) in ps.enumerated() {
                XCTAssertTrue(compareArrays("clip \(key) grad \(k)", p.grad.data, refs[k].data, atol: atol, rtol: rtol).ok)
            }
        }
    }

    func testClipGradientValueMatchesTorch() throws {
        let f = try openFixture()
        let base = try loadClipGradients(f, "/clip")
        let refs = try loadClipGradients(f, "/clip/value")
        for (k, g) in base.enumerated() {
            let p = Parameter(name: "p\(k)", value: Tensor(shape: g.shape)); p.grad = g
            clipGradientValue([p], clipValue: 0.5)
            XCTAssertTrue(compareArrays("clip value grad \(k)", p.grad.data, refs[k].data, atol: 0, rtol: 0).ok)
        }
    }

    func testClipGradientNormHandComputed() {
        let p = Parameter(name: "a", value: Tensor(shape: [2]))
        let q = Parameter(name: "b", value: Tensor(shape: [1]))
        p.grad = Tensor(shape: [2], data: [3, 0])
        q.grad = Tensor(shape: [1], data: [-4])
        let norm = clipGradientNorm([p, q], maxNorm: 1)   // ‖(3, 0, −4)‖ = 5
        XCTAssertEqual(norm, 5)
        XCTAssertEqual(p.grad.data[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(q.grad.data[0], -0.8, accuracy: 1e-6)
        let unclipped = clipGradientNorm([p, q], maxNorm: 10)
        XCTAssertEqual(unclipped, 1, accuracy: 1e-6)
        XCTAssertEqual(q.grad.data[0], -0.8, accuracy: 1e-6)
    }

    func testClipGradientValueKeepsNaNAndInfinity() {
        // 20 values: the SIMD body (16) and the scalar tail (4) both see NaN and ±∞.
        var values = (0..<20).map { Float($0 - 10) * 0.1 }
        values[3] = .nan; values[5] = .infinity; values[17] = .nan; values[18] = -.infinity
        let p = Parameter(name: "a", value: Tensor(shape: [20]))
        p.grad = Tensor(shape: [20], data: values)
        clipGradientValue([p], clipValue: 0.25)
        for (i, x) in values.enumerated() {
            let y = p.grad.data[i]
            if x.isNaN { XCTAssertTrue(y.isNaN, "element \(i)") } else { XCTAssertEqual(y, min(max(x, -0.25), 0.25), "element \(i)") }
        }
    }

    // MARK: learning-rate schedules

    func testStepLRMatchesTorch() throws {
        let f = try openFixture()
        let g = "/schedules/step_lr"
        let ref = try f.readDoubles("\(g)/lrs").values
        let opt = try SGD(learningRate: Float(try XCTUnwrap(f.doubleAttribute("base_lr", at: g))))
        let schedule = try StepLR(stepSize: Int(try XCTUnwrap(f.doubleAttribute("step_size", at: g))),
                                  gamma: try XCTUnwrap(f.doubleAttribute("gamma", at: g)))
        var lrs: [Double] = []
        for _ in ref { schedule.step(optimizer: opt); lrs.append(Double(opt.learningRate)) }
        XCTAssertTrue(compareArrays("StepLR lrs", lrs, ref, atol: 0, rtol: 1e-6).ok)
    }

    func makePlateau(_ f: HDF5File, _ g: String) throws -> (ReduceLROnPlateau, Float) {
        let mode = try XCTUnwrap(ReduceLROnPlateau.Mode(rawValue: try XCTUnwrap(f.stringAttribute("mode", at: g))))
        let tmode = try XCTUnwrap(ReduceLROnPlateau.ThresholdMode(rawValue: try XCTUnwrap(f.stringAttribute("threshold_mode", at: g))))
        let schedule = try ReduceLROnPlateau(
            mode: mode, factor: try XCTUnwrap(f.doubleAttribute("factor", at: g)),
            patience: Int(try XCTUnwrap(f.doubleAttribute("patience", at: g))),
            threshold: try XCTUnwrap(f.doubleAttribute("threshold", at: g)), thresholdMode: tmode,
            cooldown: Int(try XCTUnwrap(f.doubleAttribute("cooldown", at: g))),
            minLR: try XCTUnwrap(f.doubleAttribute("min_lr", at: g)))
        return (schedule, Float(try XCTUnwrap(f.doubleAttribute("base_lr", at: g))))
    }

    func testReduceLROnPlateauMatchesTorch() throws {
        let f = try openFixture()
        for name in ["min_rel", "max_rel", "max_abs"] {
            let g = "/schedules/plateau_\(name)"
            let (schedule, baseLR) = try makePlateau(f, g)
            let opt = try Adam(learningRate: baseLR)
            let metrics = try f.readDoubles("\(g)/metrics").values
            var lrs: [Double] = [], best: [Double] = [], bad: [Double] = [], cool: [Double] = []
            for m in metrics {
                schedule.step(metric: m, optimizer: opt)
                lrs.append(Double(opt.learningRate)); best.append(schedule.best)
                bad.append(Double(schedule.badEpochs)); cool.append(Double(schedule.cooldownCounter))
            }
            XCTAssertTrue(compareArrays("plateau \(name) lrs", lrs, try f.readDoubles("\(g)/lrs").values, atol: 0, rtol: 1e-6).ok)
            XCTAssertEqual(best, try f.readDoubles("\(g)/best").values, "plateau \(name) best")
            XCTAssertEqual(bad, try f.readDoubles("\(g)/num_bad_epochs").values, "plateau \(name) bad epochs")
            XCTAssertEqual(cool, try f.readDoubles("\(g)/cooldown_counter").values, "plateau \(name) cooldown")
            XCTAssertGreaterThan(Set(lrs).count, 1, "fixture \(name) never reduces the learning rate")
        }
    }

    func testScheduleStateResumes() throws {
        let f = try openFixture()
        let g = "/schedules/plateau_min_rel"
        let metrics = try f.readDoubles("\(g)/metrics").values
        let (full, baseLR) = try makePlateau(f, g)
        let optFull = try SGD(learningRate: baseLR)
        for m in metrics { full.step(metric: m, optimizer: optFull) }

        for split in [1, 4, 9, 17] {
            let (first, _) = try makePlateau(f, g)
            let opt = try SGD(learningRate: baseLR)
            for m in metrics[..<split] { first.step(metric: m, optimizer: opt) }
            let (second, _) = try makePlateau(f, g)
            try second.loadState(first.stateValues())
            let opt2 = try SGD(learningRate: 1)
            try opt2.loadState(opt.stateTensors(), parameters: [])
            for m in metrics[split...] { second.step(metric: m, optimizer: opt2) }
            XCTAssertEqual(opt2.learningRate, optFull.learningRate, "split \(split)")
            XCTAssertEqual(second.stateValues(), full.stateValues(), "split \(split)")
        }

        let step = try StepLR(stepSize: 3, gamma: 0.5)
        XCTAssertThrowsError(try step.loadState(["epoch": 2.5])) { e in
            XCTAssertEqual(e as? ScheduleStateError, .invalidValue(schedule: "StepLR", key: "epoch", value: 2.5, requirement: "a non-negative integer"))
        }
        XCTAssertThrowsError(try full.loadState(["best": 1])) { e in
            XCTAssertEqual(e as? ScheduleStateError, .missing(schedule: "ReduceLROnPlateau", key: "bad_epochs"))
        }
        XCTAssertThrowsError(try step.loadState(["epoch": 2, "best": 0])) { e in
            XCTAssertEqual(e as? ScheduleStateError, .unexpected(schedule: "StepLR", key: "best"))
        }
    }
}
