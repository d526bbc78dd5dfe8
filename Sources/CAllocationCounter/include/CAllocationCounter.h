// Counts the heap allocations a process makes while counting is on: for tests and benchmarks
// that check a training step allocates nothing (docs/performance.md, "Allocation per step").
// Linked only into the test bundle and receptive-bench, never into `receptive`.
#ifndef RCP_ALLOCATION_COUNTER_H
#define RCP_ALLOCATION_COUNTER_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t count;          // allocations of any size (malloc, calloc, realloc, aligned)
    uint64_t bytes;          // bytes requested by them
    uint64_t large_count;    // allocations of at least the threshold
    uint64_t large_bytes;
    uint64_t largest;        // largest single request
} rcp_allocation_counts;

// 1 when this process's allocations pass through the counter (glibc, and the counter's malloc
// is the one the process binds to); 0 where counts would always read zero.
int rcp_allocation_counter_active(void);
// Starts counting from zero; `large_threshold` bytes and up also count as large. All threads.
void rcp_allocation_counting_begin(size_t large_threshold);
// Stops counting and returns the counts since begin.
rcp_allocation_counts rcp_allocation_counting_end(void);

#endif
