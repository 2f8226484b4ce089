// The mark workers: threads that drain the mark together, and the pool of
// work they hand each other. See Collector.swift for the overview.
//
// After Go's gcWork (mgcwork.go): each worker scans from a local stack; when
// another worker is idle it gives the older half of that stack to a shared
// pool (Go moves whole work buffers to its global list), and a worker whose
// stack runs dry takes a batch from the pool, or waits. Marking ends when every
// worker waits and the pool is empty — Go's termination condition (no
// worker busy, no work queued), checked under the pool's lock.

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The number of cores this process may run on: the default for mark workers.
public var onlineCores: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

/// Batches of scan jobs passed between workers.
final class MarkPool: @unchecked Sendable {
    let workers: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var batches: [[ScanJob]] = []
    private var idle = 0
    private var finished = false
    /// Set while more workers wait than batches are queued; read by busy
    /// workers between jobs, without the lock.
    private let hungry = Atomic<Bool>(false)

    init(workers: Int) {
        self.workers = workers
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Whether some worker waits for work.
    @inline(__always)
    var wantsWork: Bool { hungry.load(ordering: .relaxed) }

    /// Queues a batch for a waiting worker.
    func give(_ batch: [ScanJob]) {
        pthread_mutex_lock(mutex)
        batches.append(batch)
        hungry.store(idle > batches.count, ordering: .relaxed)
        pthread_cond_signal(cond)
        pthread_mutex_unlock(mutex)
    }

    /// A batch to scan, waiting for one while other workers still scan; nil
    /// once every worker waits and nothing is queued (the mark is done).
    func take() -> [ScanJob]? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        idle += 1
        while batches.isEmpty && !finished {
            if idle == workers {
                finished = true
                pthread_cond_broadcast(cond)
                break
            }
            hungry.store(true, ordering: .relaxed)
            pthread_cond_wait(cond, mutex)
        }
        if finished { return nil }
        idle -= 1
        let batch = batches.removeLast()
        hungry.store(idle > batches.count, ordering: .relaxed)
        return batch
    }
}

/// Runs `body(0)` on the calling thread and `body(1) … body(n - 1)` on threads
/// of their own, and returns when all have.
func runOnThreads(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Start: @unchecked Sendable {
        let body: @Sendable (Int) -> Void
        let index: Int
        init(_ body: @escaping @Sendable (Int) -> Void, _ index: Int) {
            self.body = body
            self.index = index
        }
    }
    var threads: [pthread_t] = []
    for i in 1..<max(n, 1) {
        var thread = pthread_t()
        let start = Unmanaged.passRetained(Start(body, i)).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            start.body(start.index)
            return nil
        }, start)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        threads.append(thread)
    }
    body(0)
    for thread in threads { pthread_join(thread, nil) }
}
