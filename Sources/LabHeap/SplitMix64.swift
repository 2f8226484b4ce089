// The lab's one seeded generator. Every random choice of the lab — map hash
// seeds and iterator starts, workload keys, stress operations, benchmark key
// sets, test sequences — comes from here, so a seed reproduces a run. The Go
// reference program (Reference/) ports the same two functions.

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): a Weyl sequence through the `mix` finalizer.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    @inlinable
    public init(seed: UInt64) { state = seed }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The finalizer (Stafford's "Mix13"): every input bit affects every
    /// output bit, so it serves as a bijective 64-bit hash as well — the map
    /// takes its bucket from the low bits and its tophash from the top ones.
    @inlinable @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
