// Thresholds shared by the suites (see Benchmarks/README.md).
import Benchmark

/// Absolute times are only ever compared within one session on one machine
/// (`scripts/bench-check` runs the base and the change back to back): flag a
/// regression when the median moves by over 20%. Tails are left out: they
/// carry the shared machine's hiccups, not the code. Byte counts keep
/// package-benchmark's default (5% on p25/p50/p75).
public var absoluteTime: BenchmarkThresholds { BenchmarkThresholds(relative: [.p50: 20]) }
