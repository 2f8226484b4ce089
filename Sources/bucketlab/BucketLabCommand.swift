import ArgumentParser

@main
struct BucketLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bucketlab",
        abstract: "How much memory does a hash map keep after deletes, growth or drop, and what does a collector pay to find out?",
        subcommands: [Run.self, Scale.self, Check.self, List.self, Plot.self, Compare.self, Ops.self, GCBench.self, Stress.self, SizeClassesCommand.self,
                      CompareGo.self, GCCostCommand.self, Plan.self, Merge.self, WorkloadCommand.self, TraceCommand.self, Cell.self, InstructionCount.self],
        defaultSubcommand: Run.self
    )
}
