# The README's "Pester validation" example, run for real: a throw-away proxy in BeforeAll, traffic
# through it, assertions on the ConnectionStatistics it emits. The only difference from the README:
# the "service" here is a loopback echo server from TestServers.psm1.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestServers.psm1') -Force
    Import-Module (Get-TestModuleManifest) -Force
    $service = New-TestEchoServer                                  # your service: 127.0.0.1:5432, say

    # --- from README.md ---------------------------------------------------------------------
    $proxy = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $service.EndPoint -Name validation -CopyMode Splice
    $port  = [int]($proxy.ListenEndPoints[0] -split ':')[-1]

    function Send-Through([int] $Bytes) {
        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port)
        try {
            $client.ReceiveTimeout = 10000; $client.SendTimeout = 10000
            $stream = $client.GetStream()
            $writing = $stream.WriteAsync([byte[]]::new($Bytes), 0, $Bytes)  # send while reading the echo
            $buffer = [byte[]]::new(65536); $received = 0
            while ($received -lt $Bytes -and ($n = $stream.Read($buffer, 0, $buffer.Length)) -gt 0) { $received += $n }
            $null = $writing.Wait(10000)
            $client.Client.Shutdown('Send')                       # half-close: the proxy passes the FIN on
            while (($n = $stream.Read($buffer, 0, $buffer.Length)) -gt 0) { $received += $n }  # until the echo's FIN
            $received
        }
        finally { $client.Dispose() }
    }
}

AfterAll {
    $proxy | Remove-Job -Force                                     # stops the proxy, frees the port
    $service.Dispose()
}

Describe 'the service behind a ZeroCopyPS proxy' {
    It 'gets every byte through, both ways, by splice' {
        Send-Through 10MB | Should -Be 10MB

        $stats = $null
        for ($i = 0; $i -lt 100 -and -not $stats; $i++) { $stats = Receive-Job $proxy; if (-not $stats) { Start-Sleep -Milliseconds 50 } }
        $stats.BytesClientToTarget | Should -Be 10MB
        $stats.BytesTargetToClient | Should -Be 10MB
        $stats.CopyPathUsed        | Should -Be 'Splice'
        $stats.CloseReason         | Should -Be 'ClientClosed'
        $stats.Error               | Should -BeNullOrEmpty
    }

    It 'keeps serving after a client that sends nothing' {
        Send-Through 0 | Should -Be 0
        (Get-ZeroCopyProxy validation).TotalConnections | Should -Be 2
    }
}
