// swift-tools-version: 6.1
// The lab's micro-benchmarks (package-benchmark), a package of its own so that
// `swift build` / `swift test` of BucketLab never build package-benchmark.
// What each suite measures and how to check for regressions: README.md here.
import PackageDescription

let package = Package(
    name: "BucketLabBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "BucketLab", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/BenchmarkSupport"
        ),
    ] + ["Allocator", "MapOps", "Collector", "Ratios"].map { suite in
        .executableTarget(
            name: suite,
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BucketLab", package: "BucketLab"),
            ],
            path: "Benchmarks/\(suite)",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    }
)
