using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Moves values between the parameters marked <see cref="ProxyOptionAttribute"/> and ProxyOptions: the
/// engine's defaults into a new command (so a parameter left out, or not bound from a pipeline record, keeps
/// the engine's default), the bound values into the options, and an option's name back to its parameter.
/// Limits are not checked here: the parameter attributes quote ProxyOptionLimits, and ProxyOptions.Validate
/// checks the same constants.
/// </summary>
internal static class ProxyOptionBinding
{
    private static readonly (PropertyInfo Parameter, PropertyInfo Option)[] Map = typeof(StartZeroCopyProxyCommand)
        .GetProperties()
        .Select(p => (Parameter: p, Mark: p.GetCustomAttribute<ProxyOptionAttribute>()))
        .Where(p => p.Mark is not null)
        .Select(p => (p.Parameter, typeof(ProxyOptions).GetProperty(p.Mark!.Option)
            ?? throw new InvalidOperationException($"-{p.Parameter.Name} names ProxyOptions.{p.Mark.Option}, which does not exist.")))
        .ToArray();

    /// <summary>Gives every marked parameter of <paramref name="command"/> the engine's default.</summary>
    public static void ApplyDefaults(StartZeroCopyProxyCommand command)
    {
        foreach ((PropertyInfo parameter, PropertyInfo option) in Map)
            parameter.SetValue(command, Convert(option.GetValue(EngineDefaults.Options), parameter.PropertyType));
    }

    /// <summary>
    /// The options for one proxy: the endpoints, targets, client rules, faults, name and access log given, every marked
    /// parameter's value. Targets and client rules are parsed by the command (TargetList, ClientRuleList),
    /// since its parameters are not the options' types.
    /// </summary>
    public static ProxyOptions Build(StartZeroCopyProxyCommand command, IReadOnlyList<ProxyEndpoint> listen, TargetRouting routing, string name,
        Engine.Logging.AccessLog? accessLog = null)
    {
        var options = new ProxyOptions(listen, routing.Targets)
            { Name = name, AllowClients = routing.AllowClients, DenyClients = routing.DenyClients, Faults = routing.Faults, AccessLog = accessLog };
        // Init-only setters are ordinary setters to reflection; the options are not shared before they are complete.
        foreach ((PropertyInfo parameter, PropertyInfo option) in Map)
            option.SetValue(options, Convert(parameter.GetValue(command), option.PropertyType));
        return options;
    }

    /// <summary>The parameter of Start-ZeroCopyProxy that sets an engine option, or null when none does.</summary>
    public static string? ParameterFor(string option) =>
        Map.FirstOrDefault(m => m.Option.Name == option).Parameter?.Name;

    /// <summary>The marked parameters, as (parameter, option) names: for help and tests that list them.</summary>
    public static IEnumerable<(string Parameter, string Option)> Pairs => Map.Select(m => (m.Parameter.Name, m.Option.Name));

    // Sizes are Int64 parameters (so 4GB gets a range message, not a conversion error) over Int32 options;
    // they were range-checked at binding, so the conversion is exact. Switches are bool options.
    private static object? Convert(object? value, Type type) => value switch
    {
        null => null,
        _ when type.IsInstanceOfType(value) => value,
        SwitchParameter flag => flag.IsPresent,
        bool flag when type == typeof(SwitchParameter) => new SwitchParameter(flag),
        _ => System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture),
    };
}
