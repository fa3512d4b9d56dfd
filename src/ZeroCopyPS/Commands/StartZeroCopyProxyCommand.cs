using System.Management.Automation;
using System.Net;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Starts an L4 proxy. By default it runs as a background job (returned at once, like
/// Start-ThreadJob); with -Wait it runs in the foreground and streams each closed connection's
/// statistics to the pipeline until Ctrl+C. Every parameter but -Wait binds by property name, so
/// a CSV or a psd1 of proxies starts them all in one pipeline (one proxy per input object).
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "ZeroCopyProxy", DefaultParameterSetName = JobSet, HelpUri = HelpUris.StartZeroCopyProxy)]
[OutputType(typeof(ZeroCopyProxyJob), ParameterSetName = new[] { JobSet })]
[OutputType(typeof(ConnectionStatistics), ParameterSetName = new[] { WaitSet })]
public sealed class StartZeroCopyProxyCommand : ProxyServiceParameters, IDisposable
{
    private const string JobSet = "Job";
    private const string WaitSet = "Wait";

    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Parameters marked [ProxyOption] start with the engine's defaults (ProxyOptions), the one place they are written.</summary>
    public StartZeroCopyProxyCommand() => ProxyOptionBinding.ApplyDefaults(this);

    /// <summary>Where to accept connections: PORT (every interface), HOST:PORT, [IPv6]:PORT, unix:/path, unix:@name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [EndpointTransformation(AcceptsList = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string[] Listen { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Where to forward each connection: one or more targets, each HOST:PORT, [IPv6]:PORT, unix:/path or
    /// unix:@name as text, or a hashtable or object with Endpoint, Weight and Backup (TargetTransformationAttribute).
    /// Object[] because a target may be any of these.
    /// </summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [TargetTransformation]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public object[] Target { get; set; } = Array.Empty<object>();

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Unread statistics (and, separately, unread errors) kept at most; the oldest go first.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0, int.MaxValue)]
    public int HistoryLimit { get; set; } = ZeroCopyProxyJob.DefaultHistoryLimit;

    [Parameter(Mandatory = true, ParameterSetName = WaitSet)]
    public SwitchParameter Wait { get; set; }

    protected override void ProcessRecord()
    {
        // Endpoints and paths first: a malformed one is reported before any job, name, file or socket exists.
        var listen = new List<ProxyEndpoint>(Listen.Length);
        foreach (string text in Listen) listen.Add(ParseEndpoint(text, EndpointRole.Listen));
        List<ProxyTarget> targets = TargetList.Parse(this, Target);
        List<IPNetwork> allow = ClientRuleList.Parse(this, AllowClient, nameof(AllowClient));
        List<IPNetwork> deny = ClientRuleList.Parse(this, DenyClient, nameof(DenyClient));
        if (allow.Count + deny.Count > ProxyOptionLimits.ClientRulesMaximum)
            ThrowTerminatingError(RoutingErrors.TooManyClientRules(allow.Count + deny.Count));
        if (Name is not null && ProxyNameRule.Problem(Name) is { } problem)
            ThrowTerminatingError(ProxyStartErrors.InvalidProxyName(Name, problem));
        string? logPath = LogPath is null ? null : ResolvePath(LogPath, nameof(LogPath));
        IPEndPoint? metrics = MetricsListen is null ? null : ParseMetricsEndpoint(MetricsListen);
        // The engine option takes the full path; the parameter keeps what the user typed relative to $PWD resolved.
        if (HandOverPath is not null) HandOverPath = ResolvePath(HandOverPath, nameof(HandOverPath));

        var routing = new TargetRouting(targets, allow, deny) { Faults = FaultList.Parse(this, Fault) };
        if (Wait) RunInForeground(listen, routing, logPath, metrics);
        else StartJob(listen, routing, logPath, metrics);
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();

    private void RunInForeground(List<ProxyEndpoint> listen, TargetRouting routing, string? logPath, IPEndPoint? metrics)
    {
        ProxyServiceResources? service = ProxyServiceResources.Open(logPath, metrics, out ErrorRecord? failure);
        if (service is null) ThrowTerminatingError(failure!);
        ProxyOptions options = ProxyOptionBinding.Build(this, listen, routing, Name ?? ForegroundProxy.DefaultName(), service!.Log);
        ForegroundProxy.Run(this, options, service, HistoryLimit, _stopping.Token);
    }

    private void StartJob(List<ProxyEndpoint> listen, TargetRouting routing, string? logPath, IPEndPoint? metrics)
    {
        if (Name is not null && FindRunningProxy(Name) is { } sameName)
            ThrowTerminatingError(ProxyStartErrors.ProxyNameInUse(Name, sameName, nameGiven: true));

        // The job is the observer, so it exists before the engine starts; a default name comes from its Id.
        var job = new ZeroCopyProxyJob(StartReport.JobCommand(TargetList.Describe(routing.Targets), MyInvocation.BoundParameters), Name, HistoryLimit);
        ErrorRecord? failure = null;
        if (Name is null && FindRunningProxy(job.Name) is { } sameDefaultName)
            failure = ProxyStartErrors.ProxyNameInUse(job.Name, sameDefaultName, nameGiven: false);
        ProxyServiceResources? service = failure is null ? ProxyServiceResources.Open(logPath, metrics, out failure) : null;
        ProxyOptions options = ProxyOptionBinding.Build(this, listen, routing, job.Name, service?.Log);

        if (failure is null)
        {
            try
            {
                job.Start(options, service!);
            }
            catch (Exception e)
            {
                failure = ProxyStartErrors.FromException(e, options);
            }
        }

        if (failure is not null)
        {
            service?.Dispose();
            job.Dispose();
            ThrowTerminatingError(failure);
        }

        JobRepository.Add(job);
        job.StopWhenRunspaceCloses(System.Management.Automation.Runspaces.Runspace.DefaultRunspace);
        StartReport.Write(this, options, job.ListenEndPoints, job.EffectiveMaxConnections, job.DescriptorLimit);
        WriteObject(job);
    }

    private string ResolvePath(string text, string parameterName)
    {
        try
        {
            return ServiceArgument.ResolvePath(text, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(ServiceErrors.InvalidPath(e, text, parameterName));
            throw; // unreachable: ThrowTerminatingError always throws
        }
    }

    private IPEndPoint ParseMetricsEndpoint(string text)
    {
        try
        {
            return ServiceArgument.ParseMetricsEndpoint(text, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(ServiceErrors.InvalidMetricsEndpoint(e, text));
            throw; // unreachable: ThrowTerminatingError always throws
        }
    }

    private ProxyEndpoint ParseEndpoint(string text, EndpointRole role)
    {
        try
        {
            return EndpointArgument.Parse(text, role, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(ProxyStartErrors.InvalidEndpoint(e, text, role.ToString()));
            throw; // unreachable: ThrowTerminatingError always throws
        }
    }

    private ZeroCopyProxyJob? FindRunningProxy(string name) =>
        JobRepository.Jobs.OfType<ZeroCopyProxyJob>().FirstOrDefault(j =>
            string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase)
            && j.JobStateInfo.State is JobState.NotStarted or JobState.Running or JobState.Stopping);
}
