using System.ComponentModel.DataAnnotations;

namespace FleetQuant.Grains.Hosting;

/// <summary>Where the content-addressed artifact store keeps its files. Bound from "FleetQuant:Artifacts".</summary>
public sealed class ArtifactStoreOptions
{
    public const string Section = "FleetQuant:Artifacts";

    /// <summary>Directory holding one file per SHA-256; created when missing.</summary>
    [Required(ErrorMessage = Section + ":Path must name a directory.")]
    public string Path { get; set; } = System.IO.Path.Combine("data", "artifacts");
}
