// Roots: where the heap's objects are reachable from. Swift stacks are not
// scanned, so a root is always explicit, and every one lives here, in the
// heap, below every tier that makes them: a map registers itself when it is
// made (whether or not a collector exists yet), a pin is an address held from
// outside. A collector, above, only reads this registry. See MHeap.swift.

/// Why an object is reachable: the root that holds it.
public enum RootKind: String, Sendable, CaseIterable {
    /// A live map's own header.
    case map
    /// An open iterator: the storage it walks (a bucket array, a table).
    case iterator
    /// An outside pointer (`RootRegistry.pin`), interior ones included.
    case pin
    /// A finalizer or cleanup the collector holds (LabCollector's
    /// Collector+Finalizers.swift): what a finalizable object points to, a
    /// queued finalizer's object, a cleanup's argument.
    case finalizer
}

/// Something outside the heap that keeps heap objects alive while it lives
/// (a map, with its open iterators). The registry holds it weakly.
public protocol RootHolder: AnyObject {
    /// Calls `body` with every heap address this holder keeps alive and why.
    func forEachRoot(_ body: (UnsafeRawPointer, RootKind) -> Void)
}

/// The heap's roots: weakly held root holders and counted pins.
public final class RootRegistry: @unchecked Sendable {
    private struct WeakHolder {
        weak var holder: (any RootHolder)?
    }

    private let lock = LabLock()
    private var holders: [ObjectIdentifier: WeakHolder] = [:]
    private var pins: [UInt: Int] = [:]

    init() {}

    /// Makes `holder` a root for as long as it lives.
    public func register(_ holder: any RootHolder) {
        lock.withLock { holders[ObjectIdentifier(holder)] = WeakHolder(holder: holder) }
    }

    /// Stops `holder` being a root while it lives on (a map only a heap
    /// object still points to).
    public func unregister(_ holder: any RootHolder) {
        lock.withLock { holders[ObjectIdentifier(holder)] = nil }
    }

    /// The holders still alive (dead entries are dropped on the way).
    public var liveHolders: [any RootHolder] {
        lock.withLock {
            holders = holders.filter { $0.value.holder != nil }
            return holders.values.compactMap(\.holder)
        }
    }

    /// Roots the object containing `address` (interior addresses included)
    /// until a matching `unpin`. Pins nest.
    public func pin(_ address: UnsafeRawPointer) {
        lock.withLock { pins[UInt(bitPattern: address), default: 0] += 1 }
    }

    public func unpin(_ address: UnsafeRawPointer) {
        lock.withLock {
            let key = UInt(bitPattern: address)
            guard let n = pins[key] else { preconditionFailure("unpin of an address that is not pinned") }
            pins[key] = n == 1 ? nil : n - 1
        }
    }

    /// Pins in force, counting nested ones.
    public var pinCount: Int { lock.withLock { pins.values.reduce(0, +) } }

    /// Every root address with its kind: the holders' roots, then the pins
    /// (world stopped).
    public func forEachRoot(_ body: (UnsafeRawPointer, RootKind) -> Void) {
        for holder in liveHolders { holder.forEachRoot(body) }
        let pinned = lock.withLock { Array(pins.keys) }
        for address in pinned { body(UnsafeRawPointer(bitPattern: address)!, .pin) }
    }
}
