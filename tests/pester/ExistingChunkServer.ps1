# Starts a chunk server that already exists (tests/peers): the flow.js project's Node.js sample (flow-server.cjs) or a
# receiver written to the product brief's description (seed-receiver.cjs), as a process on loopback (port 0), and
# stops it. Dot-source it:
#     . $PSScriptRoot/ExistingChunkServer.ps1
#     $flow = Start-ExistingChunkServer -Kind Flow -Directory $dir   # $flow.Url is http://127.0.0.1:P/upload
#     Stop-ExistingChunkServer $flow
# The server exits by itself when its stdin closes (--stdin-lifeline) or after -MaxLifetimeSec. The npm packages come
# from `npm ci` in tests/peers (build.ps1 -Task Test runs it); without them this throws, it does not skip.

. $PSScriptRoot/ReadyProcess.ps1   # Start-ReadyProcess, Stop-ReadyProcess

function Start-ExistingChunkServer {
    param(
        [Parameter(Mandatory)] [ValidateSet('Flow', 'Seed')] [string] $Kind,
        # Flow: chunks in <dir>/tmp/flow-<identifier>.<n>. Seed: <dir>/chunks/<name>/<n>, merged files in <dir>/files.
        [Parameter(Mandatory)] [string] $Directory,
        # Each chunk POST waits this long first: a throttle, so a kill lands mid-upload.
        [int] $DelayMs = 0,
        # More launcher options, e.g. '--fail-post', '3'.
        [string[]] $Options = @(),
        [int] $MaxLifetimeSec = 600
    )
    $peers = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../peers'))
    if (-not (Test-Path -LiteralPath (Join-Path $peers 'node_modules/@flowjs/flow.js'))) {
        throw "The chunk server peers are not installed: run 'npm ci' in $peers (build.ps1 -Task Test does; node 20 is required)."
    }
    $node = Get-Command node -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $node) { throw 'node is not installed: the chunk server peers need node 20.' }

    New-Item -ItemType Directory -Path $Directory -Force | Out-Null
    $script = if ($Kind -eq 'Flow') { 'flow-server.cjs' } else { 'seed-receiver.cjs' }
    $psi = [System.Diagnostics.ProcessStartInfo]::new($node.Source)
    $arguments = @((Join-Path $peers $script), '--port', '0', '--dir', $Directory, '--log', '--max-lifetime-sec', "$MaxLifetimeSec", '--stdin-lifeline') + $Options
    if ($DelayMs -gt 0) { $arguments += '--delay-ms', "$DelayMs" }
    foreach ($a in $arguments) { $psi.ArgumentList.Add($a) }
    $psi.WorkingDirectory = $peers
    $psi.Environment['NODE_NO_WARNINGS'] = '1'
    $started = Start-ReadyProcess -StartInfo $psi -Name "The $Kind chunk server" -LogPrefix "rt-$($Kind.ToLowerInvariant())peer" `
        -ReadyPattern '^READY\s+(\S+)' -ReadyTimeoutSec 30

    [pscustomobject]@{
        PSTypeName   = 'ResumeTransfer.ExistingChunkServer'
        Kind         = $Kind
        Process      = $started.Process
        Url          = $started.Ready[1]
        Directory    = $Directory
        LogDirectory = $started.LogDirectory
        Drains       = $started.Drains
        Files        = $started.Files
    }
}

function Stop-ExistingChunkServer {
    param($Server)
    Stop-ReadyProcess $Server -Via Lifeline -WaitMs 5000
}

function Get-ExistingChunkServerLog {
    # The requests the server answered so far, oldest first: Method, Path, Status, Chunk (the chunk number sent, or $null).
    param([Parameter(Mandatory)] $Server)
    $stream = [System.IO.FileStream]::new((Join-Path $Server.LogDirectory 'stdout.log'), 'Open', 'Read', 'ReadWrite')
    try { $text = [System.IO.StreamReader]::new($stream).ReadToEnd() } finally { $stream.Dispose() }
    foreach ($line in $text -split "`n") {
        if ($line -match '^LOG (\S+) (\S+) (\d+) chunk=(\S+)') {
            [pscustomobject]@{
                Method = $Matches[1]
                Path   = $Matches[2]
                Status = [int]$Matches[3]
                Chunk  = if ($Matches[4] -eq '-') { $null } else { [int]$Matches[4] }
            }
        }
    }
}

function Wait-ExistingChunkServerQuiet($Server) {
    # Requests cut off by a kill end on the server a little later: wait until its log stops growing.
    $count = -1; $quiet = 0
    for ($i = 0; $i -lt 50 -and $quiet -lt 3; $i++) {
        $now = @(Get-ExistingChunkServerLog $Server).Count
        if ($now -eq $count) { $quiet++ } else { $quiet = 0; $count = $now }
        Start-Sleep -Milliseconds 150
    }
}

function Get-FlowAssembledSha256 {
    # The file the flow.js sample assembles from the chunks of this identifier (its own GET /download/<identifier>).
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $Identifier)
    $base = ([uri]$Server.Url).GetLeftPart('Authority')
    $bytes = (Invoke-WebRequest -Uri "$base/download/$Identifier" -UseBasicParsing).RawContentStream.ToArray()
    [Convert]::ToHexStringLower([System.Security.Cryptography.SHA256]::HashData($bytes))
}
