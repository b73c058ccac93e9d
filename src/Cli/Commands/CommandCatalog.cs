using System.CommandLine;

namespace FleetQuant.Cli.Commands;

/// <summary>Every verb of the CLI; each verb lives in its own *Command class with a Create() factory.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All() =>
    [
        InspectCommand.Create(),
        CompressCommand.Create(),
        EvalCommand.Create(),
        LadderCommand.Create(),
        TrainSampleCommand.Create(),
        PlanCommand.Create(),
        PackCommand.Create(),
        UnpackCommand.Create(),
        DeltaCommand.Create(),
        PatchCommand.Create(),
        ModelsCommand.Create(),
        RolloutsCommand.Create(),
        DevicesCommand.Create(),
    ];
}
