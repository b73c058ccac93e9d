using System.ComponentModel.DataAnnotations;

namespace FleetQuant.Silo.Hosting;

/// <summary>Settings of the silo host, bound from the <c>FleetQuant</c> configuration section (the cluster's own are <c>FleetQuant:Cluster</c>).</summary>
public sealed class SiloHostOptions
{
    /// <summary>Configuration section the options are bound from.</summary>
    public const string SectionName = "FleetQuant";

    /// <summary>Directory for the SQLite database and the artifact store; relative paths are resolved from the working directory.</summary>
    [Required(ErrorMessage = SectionName + ":DataDirectory must name a directory.")]
    public string DataDirectory { get; set; } = ".fq-data";
}
