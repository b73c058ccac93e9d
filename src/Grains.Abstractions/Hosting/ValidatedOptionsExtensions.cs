using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FleetQuant.Grains.Hosting;

/// <summary>
/// The one way FleetQuant registers a settings class: bound from its configuration section and checked against its
/// DataAnnotations (and <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/> for rules across keys)
/// when the host starts, so a bad value stops the process with a message naming the key instead of misbehaving later.
/// Reflection-based rather than <c>[OptionsValidator]</c>: the generated validator ignores a
/// <c>RangeAttribute.ErrorMessage</c>, and with it the key the message should name. Lives here because every host
/// project reaches this assembly.
/// </summary>
public static class ValidatedOptionsExtensions
{
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    /// <summary>
    /// Reads and validates settings now, for those that shape the host while it is being built (clustering, the
    /// embedded broker): waiting for start-up validation would build the host on values that are about to be refused.
    /// </summary>
    public static TOptions GetValidated<TOptions>(this IConfiguration configuration, string section)
        where TOptions : class, new()
    {
        var options = configuration.GetSection(section).Get<TOptions>() ?? new TOptions();
        var result = new DataAnnotationValidateOptions<TOptions>(Options.DefaultName).Validate(Options.DefaultName, options);
        return result.Failed ? throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), result.Failures) : options;
    }
}
