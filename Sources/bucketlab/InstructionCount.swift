import ArgumentParser
import BucketLab

/// The fixed workload `scripts/icount-check` runs under callgrind. Not meant
/// to be typed by hand.
struct InstructionCount: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "icount-workload",
        abstract: "Run the fixed instruction-count workload once (used by scripts/icount-check under callgrind).",
        shouldDisplay: false
    )

    @Option(help: "Keys per map region.")
    var keys = 20_000

    func validate() throws {
        try validated { try Bounds.keys.check(keys) }
    }

    func run() throws {
        try InstructionCountWorkload.run(keys: keys)
        print(InstructionCountWorkload.regions.joined(separator: " "))
    }
}
