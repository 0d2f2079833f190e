# Starts tests/ResumeTransfer.TestServer as a process on loopback (port 0) and stops it. Dot-source it:
#     . $PSScriptRoot/TestServer.ps1
#     $server = Start-TestServer            # BeforeAll
#     Stop-TestServer $server               # AfterAll
# The server prints `READY http://127.0.0.1:P http://127.0.0.2:P2` once it listens, and exits by itself after
# -MaxLifetimeSec even if nobody stops it (a crashed test run leaves nothing behind for long).

. $PSScriptRoot/ReadyProcess.ps1   # Start-ReadyProcess, Stop-ReadyProcess

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
    $psi = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)   # dotnet
    foreach ($a in @($ServerDll, '--port', '0', '--max-lifetime-sec', "$MaxLifetimeSec")) { $psi.ArgumentList.Add($a) }
    $psi.Environment['ASPNETCORE_ENVIRONMENT'] = 'Production'
    $psi.Environment['DOTNET_NOLOGO'] = '1'
    # stdin is held open until Stop-TestServer: the server never sees a closed stdin early (it stops on SIGTERM).
    $started = Start-ReadyProcess -StartInfo $psi -Name 'The test server' -LogPrefix 'rt-testserver' `
        -ReadyPattern '^READY\s+(\S+)\s+(\S+)' -ReadyTimeoutSec $ReadyTimeoutSec

    [pscustomobject]@{
        PSTypeName     = 'ResumeTransfer.TestServerProcess'
        Process        = $started.Process
        BaseUri        = $started.Ready[1].TrimEnd('/')
        OtherOriginUri = $started.Ready[2].TrimEnd('/')
        LogDirectory   = $started.LogDirectory
        Drains         = $started.Drains
        Files          = $started.Files
    }
}

function Stop-TestServer {
    param($Server)
    # SIGTERM lets Kestrel shut down; SIGKILL only if it does not within 5 s.
    Stop-ReadyProcess $Server -Via SigTerm -WaitMs 5000
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
