using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using ResumeTransfer.Core;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// Turns -Headers (any IDictionary, values of any type) into the text headers the core takes. Which headers are
/// sent, ignored or kept to the original origin is the HTTP source's decision, not this one's.
/// </summary>
internal static class HeadersParameter
{
    /// <summary>Converts -Headers to strings; throws <see cref="TransferException"/> (InvalidArgument) for unusable entries.</summary>
    public static IReadOnlyDictionary<string, string> Convert(IDictionary? headers)
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

    private static string? ToText(object? value) => value switch
    {
        null => null,
        PSObject wrapped => ToText(wrapped.BaseObject),
        string text => text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
