using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using ResumeTransfer.Core;

namespace ResumeTransfer.Cmdlets;

/// <summary>Checks and converts the parameters that are the same for every item of an invocation.</summary>
internal static class RequestOptions
{
    // The engine sets these to keep ranges and resumes correct; a user value would silently break them
    // (gzip offsets, a second Range, a validator of another version).
    private static readonly string[] ReservedHeaders =
    {
        "Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "Accept-Encoding",
    };

    /// <summary>Hex digits of each supported algorithm's digest.</summary>
    private static readonly Dictionary<string, int> HashHexLength = new(StringComparer.OrdinalIgnoreCase)
    {
        ["SHA256"] = 64,
        ["SHA384"] = 96,
        ["SHA512"] = 128,
        ["SHA1"] = 40,
        ["MD5"] = 32,
    };

    /// <summary>Converts -Headers to strings; throws <see cref="TransferException"/> (InvalidArgument) for unusable entries.</summary>
    public static IReadOnlyDictionary<string, string> ConvertHeaders(IDictionary? headers)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (headers is null)
        {
            return result;
        }

        foreach (DictionaryEntry entry in headers)
        {
            var name = ToText(entry.Key)?.Trim();
            if (string.IsNullOrEmpty(name) || name!.Any(c => c <= ' ' || c == ':' || c >= 127))
            {
                throw new TransferException(TransferErrorKind.InvalidArgument, $"-Headers has an invalid header name '{name}'. Use names like 'X-Api-Version'.");
            }

            if (ReservedHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw new TransferException(
                    TransferErrorKind.InvalidArgument,
                    $"-Headers may not set '{name}': Save-ResumableFile sets it itself to keep resumed and parallel downloads correct. Remove it from -Headers.");
            }

            var value = entry.Value is IEnumerable list and not string
                ? string.Join(", ", list.Cast<object?>().Select(ToText))
                : ToText(entry.Value) ?? string.Empty;
            if (value.IndexOfAny(new[] { '\r', '\n' }) >= 0)
            {
                throw new TransferException(TransferErrorKind.InvalidArgument, $"The value of header '{name}' contains a line break. Header values must be one line.");
            }

            result[name!] = value;
        }

        return result;
    }

    /// <summary>Returns the hash in lower-case hex, or throws when it cannot be a digest of <paramref name="algorithm"/>.</summary>
    public static string NormalizeExpectedHash(string hash, string algorithm)
    {
        var trimmed = hash.Trim();
        var expectedLength = HashHexLength.TryGetValue(algorithm, out var length) ? length : -1;
        if (trimmed.Length != expectedLength || !trimmed.All(Uri.IsHexDigit))
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                string.Format(
                    CultureInfo.InvariantCulture,
                    "-ExpectedHash '{0}' is not a {1} digest: expected {2} hexadecimal digits. Check the value, or set -HashAlgorithm to the algorithm it was made with.",
                    hash,
                    algorithm,
                    expectedLength));
        }

#pragma warning disable CA1308 // Hex digests are conventionally lower case (Get-FileHash aside); the comparison ignores case anyway.
        return trimmed.ToLowerInvariant();
#pragma warning restore CA1308
    }

    private static string? ToText(object? value) => value switch
    {
        null => null,
        PSObject wrapped => ToText(wrapped.BaseObject),
        string text => text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
