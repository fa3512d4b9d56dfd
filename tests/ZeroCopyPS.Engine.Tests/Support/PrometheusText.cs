using System.Globalization;
using System.Text.RegularExpressions;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>The samples of a Prometheus text exposition, by metric name and labels, for assertions.</summary>
public sealed partial class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = new();

    public PrometheusText(string exposition)
    {
        Text = exposition;
        foreach (string line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            Match m = Sample().Match(line);
            if (!m.Success) throw new FormatException($"Not a sample line: {line}");
            var labels = Label().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            _samples.Add((m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
    }

    public string Text { get; }

    /// <summary>The one sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/>; fails when there is none or several.</summary>
    public double Value(string name, params (string Key, string Value)[] labels) =>
        Assert.Single(Matching(name, labels)).Value;

    public IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Matching(string name, params (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out string? v) && v == l.Value));

    public bool HasProxy(string proxy) => _samples.Any(s => s.Labels.TryGetValue("proxy", out string? v) && v == proxy);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)")]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
