// The process every suite runs in: without package-benchmark's malloc
// interposer, with deterministic hashing.
#if canImport(Glibc)
import Glibc

/// Restarts this benchmark process, when needed, without
/// `libMallocInterposerSwift.so` in LD_PRELOAD and with
/// SWIFT_DETERMINISTIC_HASHING set; call first thing in a suite's
/// `benchmarks` closure.
///
/// Deterministic hashing: Dictionary, the yardstick of the ratios, otherwise
/// seeds its hash per process, and its layout (probe lengths, which keys
/// share cache lines) with it; the lab map's seed is fixed already. Two runs
/// then compare the same layouts.
///
/// The interposer: package-benchmark's plugin preloads the interposer into every suite.
/// Its `free` decides whether it allocated a pointer by reading the 16 bytes
/// before it, and Swift 6.3 allocates through posix_memalign, which the
/// interposer hands straight to jemalloc untagged. A page-aligned block at
/// the start of a mapping then faults in `free` (SIGSEGV in
/// malloc_interposer_is_ours): rare in most programs, routine here, where
/// every lab heap creates and destroys a jemalloc arena and so unmaps
/// address space next to the process's other blocks. The suites record no
/// malloc counts, so nothing is lost. Registration runs before the runner
/// reads its command pipe, so restarting there is safe (the pipe
/// descriptors survive exec).
public func prepareBenchmarkProcess() {
    let preload = getenv("LD_PRELOAD").map { String(cString: $0) } ?? ""
    let interposed = preload.contains("libMallocInterposerSwift")
    let deterministic = getenv("SWIFT_DETERMINISTIC_HASHING") != nil
    guard interposed || !deterministic else { return }
    let kept = preload.split(separator: ":").filter { !$0.contains("libMallocInterposerSwift") }
    if kept.isEmpty { unsetenv("LD_PRELOAD") } else { setenv("LD_PRELOAD", kept.joined(separator: ":"), 1) }
    setenv("SWIFT_DETERMINISTIC_HASHING", "1", 1)
    let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", arguments)
    // execv returns only on failure: carry on as we are.
    perror("execv of the benchmark process")
}
#else
public func prepareBenchmarkProcess() {}
#endif
