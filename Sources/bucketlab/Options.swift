import ArgumentParser
import BucketLab

// Options several subcommands share, declared once. Their bounds and
// messages are the library's (Bounds.swift), so the command line and a
// library caller refuse the same sizes with the same words.

/// `--keys` and `--payload-bytes`.
struct SizeOptions: ParsableArguments {
    @Option(help: "Keys per workload or map (\(Bounds.keys.range.lowerBound)…\(Bounds.keys.range.upperBound)).")
    var keys = SuiteConfig.defaultKeys

    @Option(name: .customLong("payload-bytes"),
            help: "Bytes per payload (\(Bounds.payloadBytes.range.lowerBound)…\(Bounds.payloadBytes.range.upperBound)).")
    var payloadBytes = 48

    func validate() throws {
        try Bounds.keys.check(keys)
        try Bounds.payloadBytes.check(payloadBytes)
    }
}

/// `--repeat`, whose default depends on the command.
struct RepeatOption: ParsableArguments {
    @Option(name: .customLong("repeat"),
            help: "Repetitions; medians are reported (default: 3 for run, 5 for ops and gcbench).")
    var value: Int?

    func count(default d: Int) -> Int { value ?? d }

    func validate() throws {
        if let value { try Bounds.repeats.check(value) }
    }
}

/// `--out DIR`.
struct OutputOption: ParsableArguments {
    @Option(name: .customLong("out"), help: "Output directory.")
    var directory: String?
}

/// Library errors become validation errors: one line, exit 64.
func validated<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as ConfigError {
        throw ValidationError(e.description)
    } catch let e as StrategySpecError {
        throw ValidationError(e.description)
    }
}

extension SweepMode: ExpressibleByArgument {}
