#if BUCKETLAB_TSAN
import Glibc
#else
import Synchronization
#endif

/// The lock of every heap structure that has one (MHeap, MCentral, the root
/// registry, the type table). See MHeap.swift for the lock order.
///
/// It is Synchronization's `Mutex`, except in ThreadSanitizer builds
/// (scripts/sanitize defines BUCKETLAB_TSAN): on Linux a contended `Mutex`
/// waits in a priority-inheritance futex (FUTEX_LOCK_PI, seen with strace),
/// where the kernel hands the lock to the waiter without a user-space atomic
/// that TSan could observe, so TSan reported the critical sections of two
/// threads as racing. There the lock is a pthread mutex, whose lock and
/// unlock TSan intercepts, and TSan checks the lab's locking discipline.
package struct LabLock: ~Copyable, @unchecked Sendable {
    #if BUCKETLAB_TSAN
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func withLock<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
    #else
    private let mutex = Mutex<Void>(())

    package init() {}

    @inline(__always)
    package func withLock<R>(_ body: () -> R) -> R {
        // Mutex returns its result as `sending`; a pointer-holding result
        // of the caller's region is not, so it leaves through a local.
        var result: R?
        mutex.withLock { _ in result = body() }
        return result.unsafelyUnwrapped
    }
    #endif
}
