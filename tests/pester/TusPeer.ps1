# Starts the tus test peer (tests/peers/tus-server.mjs: @tus/server 2.4.5 + @tus/file-store 2.1.1) as a process on
# loopback (port 0) and stops it. Dot-source it:
#     . $PSScriptRoot/TusPeer.ps1
#     $tus = Start-TusPeer -Directory $dir   # BeforeAll; $tus.Endpoint is http://127.0.0.1:P/files
#     Stop-TusPeer $tus                      # AfterAll
# The peer exits by itself when its stdin closes (--stdin-lifeline: this pwsh holds the pipe) or after
# -MaxLifetimeSec, so a crashed test run leaves nothing behind. The npm packages come from `npm ci` in tests/peers
# (build.ps1 -Task Test runs it); without them this throws, it does not skip.

. $PSScriptRoot/ReadyProcess.ps1   # Start-ReadyProcess, Stop-ReadyProcess

function Start-TusPeer {
    param(
        # Where @tus/file-store keeps the uploads: file <id> holds the bytes, <id>.json the metadata.
        [Parameter(Mandatory)] [string] $Directory,
        # Each PATCH waits this long before @tus/server handles it: a throttle, so a kill lands mid-upload.
        [int] $DelayMs = 0,
        # 'user:pass': every request needs these Basic credentials (401 otherwise, nothing stored).
        [string] $Basic,
        # One LOG line per answered request on the peer's stdout, read with Get-TusPeerLog.
        [switch] $Log,
        [int] $MaxLifetimeSec = 600,
        [int] $ReadyTimeoutSec = 30
    )
    $peers = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../peers'))
    if (-not (Test-Path -LiteralPath (Join-Path $peers 'node_modules/@tus/server'))) {
        throw "The upload test peers are not installed: run 'npm ci' in $peers (build.ps1 -Task Test does; node 20 is required)."
    }
    $node = Get-Command node -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $node) { throw 'node is not installed: the tus test peer needs node 20.' }

    New-Item -ItemType Directory -Path $Directory -Force | Out-Null
    $psi = [System.Diagnostics.ProcessStartInfo]::new($node.Source)
    $arguments = @((Join-Path $peers 'tus-server.mjs'), '--port', '0', '--dir', $Directory, '--max-lifetime-sec', "$MaxLifetimeSec", '--stdin-lifeline')
    if ($DelayMs -gt 0) { $arguments += '--delay-ms', "$DelayMs" }
    if ($Basic) { $arguments += '--basic', $Basic }
    if ($Log) { $arguments += '--log' }
    foreach ($a in $arguments) {
        $psi.ArgumentList.Add($a)
    }
    $psi.WorkingDirectory = $peers
    $psi.Environment['NODE_NO_WARNINGS'] = '1'
    # stdin is the lifeline: closed by Stop-TusPeer (or by the death of this pwsh). stdout.log is shared for reading:
    # Get-TusPeerLog reads it while the peer runs.
    $started = Start-ReadyProcess -StartInfo $psi -Name 'The tus peer' -LogPrefix 'rt-tuspeer' `
        -ReadyPattern '^READY\s+(\S+)' -ReadyTimeoutSec $ReadyTimeoutSec

    [pscustomobject]@{
        PSTypeName   = 'ResumeTransfer.TusPeerProcess'
        Process      = $started.Process
        Endpoint     = $started.Ready[1]
        Directory    = $Directory
        LogDirectory = $started.LogDirectory
        Drains       = $started.Drains
        Files        = $started.Files
    }
}

function Stop-TusPeer {
    param($Peer)
    # The lifeline: the peer exits on its own; killed if it has not within 5 s.
    Stop-ReadyProcess $Peer -Via Lifeline -WaitMs 5000
}

function Get-TusStoredFile {
    # Where @tus/file-store keeps the bytes of the upload at this upload URL.
    param([Parameter(Mandatory)] $Peer, [Parameter(Mandatory)] [uri] $UploadUrl)
    Join-Path $Peer.Directory $UploadUrl.Segments[-1]
}

function Get-TusPeerLog {
    # The requests the peer answered so far (started with -Log), oldest first: Method, Path, Status, and the
    # Upload-Offset of the request and of the answer ($null where the header was absent).
    param([Parameter(Mandatory)] $Peer)
    $path = Join-Path $Peer.LogDirectory 'stdout.log'
    $stream = [System.IO.FileStream]::new($path, 'Open', 'Read', 'ReadWrite')
    try { $text = [System.IO.StreamReader]::new($stream).ReadToEnd() } finally { $stream.Dispose() }
    foreach ($line in $text -split "`n") {
        if ($line -match '^LOG (\S+) (\S+) (\d+) tus=\S+ req-offset=(\S+) res-offset=(\S+)') {
            [pscustomobject]@{
                Method    = $Matches[1]
                Path      = $Matches[2]
                Status    = [int]$Matches[3]
                ReqOffset = if ($Matches[4] -eq '-') { $null } else { [long]$Matches[4] }
                ResOffset = if ($Matches[5] -eq '-') { $null } else { [long]$Matches[5] }
            }
        }
    }
}
