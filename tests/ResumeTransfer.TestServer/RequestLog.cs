namespace ResumeTransfer.TestServer;

/// <summary>
/// One request as the test server saw it. The entry is added when the request arrives, so a test sees it as
/// soon as its client has the response headers; <see cref="StatusCode"/> is set before the headers go out and
/// <see cref="BodyBytesSent"/> grows as body bytes are handed to the socket.
/// </summary>
public sealed class LoggedRequest
{
    /// <summary><see cref="Listener"/> value for the 127.0.0.1 origin (<see cref="TestServerHost.BaseUri"/>).</summary>
    public const string BaseListener = "base";

    /// <summary><see cref="Listener"/> value for the 127.0.0.2 origin (<see cref="TestServerHost.OtherOriginUri"/>).</summary>
    public const string OtherListener = "other";

    /// <summary><see cref="Listener"/> value for the https origin on 127.0.0.3 (<see cref="TestServerHost.SecureUri"/>).</summary>
    public const string SecureListener = "secure";

    private int _statusCode;
    private long _bodyBytesSent;
    private string? _error;

    public required DateTimeOffset Time { get; init; }

    /// <summary>Which origin received the request: <see cref="BaseListener"/> or <see cref="OtherListener"/>.</summary>
    public required string Listener { get; init; }

    public required string Method { get; init; }

    public required string PathAndQuery { get; init; }

    /// <summary>The <c>tag</c> query parameter, when given.</summary>
    public string? Tag { get; init; }

    /// <summary>1-based number of this request among the file requests carrying <see cref="Tag"/> (0 when not a counted request).</summary>
    public int TagSequence { get; internal set; }

    public string? Range { get; init; }

    public string? IfRange { get; init; }

    public string? IfMatch { get; init; }

    public string? Authorization { get; init; }

    public string? Cookie { get; init; }

    public string? AcceptEncoding { get; init; }

    public string? UserAgent { get; init; }

    /// <summary>Every request header (multiple values joined with ", ").</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public int StatusCode
    {
        get => Volatile.Read(ref _statusCode);
        internal set => Volatile.Write(ref _statusCode, value);
    }

    /// <summary>Body bytes handed to the connection (before any abort).</summary>
    public long BodyBytesSent
    {
        get => Interlocked.Read(ref _bodyBytesSent);
        internal set => Interlocked.Exchange(ref _bodyBytesSent, value);
    }

    /// <summary>Unexpected server-side exception text, if the handler failed (a server bug, not a fault).</summary>
    public string? Error
    {
        get => Volatile.Read(ref _error);
        internal set => Volatile.Write(ref _error, value);
    }

    internal void AddBodyBytes(long count) => Interlocked.Add(ref _bodyBytesSent, count);

    public override string ToString() =>
        $"{Listener} {Method} {PathAndQuery} Range={Range ?? "-"} IfRange={IfRange ?? "-"} -> {StatusCode} ({BodyBytesSent} B){(Error is null ? "" : " ERROR " + Error)}";
}

/// <summary>Thread-safe, append-only list of the requests a <see cref="TestServerHost"/> received.</summary>
public sealed class RequestLog
{
    private readonly List<LoggedRequest> _entries = [];
    private readonly Lock _gate = new();

    /// <summary>A snapshot of every request so far, in arrival order.</summary>
    public IReadOnlyList<LoggedRequest> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>A snapshot of the requests whose tag is <paramref name="tag"/>, in arrival order.</summary>
    public IReadOnlyList<LoggedRequest> ForTag(string tag)
    {
        lock (_gate)
        {
            return _entries.Where(e => string.Equals(e.Tag, tag, StringComparison.Ordinal)).ToList();
        }
    }

    internal void Add(LoggedRequest entry)
    {
        lock (_gate)
        {
            _entries.Add(entry);
        }
    }
}
