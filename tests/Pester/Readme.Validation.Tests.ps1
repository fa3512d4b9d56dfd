# tests/Pester/Readme.Validation.Tests.ps1: a throw-away proxy in front of a service, assertions on its statistics.
BeforeAll {
    Import-Module ZeroCopyPS
    Import-Module (Join-Path $PSScriptRoot '../../scripts/EchoService.psm1')
    $service = Start-EchoService                                   # your service instead, e.g. 127.0.0.1:5432
    $proxy = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $service.Endpoint -Name validation -CopyMode Splice
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

    function Receive-Statistics {                                  # the record appears when the proxy sees the close
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while (-not ($stats = Receive-Job $proxy) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $stats
    }
}

AfterAll {
    $proxy | Remove-Job -Force                                     # stops the proxy, frees the port
    $service | Stop-EchoService
}

Describe 'the service behind a ZeroCopyPS proxy' {
    It 'gets every byte through, both ways, by splice' {
        Send-Through 10MB | Should -Be 10MB

        $stats = Receive-Statistics
        $stats.BytesClientToTarget | Should -Be 10MB
        $stats.BytesTargetToClient | Should -Be 10MB
        $stats.CopyPathUsed        | Should -Be 'Splice'
        $stats.CloseReason         | Should -Be 'ClientClosed'
        $stats.Error               | Should -BeNullOrEmpty
    }

    It 'keeps serving after a client that sends nothing' {
        Send-Through 0 | Should -Be 0
        (Receive-Statistics).BytesClientToTarget | Should -Be 0
        (Get-ZeroCopyProxy validation).TotalConnections | Should -Be 2
    }
}
