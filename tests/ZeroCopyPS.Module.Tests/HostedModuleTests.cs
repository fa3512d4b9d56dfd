using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine;
using ZeroCopyPS.TestSupport;

namespace ZeroCopyPS.Module.Tests;

/// <summary>The cmdlets driven from C# through a hosted runspace, against real loopback sockets.</summary>
public class HostedModuleTests
{
    [Fact]
    public void Start_returns_a_running_job_whose_statistics_count_every_byte()
    {
        using var echo = TestServer.Echo();
        using (var session = new ModuleSession())
        {
            PSObject job = Assert.Single(session.Invoke($"Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target {echo.Endpoint} -Name hosted"));
            Assert.Equal("ZeroCopyPS.ZeroCopyProxyJob", job.BaseObject.GetType().FullName);
            Assert.Equal("Running", session.Invoke("(Get-Job -Name hosted).State.ToString()")[0].BaseObject);

            string listen = ((string[])job.Properties["ListenEndPoints"].Value)[0];
            int proxyPort = int.Parse(listen.Split(':')[1]);
            byte[] payload = new byte[300_000];
            Random.Shared.NextBytes(payload);
            using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                client.Connect(new IPEndPoint(IPAddress.Loopback, proxyPort));
                client.Send(payload);
                client.Shutdown(SocketShutdown.Send);
                using var received = new MemoryStream();
                byte[] buffer = new byte[65536];
                int n;
                while ((n = client.Receive(buffer)) > 0) received.Write(buffer, 0, n);
                Assert.Equal(payload, received.ToArray());
            }

            ConnectionStatistics? stats = null;
            Eventually.True(() => (stats = session.Invoke("Receive-Job -Name hosted").Select(o => o.BaseObject).OfType<ConnectionStatistics>().FirstOrDefault()) is not null,
                TimeSpan.FromSeconds(10), "the connection's statistics");
            Assert.Equal(payload.Length, stats!.BytesClientToTarget);
            Assert.Equal(payload.Length, stats.BytesTargetToClient);
            Assert.Equal("hosted", stats.ProxyName);

            session.Invoke("Stop-ZeroCopyProxy -Name hosted");
            Assert.Equal("Stopped", session.Invoke("(Get-Job -Name hosted).State.ToString()")[0].BaseObject);
        }
    }

    [Theory]
    [InlineData("Start-ZeroCopyProxy -Listen 'nope:port' -Target 127.0.0.1:1", "InvalidEndpoint")]
    [InlineData("Start-ZeroCopyProxy -Listen 192.0.2.1:0 -Target 127.0.0.1:1", "ListenAddressNotAvailable")]
    [InlineData("Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target 127.0.0.1:0", "InvalidEndpoint")]
    [InlineData("Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target 127.0.0.1:1 -Name '*'", "InvalidProxyName")]
    [InlineData("Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target 127.0.0.1:1 -PipeSize 4GB", "ParameterArgumentValidationError")]
    public void Bad_input_is_a_terminating_error_with_its_own_id(string script, string errorId)
    {
        using var session = new ModuleSession();
        // try/catch only sees terminating errors: a non-terminating one would let 'continued' through.
        PSObject caught = Assert.Single(session.Invoke($"try {{ {script}; 'continued' }} catch {{ $_ }}"));
        var error = Assert.IsType<ErrorRecord>(caught.BaseObject);
        Assert.StartsWith(errorId + ",", error.FullyQualifiedErrorId);
        Assert.Empty(session.Invoke("Get-Job"));
    }

    [Fact]
    public void Get_ZeroCopyProxy_pipes_into_Stop_ZeroCopyProxy_and_WhatIf_changes_nothing()
    {
        using var session = new ModuleSession();
        session.Invoke("Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target 127.0.0.1:1 -Name piped");
        session.Invoke("Get-ZeroCopyProxy piped | Stop-ZeroCopyProxy -WhatIf");
        Assert.Equal("Running", session.Invoke("(Get-Job -Name piped).State.ToString()")[0].BaseObject);
        session.Invoke("Get-ZeroCopyProxy piped | Stop-ZeroCopyProxy");
        Assert.Equal("Stopped", session.Invoke("(Get-Job -Name piped).State.ToString()")[0].BaseObject);
        PSObject status = Assert.Single(session.Invoke("Get-ZeroCopyProxy piped"));
        Assert.Equal("ZeroCopyPS.ZeroCopyProxyStatus", status.BaseObject.GetType().FullName);
    }
}
