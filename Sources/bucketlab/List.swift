import ArgumentParser
import BucketLab

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the strategy presets with their policies and what each shows."
    )

    func run() {
        print("Strategies (a preset name, or a spec such as clear=pointers,overflow=reclaim,shrink=below:0.125):\n")
        for preset in ClearingPolicy.presets {
            print("  \(preset.name)")
            print("    \(preset.summary)")
            print("    \(preset.policy.spec)\n")
        }
    }
}
