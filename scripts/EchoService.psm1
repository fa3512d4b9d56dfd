<#
A loopback echo service in plain PowerShell, for the README's Pester example and scripts/Demo.ps1: it
stands in for "your service" behind a proxy. A TcpListener on 127.0.0.1 (port 0: a free one), served by a
thread job (same process, its own runspace) that accepts and lets each connection echo itself with
Stream.CopyToAsync on the .NET thread pool, and closes when the client has closed its side. It ends at -TimeoutSeconds,
or when Stop-EchoService stops it.
#>

Set-StrictMode -Version 3.0

function Start-EchoService {
    <# Returns the service: Endpoint ('127.0.0.1:PORT'), Port, Job (the thread job); pass it to Stop-EchoService. #>
    [CmdletBinding()]
    param([int] $Port = 0, [int] $TimeoutSeconds = 600)
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, $Port)
    $listener.Start()
    $job = Start-ThreadJob -Name "echo-$($listener.LocalEndpoint.Port)" -ArgumentList $listener, $TimeoutSeconds -ScriptBlock {
        param([Net.Sockets.TcpListener] $Listener, [int] $TimeoutSeconds)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        $sessions = [Collections.Generic.List[object]]::new()
        $accepted = 0
        try {
            while ([DateTime]::UtcNow -lt $deadline) {
                $accept = $Listener.AcceptTcpClientAsync()
                while (-not $accept.Wait(50)) {
                    # Reap finished echoes while waiting; a stopped listener ends the wait with an exception.
                    foreach ($done in @($sessions | Where-Object { $_.Echo.IsCompleted })) { $done.Client.Dispose(); [void]$sessions.Remove($done) }
                    if ([DateTime]::UtcNow -ge $deadline) { return }
                }
                $client = $accept.Result
                $accepted++
                $client.NoDelay = $true
                $stream = $client.GetStream()
                # The copy ends at the client's end of stream; reaping it then closes the socket, the echo's FIN.
                $sessions.Add([pscustomobject]@{ Client = $client; Echo = $stream.CopyToAsync($stream, 65536) })
            }
        }
        catch {
            # Stop-EchoService stopped the listener: the pending accept fails, which ends the service.
        }
        finally {
            foreach ($s in $sessions) { $s.Client.Dispose() }
            [pscustomobject]@{ Accepted = $accepted }
        }
    }
    [pscustomobject]@{ Endpoint = "127.0.0.1:$($listener.LocalEndpoint.Port)"; Port = $listener.LocalEndpoint.Port; Listener = $listener; Job = $job }
}

function Stop-EchoService {
    <# Stops the listener and the thread job; returns how many connections it accepted. #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Service)
    process {
        $Service.Listener.Stop()
        $null = Wait-Job $Service.Job -Timeout 10
        $result = Receive-Job $Service.Job -ErrorAction SilentlyContinue
        Remove-Job $Service.Job -Force
        $result
    }
}

Export-ModuleMember -Function Start-EchoService, Stop-EchoService
