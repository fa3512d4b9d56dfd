using System.Management.Automation;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Measurement;

namespace ZeroCopyPS;

/// <summary>
/// Answers "is zero-copy faster on this kernel and workload?" with numbers. The default parameter set
/// reproduces the benchmark of "net.TCPConn Zero-Copy" in-process: for each transport, size and copy mode
/// it copies the bytes between two fresh loopback socket pairs with the proxy's own relay code and
/// reports time, allocations, syscalls and CPU per copy; with -Source File it sends a page-cache-warm temp
/// file to a socket instead (sendfile, splice through a pipe, or pread/write: the article's footnote). The
/// Endpoint set measures a running endpoint (a proxy in front of an echo server): bulk throughput and
/// small-message round-trip latency.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "SocketCopy", DefaultParameterSetName = CopySet, HelpUri = HelpUris.MeasureSocketCopy)]
[OutputType(typeof(SocketCopyMeasurement), ParameterSetName = new[] { CopySet })]
[OutputType(typeof(EndpointMeasurement), ParameterSetName = new[] { EndpointSet })]
public sealed class MeasureSocketCopyCommand : PSCmdlet, IDisposable
{
    private const string CopySet = "Copy";
    private const string EndpointSet = "Endpoint";
    private const long MaxSizeBytes = 1L << 30;
    private const int ProgressActivityId = 0x5a43;
    private const double MaxDurationSeconds = 24 * 3_600;

    // 1 MiB, not the kernel's 64 KiB: a bulk copy's pipe as the proxy runs it with -PipeSize 1MB, and the
    // largest pipe the default pipe-max-size gives every user. With the 64 KiB pipe, 1 MiB Splice against
    // Buffered over TCP came out 0.83-1.57x from run to run here; with 1 MiB, 0.99-1.42x and a steady
    // 36-46 % less CPU for the copier (docs/benchmarks.md, "Pipe size").
    private const long DefaultPipeSizeBytes = 1L << 20;

    private readonly CancellationTokenSource _stopping = new();
    private long _lastProgressTicks;

    /// <summary>Bytes per copy: numbers, 64KB / 1MB literals, or '64KiB' / '1MiB' strings; several at once. 1 byte to 1 GiB.</summary>
    [Parameter(ParameterSetName = CopySet, Position = 0)]
    [ByteSizeTransformation(AcceptsList = true)]
    [ValidateByteSize(1, MaxSizeBytes)]
    [ValidateNotNullOrEmpty]
    public long[] Size { get; set; } = { 1L << 20 };

    /// <summary>Where the bytes come from: Socket (a second loopback pair; the default) or File (a temp file of each -Size, created, read once and deleted by the cmdlet).</summary>
    // A name from a set, like -Transport: an enum parameter would silently OR an array of names into one value.
    [Parameter(ParameterSetName = CopySet)]
    [ValidateSet(nameof(CopySource.Socket), nameof(CopySource.File))]
    [ValidateNotNullOrEmpty]
    public string Source { get; set; } = nameof(CopySource.Socket);

    /// <summary>
    /// Copy methods to measure. From a socket: Splice and Buffered by default; Auto is the proxy's default mode.
    /// From a file: Sendfile, Splice and Buffered by default.
    /// </summary>
    [Parameter(ParameterSetName = CopySet)]
    [ValidateNotNullOrEmpty]
    public CopyMethod[] Mode { get; set; } = Array.Empty<CopyMethod>();

    /// <summary>Tcp (127.0.0.1) and/or Unix (stream sockets in the temp folder).</summary>
    [Parameter(ParameterSetName = CopySet)]
    [ValidateSet(nameof(LoopbackTransport.Tcp), nameof(LoopbackTransport.Unix))]
    [ValidateNotNullOrEmpty]
    public string[] Transport { get; set; } = { nameof(LoopbackTransport.Tcp) };

    /// <summary>Counted copies per (mode, size, transport), after one warm-up copy.</summary>
    [Parameter(ParameterSetName = CopySet)]
    [ValidateRange(1, 1_000_000)]
    public int Iterations { get; set; } = 200;

    /// <summary>Pipe capacity for Splice (F_SETPIPE_SZ): 1 MiB by default; 0 keeps the kernel default (64 KiB). The proxy's limits.</summary>
    [Parameter(ParameterSetName = CopySet)]
    [ByteSizeTransformation]
    [ValidateByteSize(0, ProxyOptionLimits.PipeSizeBytesMaximum)]
    public long PipeSize { get; set; } = DefaultPipeSizeBytes;

    /// <summary>User-space buffer for Buffered (the proxy's default is 64 KiB; Go's io.Copy uses 32 KiB).</summary>
    [Parameter(ParameterSetName = CopySet)]
    [ByteSizeTransformation]
    [ValidateByteSize(ProxyOptionLimits.BufferSizeBytesMinimum, ProxyOptionLimits.BufferSizeBytesMaximum)]
    public long BufferSize { get; set; } = 64 * 1024;

    /// <summary>An endpoint that echoes what it receives: HOST:PORT, [IPv6]:PORT, PORT (127.0.0.1), unix:/path, unix:@name.</summary>
    [Parameter(ParameterSetName = EndpointSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ListenEndPoints")]
    [EndpointTransformation(AcceptsList = true)]
    [ValidateNotNullOrEmpty]
    public string[] Endpoint { get; set; } = Array.Empty<string>();

    /// <summary>Bytes sent (and echoed back) in the bulk phase; 0 skips it.</summary>
    [Parameter(ParameterSetName = EndpointSet)]
    [ByteSizeTransformation]
    [ValidateByteSize(0, MaxSizeBytes)]
    public long BulkSize { get; set; } = 64L << 20;

    /// <summary>Size of each round-trip message.</summary>
    [Parameter(ParameterSetName = EndpointSet)]
    [ValidateRange(1, 65536)]
    public int MessageSize { get; set; } = 64;

    /// <summary>Timed round trips (after 20 warm-up ones).</summary>
    [Parameter(ParameterSetName = EndpointSet)]
    [ValidateRange(1, 10_000_000)]
    public int RoundTrips { get; set; } = 2000;

    /// <summary>
    /// Time bound. Copy set: per (mode, size, transport), the counted copies stop when it runs out (at least
    /// one runs). Endpoint set: bounds the round trips the same way, and is the time allowed for the bulk
    /// phase, for connecting, and for any single reply. A number is seconds.
    /// </summary>
    [Parameter]
    [TimeSpanTransformation]
    [ValidateTimeSpan(MaxDurationSeconds, AllowZero = false)]
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);

    protected override void ProcessRecord()
    {
        try
        {
            if (ParameterSetName == EndpointSet) MeasureEndpoints();
            else MeasureCopies();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Ctrl+C: StopProcessing already stops the pipeline; nothing half-measured is written.
        }
        finally
        {
            CompleteProgress();
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    private void MeasureCopies()
    {
        CopySource source = Enum.Parse<CopySource>(Source, ignoreCase: true);
        CopyMethod[] modes = Mode.Length > 0 ? Mode.Distinct().ToArray()
            : source == CopySource.File ? new[] { CopyMethod.Sendfile, CopyMethod.Splice, CopyMethod.Buffered }
            : new[] { CopyMethod.Splice, CopyMethod.Buffered };
        CopyMethod[] unfit = modes.Where(m => !SocketCopyRunner.Supports(source, m)).ToArray();
        if (unfit.Length > 0) ThrowTerminatingError(MeasureSocketCopyErrors.ModeNotForSource(unfit, source));

        var settings = new SocketCopyRunSettings(
            Transport.Select(t => Enum.Parse<LoopbackTransport>(t, ignoreCase: true)).Distinct().ToArray(),
            Size.Distinct().ToArray(),
            modes,
            Iterations,
            Duration,
            (int)PipeSize,
            (int)BufferSize,
            source);
        WriteVerbose($"Measuring {source} → socket, {string.Join(", ", settings.Modes)} x {string.Join(", ", settings.Sizes)} bytes x {string.Join(", ", settings.Transports)}: {Iterations} copies each, at most {Duration} per case.");

        using var runner = new SocketCopyRunner(settings, Progress, _stopping.Token);
        foreach (SocketCopyMeasurement measurement in runner.Run(error => WriteError(MeasureSocketCopyErrors.FromMeasurement(error))))
        {
            if (measurement.Status == MeasurementStatus.Skipped)
                WriteVerbose($"{measurement.Mode} {measurement.Source} → {measurement.Transport} {measurement.SizeBytes} B skipped: {measurement.SkipReason}");
            WriteObject(measurement);
        }
    }

    private void MeasureEndpoints()
    {
        var probe = new EndpointProbe(Progress, _stopping.Token);
        foreach (string text in Endpoint)
        {
            ProxyEndpoint endpoint;
            try
            {
                endpoint = EndpointArgument.Parse(text, EndpointRole.Measure, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
            }
            catch (FormatException e)
            {
                WriteError(MeasureSocketCopyErrors.InvalidEndpoint(e, text));
                continue;
            }
            try
            {
                WriteObject(probe.Measure(text, endpoint, BulkSize, MessageSize, RoundTrips, Duration));
            }
            catch (EndpointProbeException e)
            {
                WriteError(MeasureSocketCopyErrors.FromProbe(e, text));
            }
        }
    }

    // Called on the pipeline thread (the runner and the probe run there); at most five updates a second.
    private void Progress(string status, int percent)
    {
        long now = Environment.TickCount64;
        if (_lastProgressTicks != 0 && now - _lastProgressTicks < 200) return;
        _lastProgressTicks = now;
        WriteProgress(new ProgressRecord(ProgressActivityId, "Measure-SocketCopy", status) { PercentComplete = Math.Clamp(percent, 0, 100) });
    }

    private void CompleteProgress()
    {
        if (_lastProgressTicks == 0) return;
        try
        {
            WriteProgress(new ProgressRecord(ProgressActivityId, "Measure-SocketCopy", "Done") { RecordType = ProgressRecordType.Completed });
        }
        catch (PipelineStoppedException)
        {
        }
    }

    public void Dispose() => _stopping.Dispose();
}
