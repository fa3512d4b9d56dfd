# tests/Pester/Faults.Example.Tests.ps1: a client's retry loop and its timeout, validated against injected faults.
BeforeAll {
    Import-Module ZeroCopyPS
    Import-Module (Join-Path $PSScriptRoot '../../scripts/EchoService.psm1')
    $service = Start-EchoService                                   # your service instead, e.g. 127.0.0.1:5432
    $flaky = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $service.Endpoint -Name flaky
    $slow  = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $service.Endpoint -Name slow -Fault @{ Type = 'Latency'; Delay = '3s'; Direction = 'ToClient' }

    function Get-Port($Proxy) { [int]($Proxy.ListenEndPoints[0] -split ':')[-1] }

    # The client under test: sends $Bytes and reads the echo back, waiting at most $TimeoutMs for each read.
    # A late answer throws a TimeoutException; a reset or an early end of stream, an IOException.
    function Send-Request([int] $Port, [int] $Bytes, [int] $TimeoutMs = 10000) {
        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $Port)
        try {
            $client.ReceiveTimeout = $TimeoutMs; $client.SendTimeout = 10000
            $stream = $client.GetStream()
            $writing = $stream.WriteAsync([byte[]]::new($Bytes), 0, $Bytes)  # send while reading the echo
            $buffer = [byte[]]::new(65536); $received = 0
            try {
                while ($received -lt $Bytes) {
                    $n = $stream.Read($buffer, 0, $buffer.Length)
                    if ($n -eq 0) { throw [System.IO.EndOfStreamException]::new("the connection ended after $received of $Bytes bytes") }
                    $received += $n
                }
            }
            catch {
                $cause = $_.Exception.GetBaseException()
                if ($cause -is [System.Net.Sockets.SocketException] -and $cause.SocketErrorCode -eq 'TimedOut') { throw [System.TimeoutException]::new("no answer within $TimeoutMs ms") }
                if ($cause -is [System.IO.IOException]) { throw $cause }
                throw [System.IO.IOException]::new("the connection broke after $received of $Bytes bytes: $($cause.Message)", $cause)
            }
            finally { try { $null = $writing.Wait(10000) } catch { $null = $_ } }  # a reset fails the write too
            $received
        }
        finally { $client.Dispose() }
    }

    # The retry loop under test: up to $Attempts tries on a broken connection, $BeforeRetry between them.
    function Invoke-WithRetry([scriptblock] $Request, [int] $Attempts = 3, [scriptblock] $BeforeRetry = {}) {
        for ($attempt = 1; ; $attempt++) {
            try { return [pscustomobject]@{ Attempts = $attempt; Result = & $Request } }
            catch [System.IO.IOException] {
                if ($attempt -ge $Attempts) { throw }
                & $BeforeRetry
            }
        }
    }

    function Receive-Statistics($Proxy, [int] $Count) {              # records appear when the proxy sees the close
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        $stats = @()
        while ($stats.Count -lt $Count -and [DateTime]::UtcNow -lt $deadline) { $stats += @(Receive-Job $Proxy); Start-Sleep -Milliseconds 50 }
        $stats
    }

    $null = Send-Request (Get-Port $flaky) 64; $null = Receive-Statistics $flaky 1   # warm up the client's code path
}

AfterAll {
    $flaky, $slow | Remove-Job -Force                              # stops the proxies, frees the ports
    $service | Stop-EchoService
}

Describe 'the client behind a faulty network' {
    It 'retries a request whose connection is reset, and the retry gets every byte' {
        Add-ZeroCopyFault -ProxyName flaky -Type ResetAfter -Bytes 64KB -Name reset
        # The network heals after the first failure: the fault is removed before the retry.
        $outcome = Invoke-WithRetry { Send-Request (Get-Port $flaky) 1MB } -BeforeRetry { Remove-ZeroCopyFault -ProxyName flaky -Name reset }

        $outcome.Attempts | Should -Be 2
        $outcome.Result   | Should -Be 1MB
        $first, $second = Receive-Statistics $flaky 2
        $first.Faults -join ','  | Should -Be 'reset'
        $first.CloseReason | Should -Be 'FaultReset'
        $first.BytesClientToTarget | Should -BeLessThan 1MB
        $second.Faults     | Should -BeNullOrEmpty
        $second.BytesTargetToClient | Should -Be 1MB
        $second.CloseReason | Should -Be 'ClientClosed'
    }

    # The timeout sits well apart from both the fault and a loaded machine's pauses: a healthy answer must come
    # within it (through a PowerShell echo job), and a late one must not.
    It 'times out when answers are 3 s late, and not once the latency is gone' {
        { Send-Request (Get-Port $slow) 64 -TimeoutMs 1000 } | Should -Throw -ExceptionType ([System.TimeoutException])
        (Receive-Statistics $slow 1).Faults -join ',' | Should -Be 'latency_toclient'

        Get-ZeroCopyFault -ProxyName slow | Remove-ZeroCopyFault
        Send-Request (Get-Port $slow) 64 -TimeoutMs 1000 | Should -Be 64
        (Receive-Statistics $slow 1).Faults | Should -BeNullOrEmpty
    }
}
