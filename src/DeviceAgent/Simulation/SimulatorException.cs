namespace FleetQuant.DeviceAgent.Simulation;

/// <summary>The simulator could not start its fleet (bad mix, unreachable server, refused provisioning); the message says why.</summary>
public sealed class SimulatorException(string message, Exception? inner = null) : Exception(message, inner);
