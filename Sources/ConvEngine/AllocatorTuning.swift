// Opt-in, process-wide allocator setting for training and inference executables.
import CKernels

public enum AllocatorTuning {
    /// Keeps freed large blocks (below 1 GiB) in the heap for reuse instead of giving each
    /// allocation its own mmap that is unmapped on free (glibc's default above ~32 MB).
    ///
    /// Without it every forward/backward pass page-faults its output tensors in again: measured on
    /// an 8.4 M-value activation (B = 64, 32×64×64), ReLU forward 50 → 4 ms, batch-norm forward
    /// 97 → 10 ms, ELU forward 59 → 7 ms, Conv2D backward (32→32, k7) 1.3 s → 0.37 s. The price is
    /// a resident size that stays at its peak (as with PyTorch's caching allocator). Call once at
    /// start-up, before large tensors are allocated. Returns false where it does not apply
    /// (not glibc).
    @discardableResult
    public static func retainLargeAllocations() -> Bool { rcp_retain_large_allocations() == 1 }
}
