using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Injects a fault into running proxies (docs/ARCHITECTURE.md, "Fault injection"): their new and open connections
/// meet it at once, until Remove-ZeroCopyFault. -Type decides which settings apply (FaultSettings); a setting of
/// another kind is refused by name. The fault is checked once, before any proxy changes; the proxies then come
/// from -ProxyName or from piped objects with a ProxyName (Get-ZeroCopyProxy, Start-ZeroCopyProxy, Get-Job).
/// </summary>
[Cmdlet(VerbsCommon.Add, "ZeroCopyFault", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = HelpUris.AddZeroCopyFault)]
[OutputType(typeof(ProxyFault))]
public sealed class AddZeroCopyFaultCommand : PSCmdlet
{
    private ProxyFault? _fault;

    /// <summary>
    /// Proxy names; wildcards allowed. Binds from the ProxyName property of piped objects (proxy jobs, Get-ZeroCopyProxy's
    /// output). Not aliased Name: -Name is the fault's.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public string[] ProxyName { get; set; } = Array.Empty<string>();

    /// <summary>The kind of fault; it decides which settings apply.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ExactValueTransformation]
    public FaultKind Type { get; set; }

    [Parameter]
    [ExactValueTransformation]
    public FaultDirection Direction { get; set; } = FaultDirection.Both;

    /// <summary>The chance that a connection meets the fault, drawn once per connection.</summary>
    [Parameter]
    [ExactValueTransformation]
    [ValidateRange(0.0, 1.0)]
    public double Probability { get; set; } = 1.0;

    /// <summary>The fault's name, unique per proxy; "&lt;type&gt;_&lt;direction&gt;" (made unique) when not given. Not from the pipeline: a piped proxy's Name is not a fault's.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateLength(1, ProxyOptionLimits.FaultNameLengthMaximum)]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string? Name { get; set; }

    /// <summary>Latency: each chunk's hold-back; SlowClose: how long the FIN waits; Slice: the pause between slices.</summary>
    [Parameter]
    [TimeSpanTransformation(AcceptsUnits = true)]
    [ValidateTimeSpan(ProxyOptionLimits.FaultTimeMaximumSeconds, AllowZero = true)]
    public TimeSpan Delay { get; set; }

    /// <summary>Latency: each delay is drawn from Delay ± Jitter.</summary>
    [Parameter]
    [TimeSpanTransformation(AcceptsUnits = true)]
    [ValidateTimeSpan(ProxyOptionLimits.FaultTimeMaximumSeconds, AllowZero = true)]
    public TimeSpan Jitter { get; set; }

    /// <summary>Bandwidth: the pace, in bytes per second (10MB, '1MiB').</summary>
    [Parameter]
    [ByteSizeTransformation]
    [ValidateByteSize(ProxyOptionLimits.FaultBytesPerSecondMinimum, ProxyOptionLimits.FaultBytesPerSecondMaximum)]
    public long BytesPerSecond { get; set; }

    /// <summary>Stall: the connection is reset this long after the stall began; zero or left out stalls for ever.</summary>
    [Parameter]
    [TimeSpanTransformation(AcceptsUnits = true)]
    [ValidateTimeSpan(ProxyOptionLimits.FaultTimeMaximumSeconds, AllowZero = true)]
    public TimeSpan CloseAfter { get; set; }

    /// <summary>ResetAfter: reset once this many bytes passed in a direction; LimitData: a clean close then.</summary>
    [Parameter]
    [ByteSizeTransformation]
    [ValidateByteSize(0, ProxyOptionLimits.FaultBytesMaximum)]
    public long Bytes { get; set; }

    /// <summary>ResetAfter: reset this long after the connection reached its target (or after the fault was added).</summary>
    [Parameter]
    [TimeSpanTransformation(AcceptsUnits = true)]
    [ValidateTimeSpan(ProxyOptionLimits.FaultTimeMaximumSeconds, AllowZero = true)]
    public TimeSpan After { get; set; }

    /// <summary>Slice: the average size of one write.</summary>
    [Parameter]
    [ByteSizeTransformation]
    [ValidateByteSize(ProxyOptionLimits.FaultSliceBytesMinimum, ProxyOptionLimits.FaultSliceBytesMaximum)]
    public long AverageSize { get; set; }

    /// <summary>Slice: each write's size is drawn from AverageSize ± this; less than AverageSize.</summary>
    [Parameter]
    [ByteSizeTransformation]
    [ValidateByteSize(0, ProxyOptionLimits.FaultSliceBytesMaximum)]
    public long SizeVariation { get; set; }

    /// <summary>Writes each added fault (as the proxy stored it) to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        var settings = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        foreach (string parameter in FaultSettings.All)
        {
            if (!MyInvocation.BoundParameters.TryGetValue(parameter, out object? value)) continue;
            if (!FaultSettings.Belongs(parameter, Type)) ThrowTerminatingError(FaultErrors.NotForKind(parameter, Type, value));
            settings[parameter] = value is PSObject wrapped ? wrapped.BaseObject : value;
        }
        ProxyFault fault = FaultSettings.Create(Type, Direction, Probability, Name ?? FaultSettings.DefaultName(Type, Direction), settings);
        try
        {
            fault.Validate();
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(FaultErrors.InvalidSetting(e, Type, fault));
        }
        _fault = fault;
    }

    protected override void ProcessRecord()
    {
        foreach (ZeroCopyProxyJob job in ProxyJobLookup.ByName(this, ProxyName, nameof(ProxyName)))
        {
            if (job.RunningServer is not { } server)
            {
                WriteError(FaultErrors.ProxyNotRunning(job));
                continue;
            }
            string name = Name ?? FaultSettings.UniqueName(_fault!.Name, server.Faults.Select(f => f.Name));
            ProxyFault fault = _fault! with { Name = name };
            string description = $"{fault.Kind} {fault.Direction}, {FaultSettings.Describe(fault)}" + (fault.Probability < 1 ? $", probability {fault.Probability}" : "");
            if (!ShouldProcess($"{job.Name} (Id {job.Id}, {job.Location} -> {job.Target})", $"Add fault '{name}' ({description})")) continue;
            ProxyFault added;
            try
            {
                added = server.AddFault(fault);
            }
            catch (ArgumentException e) when (e.ParamName == nameof(ProxyFault.Name))
            {
                WriteError(FaultErrors.NameInUse(job.Name, name));
                continue;
            }
            catch (ArgumentException e) when (e.ParamName == nameof(ProxyOptions.Faults))
            {
                WriteError(FaultErrors.TooMany($"-ProxyName '{job.Name}': the proxy has {ProxyOptionLimits.FaultsMaximum} faults already, the most it takes.", job));
                continue;
            }
            catch (ObjectDisposedException)
            {
                WriteError(FaultErrors.ProxyNotRunning(job));
                continue;
            }
            WriteVerbose($"Proxy '{job.Name}': fault '{added.Name}' ({description}) added; new and open connections meet it now.");
            if (PassThru) WriteObject(added);
        }
    }
}
