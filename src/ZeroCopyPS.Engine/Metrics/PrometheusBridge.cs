using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace ZeroCopyPS.Engine.Metrics;

/// <summary>
/// Feeds the <c>ZeroCopyPS</c> meter into a prometheus-net registry of its own (docs/ARCHITECTURE.md,
/// "Metrics"). Not prometheus-net's MeterAdapter: that one publishes .NET counters as gauges and
/// unpublishes a series left unchanged for five minutes, so a quiet proxy's counter would vanish and come
/// back from zero. Here observable counters become Prometheus counters set to the proxy's own total at
/// each scrape (a smaller total, a restarted proxy, starts the series again), observable up-down counters
/// become gauges, the histograms become Prometheus histograms, and a stopped proxy's series go away.
/// </summary>
internal sealed class PrometheusBridge : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Collector> _collectors = new();
    private readonly ConcurrentDictionary<(Instrument, string), Histogram.Child> _histograms = new();
    private readonly Dictionary<(Collector, string), (string[] Labels, long Generation)> _observed = new();
    private readonly object _collecting = new();
    private long _generation;
    private volatile bool _disposed;

    public PrometheusBridge()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == ZeroCopyMeter.Meter) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => OnMeasurement(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => OnMeasurement(i, value, tags));
        _listener.Start();
        Registry.AddBeforeCollectCallback(Collect);
        ZeroCopyMeter.Detached += OnDetached;
    }

    public CollectorRegistry Registry { get; }

    // Scrape thread: observable instruments report now; series nobody reported any more are removed.
    private void Collect()
    {
        if (_disposed) return;
        lock (_collecting)
        {
            _generation++;
            _listener.RecordObservableInstruments();
            foreach (var stale in _observed.Where(e => e.Value.Generation != _generation).ToArray())
            {
                _observed.Remove(stale.Key);
                Remove(stale.Key.Item1, stale.Value.Labels);
            }
        }
    }

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        try
        {
            string[] names = new string[tags.Length], values = new string[tags.Length];
            for (int i = 0; i < tags.Length; i++) (names[i], values[i]) = (tags[i].Key, tags[i].Value?.ToString() ?? "");
            Collector collector = _collectors.GetOrAdd(instrument, _ => Create(instrument, names));
            if (collector is Histogram histogram)
            {
                // A publishing loop thread: one cached child per proxy, then a lock-free observe.
                _histograms.GetOrAdd((instrument, values[0]), _ => histogram.WithLabels(values)).Observe(value);
                return;
            }
            // Scrape thread, under _collecting.
            _observed[(collector, string.Join('\0', values))] = (values, _generation);
            if (collector is Gauge gauge) gauge.WithLabels(values).Set(value);
            else if (collector is Counter counter)
            {
                Counter.Child child = counter.WithLabels(values);
                if (value < child.Value)
                {
                    counter.RemoveLabelled(values);
                    child = counter.WithLabels(values);
                }
                child.IncTo(value);
            }
        }
        catch (Exception)
        {
            // A metrics reader must never fail the publishing loop thread or the scrape.
        }
    }

    private Collector Create(Instrument instrument, string[] labelNames)
    {
        string name = PrometheusName(instrument);
        string help = instrument.Description ?? instrument.Name;
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        return instrument switch
        {
            Histogram<double> => factory.CreateHistogram(name, help, labelNames,
                new HistogramConfiguration { Buckets = ZeroCopyMeter.BucketsFor(instrument) }),
            ObservableCounter<long> => factory.CreateCounter(name, help, labelNames),
            _ => factory.CreateGauge(name, help, labelNames),
        };
    }

    /// <summary>zerocopyps.delivered (By, a counter) → zerocopyps_delivered_bytes_total: Prometheus' base units and suffixes.</summary>
    public static string PrometheusName(Instrument instrument)
    {
        string name = instrument.Name.Replace('.', '_');
        name += instrument.Unit switch { "By" => "_bytes", "s" => "_seconds", _ => "" };
        return instrument is ObservableCounter<long> ? name + "_total" : name;
    }

    // A stopped proxy's histogram series go with it (unless another running proxy has its name).
    private void OnDetached(string proxy)
    {
        if (ZeroCopyMeter.IsLive(proxy)) return;
        foreach (var key in _histograms.Keys.Where(k => k.Item2 == proxy).ToArray())
        {
            _histograms.TryRemove(key, out _);
            if (_collectors.TryGetValue(key.Item1, out Collector? collector)) Remove(collector, [proxy]);
        }
    }

    private static void Remove(Collector collector, string[] labels)
    {
        switch (collector)
        {
            case Counter c: c.RemoveLabelled(labels); break;
            case Gauge g: g.RemoveLabelled(labels); break;
            case Histogram h: h.RemoveLabelled(labels); break;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        ZeroCopyMeter.Detached -= OnDetached;
        _listener.Dispose();
    }
}
