// Telling AddressSanitizer what the lab heap has freed. See MHeap.swift.
//
// In sanitizer builds (BUCKETLAB_SYSTEM_PAGES, scripts/sanitize) spans come
// from aligned_alloc, so ASan knows their bounds — but a span the heap keeps
// for reuse, or a slot a sweep has freed inside a live span, is still memory
// ASan believes in use. These hooks poison what the lab frees (free slots of
// a fresh span, slots a sweep frees, whole spans back in the pool) and
// unpoison what it hands out, so a read of freed lab memory — an iterator
// standing in a swept bucket, say — is reported where it happens. The ASan
// entry points are looked up at run time: absent (a TSan build), the hooks do
// nothing. In normal builds they are not compiled at all.

#if BUCKETLAB_SYSTEM_PAGES
#if canImport(Glibc)
import Glibc
#endif

@usableFromInline
enum Poison {
    private typealias Hook = @convention(c) (UnsafeRawPointer?, Int) -> Void

    private static let hooks: (poison: Hook, unpoison: Hook)? = {
        guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_poison_memory_region"),
              let u = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_unpoison_memory_region") else { return nil }
        return (unsafeBitCast(p, to: Hook.self), unsafeBitCast(u, to: Hook.self))
    }()

    static func poison(_ p: UnsafeRawPointer, _ bytes: Int) { hooks?.poison(p, bytes) }
    @usableFromInline
    static func unpoison(_ p: UnsafeRawPointer, _ bytes: Int) { hooks?.unpoison(p, bytes) }

    /// Poisons every slot of `s` that is not allocated.
    static func poisonFreeSlots(_ s: UnsafeMutablePointer<SpanHeader>) {
        guard hooks != nil, !s.pointee.spanClass.isLarge else { return }
        let span = Span(s)
        for i in 0..<span.nelems where !span.isAllocated(i) { poison(span.objectAddress(i), span.elemsize) }
    }
}
#endif
