# Starts the FTP/FTPS test peer (tests/peers/ftp-server.py: Debian's python3-pyftpdlib with python3-openssl, run by
# /usr/bin/python3) on loopback (port 0) and stops it. Dot-source it:
#     . $PSScriptRoot/FtpPeer.ps1
#     $ftp = Start-FtpPeer -Directory $dir [-Options '--tls', '--rate', '1000000']   # $ftp.Url: ftp://127.0.0.1:P/
#     Get-FtpPeerLog $ftp                                                          # commands and data connections
#     Stop-FtpPeer $ftp
# The peer exits by itself when its stdin closes (--stdin-lifeline: this pwsh holds the pipe), so a crashed test run
# leaves nothing behind. Without pyftpdlib this throws with the install command, it does not skip.

. $PSScriptRoot/ReadyProcess.ps1   # Start-ReadyProcess, Stop-ReadyProcess

function Start-FtpPeer {
    param(
        # The folder the server serves (created when missing).
        [Parameter(Mandatory)] [string] $Directory,
        # More launcher options: --tls, --require-tls-reuse, --user NAME:PASS, --max-logins N, --no-rest, --rate B/s...
        [string[]] $Options = @(),
        [int] $MaxLifetimeSec = 600
    )
    if (-not (Test-Path -LiteralPath '/usr/lib/python3/dist-packages/pyftpdlib/__init__.py')) {
        throw "pyftpdlib is not installed: run 'apt-get install -y --no-install-recommends python3-pyftpdlib python3-openssl' (.ci/install-packages does)."
    }
    New-Item -ItemType Directory -Path $Directory -Force | Out-Null
    $peers = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../peers'))
    $psi = [System.Diagnostics.ProcessStartInfo]::new('/usr/bin/python3')
    foreach ($a in @((Join-Path $peers 'ftp-server.py'), '--dir', $Directory, '--max-lifetime-sec', "$MaxLifetimeSec", '--stdin-lifeline') + $Options) {
        $psi.ArgumentList.Add($a)
    }
    $started = Start-ReadyProcess -StartInfo $psi -Name 'The FTP peer' -LogPrefix 'rt-ftppeer' -ReadyPattern '^READY\s+(\S+)(?:.*\scert=(\S+))?'
    [pscustomobject]@{
        PSTypeName   = 'ResumeTransfer.FtpPeerProcess'
        Process      = $started.Process
        Url          = $started.Ready[1]
        Certificate  = $started.Ready[2]
        Directory    = $Directory
        LogDirectory = $started.LogDirectory
        Drains       = $started.Drains
        Files        = $started.Files
    }
}

function Stop-FtpPeer {
    param($Peer)
    Stop-ReadyProcess $Peer -Via Lifeline -WaitMs 5000
}

function Get-FtpPeerLog {
    # What the peer logged so far, oldest first: Kind CMD (Session, Line; PASS shows as 'PASS ***'), DATA (Session,
    # Sent, Rest, Complete: one closed data connection) or TLSDATA (Session, Reused).
    param([Parameter(Mandatory)] $Peer)
    $path = Join-Path $Peer.LogDirectory 'stdout.log'
    $stream = [System.IO.FileStream]::new($path, 'Open', 'Read', 'ReadWrite')
    try { $text = [System.IO.StreamReader]::new($stream).ReadToEnd() } finally { $stream.Dispose() }
    foreach ($line in $text -split "`n") {
        if ($line -match '^LOG CMD (\d+) (.*)$') {
            [pscustomobject]@{ Kind = 'CMD'; Session = [int]$Matches[1]; Line = $Matches[2].TrimEnd() }
        }
        elseif ($line -match '^LOG DATA (\d+) sent=(\d+) rest=(\d+) file=\S+ complete=(\d)') {
            [pscustomobject]@{ Kind = 'DATA'; Session = [int]$Matches[1]; Sent = [long]$Matches[2]; Rest = [long]$Matches[3]; Complete = $Matches[4] -eq '1' }
        }
        elseif ($line -match '^LOG TLSDATA (\d+) reused=(\d)') {
            [pscustomobject]@{ Kind = 'TLSDATA'; Session = [int]$Matches[1]; Reused = $Matches[2] -eq '1' }
        }
    }
}
