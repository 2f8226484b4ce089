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

/// The helper threads of one collector's mark, started on first use and
/// parked between cycles (Go's mark workers are long-lived goroutines too):
/// a cycle costs a wake-up per helper, not a thread creation. The helpers
/// hold only the shared state, so the collector's going ends them.
final class MarkThreads: @unchecked Sendable {
    private final class Shared: @unchecked Sendable {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        /// The current cycle's work, its number, how many helpers take part
        /// and how many of them have not finished.
        var body: (@Sendable (Int) -> Void)?
        var generation = 0
        var helpers = 0
        var running = 0
        var exiting = false

        init() {
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(wake, nil)
            pthread_cond_init(done, nil)
        }

        deinit {
            pthread_cond_destroy(done)
            pthread_cond_destroy(wake)
            pthread_mutex_destroy(mutex)
            done.deallocate()
            wake.deallocate()
            mutex.deallocate()
        }

        /// A helper: waits for each cycle it takes part in, runs its share,
        /// and says so; returns once told to exit.
        func helperLoop(index: Int) {
            var seen = 0
            pthread_mutex_lock(mutex)
            while true {
                while generation == seen && !exiting { pthread_cond_wait(wake, mutex) }
                if exiting { break }
                seen = generation
                guard index <= helpers, let body else { continue }
                pthread_mutex_unlock(mutex)
                body(index)
                pthread_mutex_lock(mutex)
                running -= 1
                if running == 0 { pthread_cond_signal(done) }
            }
            pthread_mutex_unlock(mutex)
        }
    }

    private let shared = Shared()
    private var threads: [pthread_t] = []

    deinit {
        pthread_mutex_lock(shared.mutex)
        shared.exiting = true
        pthread_cond_broadcast(shared.wake)
        pthread_mutex_unlock(shared.mutex)
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Runs `body(0)` on the calling thread and `body(1) … body(n - 1)` on
    /// helpers, and returns when all have. One caller at a time (the
    /// collector's, world stopped).
    func run(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard n > 1 else { return body(0) }
        while threads.count < n - 1 { start(index: threads.count + 1) }
        let s = shared
        pthread_mutex_lock(s.mutex)
        s.body = body
        s.helpers = n - 1
        s.running = n - 1
        s.generation += 1
        pthread_cond_broadcast(s.wake)
        pthread_mutex_unlock(s.mutex)
        body(0)
        pthread_mutex_lock(s.mutex)
        while s.running > 0 { pthread_cond_wait(s.done, s.mutex) }
        s.body = nil
        pthread_mutex_unlock(s.mutex)
    }

    private func start(index: Int) {
        final class Start: @unchecked Sendable {
            let shared: Shared
            let index: Int
            init(_ shared: Shared, _ index: Int) {
                self.shared = shared
                self.index = index
            }
        }
        var thread = pthread_t()
        let arg = Unmanaged.passRetained(Start(shared, index)).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            start.shared.helperLoop(index: start.index)
            return nil
        }, arg)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        threads.append(thread)
    }
}
