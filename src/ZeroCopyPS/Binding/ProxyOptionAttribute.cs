namespace ZeroCopyPS;

/// <summary>
/// Marks a Start-ZeroCopyProxy parameter as the one that sets an engine option (a property of ProxyOptions).
/// The mark is the whole wiring: <see cref="ProxyOptionBinding"/> reads the parameter's default from the
/// engine, copies its value into the options, and names it in the engine's error messages. Adding an option
/// is: the engine property, its limit in ProxyOptionLimits, one marked parameter, its help and its bad-input
/// cases. See docs/ARCHITECTURE.md, "Cmdlet layer".
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ProxyOptionAttribute : Attribute
{
    public ProxyOptionAttribute(string option) => Option = option;

    /// <summary>The ProxyOptions property the parameter sets.</summary>
    public string Option { get; }
}
