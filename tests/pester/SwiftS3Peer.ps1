# Starts the strict S3 test peer (tests/peers/swift-s3.py: OpenStack Swift with s3api, Debian python3-swift) as a
# process on loopback (port 0) and stops it; reads what it stored through Swift's own API (tempauth), so the checks
# do not go through the module under test. Dot-source it:
#     . $PSScriptRoot/SwiftS3Peer.ps1
#     $swift = Start-SwiftS3Peer             # BeforeAll; $swift.Endpoint is http://127.0.0.1:P (path-style S3)
#     Stop-SwiftS3Peer $swift                # AfterAll
# S3: bucket 'test-bucket', access key 'test:tester', secret 'testing', region us-east-1. The peer exits by itself
# when its stdin closes (--stdin-lifeline: this pwsh holds the pipe) or after -MaxLifetimeSec.

. $PSScriptRoot/ReadyProcess.ps1   # Start-ReadyProcess, Stop-ReadyProcess

function Start-SwiftS3Peer {
    param(
        # Each S3 UploadPart waits this long before Swift handles it: a throttle, so a kill lands mid-upload.
        [int] $DelayMs = 0,
        # Each GetObject body is sent at most at this many bytes/s (per request): a kill lands mid-download.
        [long] $GetRate = 0,
        # The proxy prints 'GET /bucket/key range=... if-match=...' for each GetObject (see Get-SwiftS3GetLog).
        [switch] $LogGets,
        [int] $MaxLifetimeSec = 600,
        [int] $ReadyTimeoutSec = 60
    )
    $launcher = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../peers/swift-s3.py'))
    # Debian's python3 (python3-swift is installed for it), never a python from PATH that may lack the package.
    $python = '/usr/bin/python3'
    if (-not (Test-Path -LiteralPath $python)) { throw 'The Swift S3 test peer needs /usr/bin/python3 with python3-swift (apt).' }

    $psi = [System.Diagnostics.ProcessStartInfo]::new($python)
    $arguments = @($launcher, '--port', '0', '--backend-port-base', '0', '--bucket', 'test-bucket',
        '--stdin-lifeline', '--max-lifetime-sec', "$MaxLifetimeSec")
    if ($DelayMs -gt 0) { $arguments += '--delay-ms', "$DelayMs" }
    if ($GetRate -gt 0) { $arguments += '--get-rate', "$GetRate" }
    if ($LogGets) { $arguments += '--log-gets' }
    foreach ($a in $arguments) { $psi.ArgumentList.Add($a) }
    # stdin is the lifeline: closed by Stop-SwiftS3Peer (or by the death of this pwsh).
    $started = Start-ReadyProcess -StartInfo $psi -Name 'The Swift S3 peer' -LogPrefix 'rt-swiftpeer' `
        -ReadyPattern '^READY\s+(\S+)' -ReadyTimeoutSec $ReadyTimeoutSec

    [pscustomobject]@{
        PSTypeName   = 'ResumeTransfer.SwiftS3PeerProcess'
        Process      = $started.Process
        Endpoint     = $started.Ready[1]
        Bucket       = 'test-bucket'
        AccessKey    = 'test:tester'
        SecretKey    = 'testing'
        LogDirectory = $started.LogDirectory
        Drains       = $started.Drains
        Files        = $started.Files
    }
}

function Stop-SwiftS3Peer {
    param($Peer)
    # The lifeline: the launcher stops its Swift servers and removes its directory; killed if it has not within 15 s.
    Stop-ReadyProcess $Peer -Via Lifeline -WaitMs 15000
}

function Get-SwiftS3Credential {
    # The S3 credentials the peer accepts, as -Credential takes them (access key as user name, secret as password).
    param([Parameter(Mandatory)] $Peer)
    [pscredential]::new($Peer.AccessKey, (ConvertTo-SecureString $Peer.SecretKey -AsPlainText -Force))
}

function Invoke-SwiftS3Get {
    # An S3 GET signed with AWS signature version 2 (HMAC-SHA1, which s3api accepts), written here so that what the
    # tests read back does not go through the module (or the AWS SDK) under test. $Resource: /bucket/key[?subresource].
    param([Parameter(Mandatory)] $Peer, [Parameter(Mandatory)] [string] $Resource, [string] $OutFile)
    $date = [DateTime]::UtcNow.ToString('r')
    $hmac = [System.Security.Cryptography.HMACSHA1]::new([System.Text.Encoding]::UTF8.GetBytes($Peer.SecretKey))
    try { $signature = [Convert]::ToBase64String($hmac.ComputeHash([System.Text.Encoding]::UTF8.GetBytes("GET`n`n`n$date`n$Resource"))) }
    finally { $hmac.Dispose() }
    $headers = @{ Date = $date; Authorization = "AWS $($Peer.AccessKey):$signature" }
    if ($OutFile) { Invoke-WebRequest -Uri "$($Peer.Endpoint)$Resource" -Headers $headers -OutFile $OutFile }
    else { Invoke-RestMethod -Uri "$($Peer.Endpoint)$Resource" -Headers $headers }
}

function Get-SwiftS3StoredParts {
    # The parts Swift holds for the multipart upload $UploadId of $Key (S3 ListParts), each with its number, size
    # and ETag (the part's MD5).
    param([Parameter(Mandatory)] $Peer, [Parameter(Mandatory)] [string] $Key, [Parameter(Mandatory)] [string] $UploadId)
    [xml] $answer = Invoke-SwiftS3Get $Peer "/$($Peer.Bucket)/$Key`?uploadId=$UploadId"
    if ($answer.ListPartsResult.IsTruncated -eq 'true') { throw "ListParts of $Key answered in pages: ask with a larger max-parts." }
    @($answer.ListPartsResult.Part) | Where-Object { $_ } | ForEach-Object {
        [pscustomobject]@{ Number = [int]$_.PartNumber; Length = [long]$_.Size; ETag = $_.ETag.Trim('"') }
    }
}

function Get-SwiftS3ObjectSha256 {
    # Hex SHA-256 of the object $Key as S3 GET serves it.
    param([Parameter(Mandatory)] $Peer, [Parameter(Mandatory)] [string] $Key, [Parameter(Mandatory)] [string] $OutFile)
    Invoke-SwiftS3Get $Peer "/$($Peer.Bucket)/$Key" -OutFile $OutFile
    try { (Get-FileHash -LiteralPath $OutFile -Algorithm SHA256).Hash.ToLowerInvariant() }
    finally { Remove-Item -LiteralPath $OutFile -Force -ErrorAction SilentlyContinue }
}

function Invoke-SwiftS3Put {
    # Stores $InFile at $Key with one S3 PUT signed with AWS signature version 2, so that the objects the download tests
    # read were not written by the module (or the AWS SDK) under test.
    param([Parameter(Mandatory)] $Peer, [Parameter(Mandatory)] [string] $Key, [Parameter(Mandatory)] [string] $InFile)
    # The path as sent (each key segment escaped) is what SigV2 signs.
    $resource = "/$($Peer.Bucket)/" + (($Key -split '/' | ForEach-Object { [uri]::EscapeDataString($_) }) -join '/')
    $date = [DateTime]::UtcNow.ToString('r')
    $type = 'application/octet-stream'
    $hmac = [System.Security.Cryptography.HMACSHA1]::new([System.Text.Encoding]::UTF8.GetBytes($Peer.SecretKey))
    try { $signature = [Convert]::ToBase64String($hmac.ComputeHash([System.Text.Encoding]::UTF8.GetBytes("PUT`n`n$type`n$date`n$resource"))) }
    finally { $hmac.Dispose() }
    $headers = @{ Date = $date; Authorization = "AWS $($Peer.AccessKey):$signature" }
    Invoke-WebRequest -Uri "$($Peer.Endpoint)$resource" -Method Put -Headers $headers -ContentType $type -InFile $InFile | Out-Null
}

function Get-SwiftS3GetLog {
    # The GetObject requests the proxy logged (Start-SwiftS3Peer -LogGets) for $Key, in arrival order: each with its
    # Range start and end (inclusive) and If-Match.
    param([Parameter(Mandatory)] $Peer, [Parameter(Mandatory)] [string] $Key)
    $log = Join-Path $Peer.LogDirectory 'stdout.log'
    if (-not (Test-Path -LiteralPath $log)) { return }
    $path = "/$($Peer.Bucket)/$Key"
    # The launcher's drain still writes the file: read it with sharing that allows that.
    $stream = [System.IO.FileStream]::new($log, 'Open', 'Read', 'ReadWrite')
    try { $text = [System.IO.StreamReader]::new($stream).ReadToEnd() } finally { $stream.Dispose() }
    foreach ($line in $text -split "`n") {
        if ($line.TrimEnd() -notmatch '^GET (\S+) range=(\S+) if-match=(\S+)$') { continue }
        $where, $range, $ifMatch = $Matches[1], $Matches[2], $Matches[3]
        if ($where -ne $path) { continue }
        $start = $null; $end = $null
        if ($range -match '^bytes=(\d+)-(\d*)$') { $start = [long]$Matches[1]; if ($Matches[2]) { $end = [long]$Matches[2] } }
        [pscustomobject]@{ Start = $start; End = $end; IfMatch = $ifMatch }
    }
}
