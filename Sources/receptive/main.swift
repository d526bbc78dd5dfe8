import ConvEngine
import ArgumentParser
import ReceptiveCLI

// Keep large freed blocks in the heap instead of returning them to the kernel: training allocates
// the same large activation tensors every step, and re-faulting them costs more than the math
// (see ConvEngine/AllocatorTuning.swift). Resident memory then stays at its peak, as with
// PyTorch's caching allocator.
AllocatorTuning.retainLargeAllocations()
// ReceptiveCommand.main(), with the notes of a successful command printed at its end and every
// refusal one line on stderr (ArgumentParser would add usage lines after a parse or validation
// error); --help, --version and help requests print as ArgumentParser prints them.
do {
    var command = try ReceptiveCommand.parseAsRoot()
    try EnvironmentOverrides.check()
    try command.run()
    CommandNotes.flush()
} catch {
    Refusal.exit(withError: error)
}
