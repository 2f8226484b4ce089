// swift-tools-version: 6.1
import PackageDescription

// Debug builds (and so `swift test`) run the internal invariant checks;
// release builds compile them out, as swift-collections does.
let internalChecks: SwiftSetting = .define("BUCKETLAB_INTERNAL_CHECKS", .when(configuration: .debug))

// Sanitizer builds set BUCKETLAB_SYSTEM_PAGES=1 (scripts/sanitize): jemalloc's
// malloc and a sanitizer's cannot share a process, so jemalloc is not linked
// and the lab heap takes its spans from aligned_alloc instead.
let systemPages = Context.environment["BUCKETLAB_SYSTEM_PAGES"] != nil
let pageSource: [Target.Dependency] = systemPages ? [] : ["CJemalloc"]
// ... and the heap tells AddressSanitizer what it frees (LabHeap/Poison.swift).
let poisoning: [SwiftSetting] = systemPages ? [.define("BUCKETLAB_SYSTEM_PAGES")] : []
// ThreadSanitizer builds also set BUCKETLAB_TSAN=1: the heap's locks become
// pthread mutexes, which TSan sees (LabHeap/LabLock.swift says why).
let tsanLocks: [SwiftSetting] = Context.environment["BUCKETLAB_TSAN"] != nil ? [.define("BUCKETLAB_TSAN")] : []

// One target per tier, each importing only those below it (the compiler
// enforces the layering; `package` access is what crosses a boundary):
//
//   LabHeap       size classes, spans, MCache/MCentral/MHeap, page map, jemalloc
//                 arena, object types, the root registry, the seeded generator
//   LabMaps       the map-model seam, the classic Go 1.19 bucket map, the Swiss
//                 tables of Go 1.24+, strategies
//   LabCollector  mark, sweep, relocation, pacer, cycle statistics (and
//                 CLabIntrinsics, a header of compiler intrinsics: prefetch)
//   BucketLab     the lab: workloads, suite, measurements, result files, report,
//                 charts; re-exports the tiers below (the public product)
//   bucketlab     the command line
let package = Package(
    name: "BucketLab",
    products: [
        .library(name: "BucketLab", targets: ["BucketLab"]),
        .executable(name: "bucketlab", targets: ["bucketlab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        .target(name: "LabHeap", dependencies: pageSource, swiftSettings: [internalChecks] + poisoning + tsanLocks),
        .target(name: "LabMaps", dependencies: ["LabHeap"], swiftSettings: [internalChecks]),
        .target(name: "CLabIntrinsics"),
        .target(name: "LabCollector", dependencies: ["LabHeap", "LabMaps", "CLabIntrinsics"], swiftSettings: [internalChecks]),
        .target(
            name: "BucketLab",
            dependencies: [
                "LabHeap", "LabMaps", "LabCollector", "CLabIntrinsics",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            // The built-in workloads, as workload files (Workloads/NN-name.json).
            resources: [.copy("Workloads")],
            swiftSettings: [internalChecks]
        ),
        .executableTarget(
            name: "bucketlab",
            dependencies: [
                "BucketLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "BucketLabTests",
            dependencies: [
                "BucketLab",
                // Built alongside so the CLI tests can run it.
                "bucketlab",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            // Read through #filePath, not bundled.
            exclude: ["Fixtures"],
            swiftSettings: [internalChecks]
        ),
    ]
)
