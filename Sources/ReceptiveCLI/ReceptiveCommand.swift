import ArgumentParser

public struct ReceptiveCommand: ParsableCommand {
    public static let version = "0.1.0"
    public static let configuration = CommandConfiguration(
        commandName: "receptive",
        abstract: "Encoding models of sensory neurons: fit, score, compare and look inside.",
        version: version,
        subcommands: [
            SimulateCommand.self,
            InspectCommand.self,
            FitCommand.self,
            ScoreCommand.self,
            PredictCommand.self,
            DemoCommand.self,
            RSACommand.self,
            ScanCommand.self,
            AttributeCommand.self,
            MEICommand.self,
            ScrambleCommand.self,
            InvarianceCommand.self,
            GaborCommand.self,
            ImportCommand.self,
            FeaturesCommand.self,
            IdentifyCommand.self,
            ReportCommand.self,
            CompareCommand.self,
        ])
    public init() {}
}
