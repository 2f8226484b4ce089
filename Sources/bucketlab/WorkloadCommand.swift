import ArgumentParser
import BucketLab

/// `bucketlab workload show NAME`: a built-in's workload file, the starting
/// point for a workload of one's own (docs/workload-files.md).
struct WorkloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload",
        abstract: "Workload files: print a built-in's, or check one of yours.",
        subcommands: [Show.self, CheckFile.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a built-in workload's file (a starting point for --workload-file).")

        @Argument(help: "A built-in workload (see 'bucketlab list').")
        var name: String

        func validate() throws {
            guard Workload.builtIn(name) != nil else {
                throw ValidationError("unknown workload '\(name)'; valid: \(Workload.allCases.map(\.name).joined(separator: ", "))")
            }
        }

        func run() {
            print(Workload.builtInText(name) ?? Workload.builtIn(name)!.spec.json, terminator: "")
        }
    }

    struct CheckFile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check a workload file at the given sizes and list its phases; exit 65 if it cannot run.")

        @Argument(help: "The workload file.")
        var file: String

        @OptionGroup var sizes: SizeOptions

        @Option(help: "Churn window and cache capacity (default keys/10).")
        var window: Int?

        @Option(help: "Fill/drain cycles (the count 'bursts').")
        var bursts = 4

        func validate() throws { try sizes.requireSingle() }

        func run() throws {
            let w: Workload
            do {
                w = try Workload.load(file: file)
                try w.validate(WorkloadSizes(keys: sizes.keys, window: window ?? max(1, sizes.keys / 10), bursts: bursts))
            } catch let e as WorkloadFileError {
                throw DataError(description: e.description)
            }
            let s = WorkloadSizes(keys: sizes.keys, window: window ?? max(1, sizes.keys / 10), bursts: bursts)
            let headline = w.headlinePhase(s)
            print("\(w.name): ok; phases \(w.phases(s).map { $0 == headline ? "*\($0)" : $0 }.joined(separator: ", "))")
        }
    }
}
