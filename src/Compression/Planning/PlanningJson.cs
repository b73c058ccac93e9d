using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Compression.Planning;

/// <summary>
/// JSON forms of the planner's inputs and output (camelCase, documented in docs/PLANNER.md). Loading is strict:
/// unknown fields, missing required fields and wrong types are errors that name the field, so a typo in a
/// profile cannot silently fall back to a default.
/// </summary>
public static partial class PlanningJson
{
    /// <summary>Profiles and policies are a few hundred bytes; anything this large is not one.</summary>
    public const long MaxFileBytes = 1 << 20;

    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 16,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static DeviceProfile ParseProfile(string json)
    {
        var profile = Deserialize<DeviceProfile>(json, "profile");
        PlanInputValidator.Validate(profile);
        return profile;
    }

    public static DeviceProfile LoadProfile(string path) => ParseProfile(ReadBounded(path, "profile"));

    public static PlanPolicy ParsePolicy(string json)
    {
        var policy = Deserialize<PlanPolicy>(json, "policy");
        PlanInputValidator.Validate(policy);
        return policy;
    }

    public static PlanPolicy LoadPolicy(string path) => ParsePolicy(ReadBounded(path, "policy"));

    public static string ToJson(DeviceProfile profile) => JsonSerializer.Serialize(profile, Options);

    public static string ToJson(PlanPolicy policy) => JsonSerializer.Serialize(policy, Options);

    /// <summary>
    /// The plan as the CLI and API print it: {recipe, transfer ("full"/"delta"), bytes, seconds, reason}, or
    /// {unfit: true, reason}.
    /// </summary>
    public static string ToJson(Plan plan)
    {
        var node = plan.Unfit
            ? new JsonObject { ["unfit"] = true, ["reason"] = plan.Reason }
            : new JsonObject
            {
                ["recipe"] = plan.Recipe,
                ["transfer"] = plan.Transfer == TransferKind.Delta ? "delta" : "full",
                ["bytes"] = plan.Bytes,
                ["seconds"] = plan.Seconds,
                ["reason"] = plan.Reason,
            };
        return node.ToJsonString(Options);
    }

    internal static string ReadBounded(string path, string what)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new ProfileException($"{what} file not found: {path}");
        }
        if (file.Length > MaxFileBytes)
        {
            throw new ProfileException($"{what} file {path} is {file.Length} bytes; a {what} is at most {MaxFileBytes} bytes");
        }
        return File.ReadAllText(path);
    }

    internal static T Deserialize<T>(string json, string what)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(json, Options);
        }
        catch (JsonException ex)
        {
            throw new ProfileException($"{what} JSON is invalid: {Describe(ex, what)}", ex);
        }
        return value ?? throw new ProfileException($"{what} JSON is null; expected an object");
    }

    // System.Text.Json names .NET types in its messages; the JSON path is what a person editing the file needs.
    private static string Describe(JsonException ex, string what)
    {
        var message = DotNetTypeName().Replace(ex.Message.Split(" Path:", 2)[0], $"the {what}");
        return ex.Path is { Length: > 0 } path && path != "$" ? $"{message} (at {path})" : message;
    }

    [GeneratedRegex("type '[^']*'")]
    private static partial Regex DotNetTypeName();
}
