using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace ResumeTransfer.TestServer;

/// <summary>The query parameters of a <c>/files/{name}</c> request (see <see cref="TestServerHost"/> for the list).</summary>
internal sealed class FileRequestOptions
{
    /// <summary>Every fault name the server knows; anything else is a 400, so a typo in a test fails loudly.</summary>
    public static readonly IReadOnlySet<string> KnownFaults =
        new HashSet<string>(["drop", "short", "stall", "wrongrange", "ignorerange", "status", "gzip", "chunked", "storedgzip", "range416unlesszero", "overlapstart"], StringComparer.Ordinal);

    public long Size { get; private init; }

    public int Seed { get; private init; } = 1;

    public int Version { get; private init; } = 1;

    public string? Tag { get; private init; }

    /// <summary>Fault names, lower case; <c>fault=a,b</c> and repeated <c>fault=</c> both work.</summary>
    public IReadOnlySet<string> Faults { get; private init; } = new HashSet<string>();

    public int? Times { get; private init; }

    public long At { get; private init; }

    public int Code { get; private init; } = 503;

    public string? RetryAfter { get; private init; }

    public int? ChangeAfter { get; private init; }

    public bool NoETag { get; private init; }

    public bool WeakETag { get; private init; }

    public bool NoLastModified { get; private init; }

    public bool NoRanges { get; private init; }

    public long? Rate { get; private init; }

    public int Latency { get; private init; }

    public string? Disposition { get; private init; }

    public string? User { get; private init; }

    /// <summary>A Content-Range sent verbatim on every 206 instead of the true one (the body stays the true range).</summary>
    public string? ContentRange { get; private init; }

    public string? Pass { get; private init; }

    public static bool TryParse(IQueryCollection query, out FileRequestOptions options, out string error)
    {
        options = new FileRequestOptions();
        error = "";
        if (!TryLong(query, "size", out long? size) || size is null or < 0)
        {
            error = "size=N (a non-negative integer) is required";
            return false;
        }

        if (!TryInt(query, "seed", out int? seed) || !TryInt(query, "version", out int? version) ||
            !TryInt(query, "times", out int? times) || !TryLong(query, "at", out long? at) ||
            !TryInt(query, "code", out int? code) || !TryInt(query, "changeafter", out int? changeAfter) ||
            !TryLong(query, "rate", out long? rate) || !TryInt(query, "latency", out int? latency))
        {
            error = "seed, version, times, at, code, changeafter, rate and latency must be integers";
            return false;
        }

        if (rate is <= 0 || latency is < 0 || at is < 0 || times is < 0 || code is < 100 or > 599)
        {
            error = "rate must be > 0; latency, at and times >= 0; code 100..599";
            return false;
        }

        var faults = new HashSet<string>(StringComparer.Ordinal);
        foreach (string? value in query["fault"])
        {
            foreach (string name in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string fault = name.ToLowerInvariant();
                if (!KnownFaults.Contains(fault))
                {
                    error = $"unknown fault '{name}'; known: {string.Join(", ", KnownFaults)}";
                    return false;
                }

                faults.Add(fault);
            }
        }

        options = new FileRequestOptions
        {
            Size = size.Value,
            Seed = seed ?? 1,
            Version = version ?? 1,
            Tag = Text(query, "tag"),
            Faults = faults,
            Times = times,
            At = at ?? 0,
            Code = code ?? 503,
            RetryAfter = Text(query, "retryafter"),
            ChangeAfter = changeAfter,
            NoETag = Flag(query, "noetag"),
            WeakETag = Flag(query, "weaketag"),
            NoLastModified = Flag(query, "nolastmodified"),
            NoRanges = Flag(query, "noranges"),
            Rate = rate,
            Latency = latency ?? 0,
            Disposition = Text(query, "disposition"),
            User = Text(query, "user"),
            ContentRange = Text(query, "contentrange"),
            Pass = Text(query, "pass"),
        };
        return true;
    }

    private static string? Text(IQueryCollection query, string name)
    {
        StringValues values = query[name];
        return values.Count == 0 ? null : values[^1];
    }

    private static bool Flag(IQueryCollection query, string name) =>
        Text(query, name) is { } v && v is not ("0" or "false" or "False");

    private static bool TryLong(IQueryCollection query, string name, out long? value)
    {
        value = null;
        string? text = Text(query, name);
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool TryInt(IQueryCollection query, string name, out int? value)
    {
        value = null;
        if (!TryLong(query, name, out long? parsed))
        {
            return false;
        }

        if (parsed is { } p)
        {
            if (p is < int.MinValue or > int.MaxValue)
            {
                return false;
            }

            value = (int)p;
        }

        return true;
    }
}
