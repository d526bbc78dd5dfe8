// A last line of defence against faults inside libhdf5 (docs/reliability.md). HDF5 1.10 can
// dereference wild addresses or divide by zero when a file's metadata is corrupt (found by the
// fuzzer: B-tree and global-heap reads, a zero chunk dimension). Such a fault cannot become a typed error, but the process can still say
// which file is damaged in one line and exit with status 1 instead of dying by a signal.
// Only faults whose instruction lies in a shared library (libhdf5 itself, or libc/libz called
// from it) are handled; a fault in our own code goes on to the previous handler (the Swift
// runtime's crash report) as before.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include "CKernels.h"

static char guard_message[4096];
static volatile sig_atomic_t guard_length = 0;
static struct sigaction previous_segv, previous_bus, previous_fpe;
static int guard_installed = 0;

static int in_library(const char *name) {
    return name && (strstr(name, "libhdf5") || strstr(name, "libc.so") || strstr(name, "libz.so") || strstr(name, "libsz") || strstr(name, "libaec"));
}

static void guard_handler(int sig, siginfo_t *info, void *context) {
    (void)info;
    void *pc = NULL;
#if defined(__x86_64__)
    pc = (void *)((ucontext_t *)context)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    pc = (void *)((ucontext_t *)context)->uc_mcontext.pc;
#endif
    Dl_info where;
    if (guard_length > 0 && pc && dladdr(pc, &where) && in_library(where.dli_fname)) {
        ssize_t written = write(2, guard_message, (size_t)guard_length);
        (void)written;
        _exit(1);
    }
    // Not ours to handle: restore the previous handler; the instruction faults again into it.
    sigaction(sig, sig == SIGSEGV ? &previous_segv : sig == SIGBUS ? &previous_bus : &previous_fpe, NULL);
}

void rcp_fault_guard_install(void) {
    if (guard_installed) return;
    guard_installed = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = guard_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous_segv);
    sigaction(SIGBUS, &sa, &previous_bus);
    sigaction(SIGFPE, &sa, &previous_fpe);
}

void rcp_fault_guard_set_message(const char *message) {
    size_t n = strlen(message);
    if (n > sizeof guard_message - 1) n = sizeof guard_message - 1;
    guard_length = 0;
    memcpy(guard_message, message, n);
    guard_length = (sig_atomic_t)n;
}

// Watchdog for reads that must be quick (attributes, string arrays): HDF5 1.10 can loop forever
// on a damaged global heap. If the read has not returned after `seconds`, the process writes the
// guard message and exits with status 1. SIGALRM is unblocked in the reading thread first: a process
// inherits its signal mask from whatever started it, and a parent that blocks SIGALRM (libdispatch's
// worker threads do, and so did the fuzz harness that found this) would otherwise disarm the watchdog.
static void watchdog_handler(int sig) {
    (void)sig;
    if (guard_length > 0) {
        ssize_t written = write(2, guard_message, (size_t)guard_length);
        (void)written;
    }
    _exit(1);
}

void rcp_fault_guard_watch(unsigned seconds) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    sigset_t alarm_only;
    sigemptyset(&alarm_only);
    sigaddset(&alarm_only, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &alarm_only, NULL);
    alarm(seconds);
}

void rcp_fault_guard_unwatch(void) { alarm(0); }
