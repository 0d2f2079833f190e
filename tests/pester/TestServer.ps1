# Starts tests/ResumeTransfer.TestServer as a process on loopback (port 0) and stops it. Dot-source it:
#     . $PSScriptRoot/TestServer.ps1
#     $server = Start-TestServer            # BeforeAll
#     Stop-TestServer $server               # AfterAll
# The server prints `READY http://127.0.0.1:P http://127.0.0.2:P2` once it listens, and exits by itself after
# -MaxLifetimeSec even if nobody stops it (a crashed test run leaves nothing behind for long).

function Get-TestServerDll {
    # build.ps1 says which configuration it built; Release otherwise.
    param([string] $Configuration = $(if ($env:RESUMETRANSFER_CONFIGURATION) { $env:RESUMETRANSFER_CONFIGURATION } else { 'Release' }))
    $dll = Join-Path $PSScriptRoot "../ResumeTransfer.TestServer/bin/$Configuration/net10.0/ResumeTransfer.TestServer.dll"
    [System.IO.Path]::GetFullPath($dll)
}

function Start-TestServer {
    param(
        [string] $ServerDll = (Get-TestServerDll),
        [int] $MaxLifetimeSec = 900,
        [int] $ReadyTimeoutSec = 30
    )
    if (-not (Test-Path -LiteralPath $ServerDll)) {
        throw "The test server is not built: '$ServerDll' is missing. Run: dotnet pwsh ./build.ps1 -Task Build"
    }
    $logDir = Join-Path ([System.IO.Path]::GetTempPath()) "rt-testserver-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
    New-Item -ItemType Directory -Path $logDir | Out-Null
    $psi = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)   # dotnet
    foreach ($a in @($ServerDll, '--port', '0', '--max-lifetime-sec', "$MaxLifetimeSec")) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true     # held open until Stop-TestServer: the server never sees a closed stdin early
    $psi.Environment['ASPNETCORE_ENVIRONMENT'] = 'Production'
    $psi.Environment['DOTNET_NOLOGO'] = '1'
    $process = [System.Diagnostics.Process]::Start($psi)

    # Drain stderr to a file from the start, and stdout after the READY line, on .NET's own threads (no
    # script-block callbacks), so a chatty server can never block on a full pipe.
    $stderrFile = [System.IO.File]::Create((Join-Path $logDir 'stderr.log'))
    $stderrCopy = $process.StandardError.BaseStream.CopyToAsync($stderrFile)

    $stdoutLines = [System.Collections.Generic.List[string]]::new()
    $deadline = [DateTime]::UtcNow.AddSeconds($ReadyTimeoutSec)
    $ready = $null
    while (-not $ready) {
        $lineTask = $process.StandardOutput.ReadLineAsync()
        $remaining = [int][Math]::Max(0, ($deadline - [DateTime]::UtcNow).TotalMilliseconds)
        if (-not $lineTask.Wait($remaining)) { break }
        $line = $lineTask.Result
        if ($null -eq $line) { break }   # the server exited
        $stdoutLines.Add($line)
        if ($line -match '^READY\s+(\S+)\s+(\S+)') { $ready = $Matches }
    }
    if (-not $ready) {
        if (-not $process.HasExited) { $process.Kill($true) }
        $process.WaitForExit(5000) | Out-Null
        $stderrCopy.Wait(2000) | Out-Null
        $stderrFile.Dispose()
        $stderr = Get-Content -LiteralPath (Join-Path $logDir 'stderr.log') -Raw
        Remove-Item -LiteralPath $logDir -Recurse -Force -ErrorAction SilentlyContinue
        throw "The test server did not print READY within $ReadyTimeoutSec s. stdout: $($stdoutLines -join ' | ') stderr: $stderr"
    }
    $stdoutFile = [System.IO.File]::Create((Join-Path $logDir 'stdout.log'))
    $stdoutCopy = $process.StandardOutput.BaseStream.CopyToAsync($stdoutFile)

    [pscustomobject]@{
        PSTypeName     = 'ResumeTransfer.TestServerProcess'
        Process        = $process
        BaseUri        = $ready[1].TrimEnd('/')
        OtherOriginUri = $ready[2].TrimEnd('/')
        LogDirectory   = $logDir
        Drains         = @($stderrCopy, $stdoutCopy)
        Files          = @($stderrFile, $stdoutFile)
    }
}

function Stop-TestServer {
    param($Server)
    if (-not $Server) { return }
    $p = $Server.Process
    try {
        if (-not $p.HasExited) {
            # SIGTERM lets Kestrel shut down; SIGKILL only if it does not within 5 s.
            & kill -TERM $p.Id 2>$null
            if (-not $p.WaitForExit(5000)) { $p.Kill($true); $p.WaitForExit(5000) | Out-Null }
        }
        foreach ($t in $Server.Drains) { try { $t.Wait(2000) | Out-Null } catch { } }
    }
    finally {
        foreach ($f in $Server.Files) { $f.Dispose() }
        $p.Dispose()
        Remove-Item -LiteralPath $Server.LogDirectory -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Get-TestServerSha256 {
    # The hex SHA-256 of the content /files/... serves for this size, seed and version.
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [long] $Size, [int] $Seed = 1, [int] $Version = 1)
    $r = Invoke-RestMethod -Uri "$($Server.BaseUri)/_sha256?size=$Size&seed=$Seed&version=$Version" -TimeoutSec 120
    "$r".Trim().ToLowerInvariant()
}

function Get-TestServerLog {
    # The requests the server logged with this tag, in arrival order (Time, Method, PathAndQuery, Range, StatusCode, BodyBytesSent...).
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $Tag)
    # Invoke-RestMethod returns a JSON array as one object: enumerate it, so callers get one entry per request.
    $entries = Invoke-RestMethod -Uri "$($Server.BaseUri)/_log?tag=$([uri]::EscapeDataString($Tag))" -TimeoutSec 30
    foreach ($entry in $entries) { $entry }
}

function Get-BytesSent {
    # The body bytes the server sent for these log entries (so far, for requests still running).
    param([object[]] $Entries)
    $sum = 0L
    foreach ($e in $Entries) { $sum += [long]$e.bodyBytesSent }
    $sum
}

function Get-RangeStart {
    # 123 for 'bytes=123-' or 'bytes=123-456'; $null when there is no (single) range.
    param([string] $Range)
    if ($Range -match '^\s*bytes\s*=\s*(\d+)\s*-') { [long]$Matches[1] } else { $null }
}
