import ConvEngine
import ReceptiveCLI

// Keep large freed blocks in the heap instead of returning them to the kernel: training allocates
// the same large activation tensors every step, and re-faulting them costs more than the math
// (see ConvEngine/AllocatorTuning.swift). Resident memory then stays at its peak, as with
// PyTorch's caching allocator.
AllocatorTuning.retainLargeAllocations()
ReceptiveCommand.main()
