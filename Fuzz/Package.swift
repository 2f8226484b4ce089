// swift-tools-version: 6.1
// libFuzzer targets (a package of its own, like Benchmarks/). Build and run
// with ../scripts/fuzz; see the README's Reliability section.
import PackageDescription

let package = Package(
    name: "BucketLabFuzz",
    dependencies: [.package(name: "BucketLab", path: "../")],
    targets: ["FuzzMap", "FuzzCSV", "FuzzPages", "FuzzTrace", "FuzzWorkload"].map { name in
        .executableTarget(
            name: name,
            dependencies: [.product(name: "BucketLab", package: "BucketLab")],
            // libFuzzer supplies main; the target only defines the entry point.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    }
)
