using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using ResumeTransfer.Core;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// Turns dictionary parameters (-Headers, -Metadata: any IDictionary, values of any type) into the text pairs the core
/// takes. Names must be usable as HTTP header names (metadata travels as headers or form fields) and values must be one
/// line. Which pairs are sent, ignored or kept to the original origin is the protocol's decision, not this one's.
/// </summary>
internal static class DictionaryParameter
{
    /// <summary>Converts -Headers to strings; throws <see cref="TransferException"/> (InvalidArgument) for unusable entries.</summary>
    public static IReadOnlyDictionary<string, string> Headers(IDictionary? headers) => Convert(headers, "-Headers", "header", "'X-Api-Version'");

    /// <summary>Converts -Metadata to strings; throws <see cref="TransferException"/> (InvalidArgument) for unusable entries.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(IDictionary? metadata) => Convert(metadata, "-Metadata", "metadata key", "'owner' or 'build-id'");

    /// <summary>Converts -ChunkApiFields to strings; throws <see cref="TransferException"/> (InvalidArgument) for unusable entries.</summary>
    public static IReadOnlyDictionary<string, string> ChunkApiFields(IDictionary? fields) => Convert(fields, "-ChunkApiFields", "field", "chunk = 'index'");

    private static Dictionary<string, string> Convert(IDictionary? entries, string parameter, string what, string example)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (entries is null)
        {
            return result;
        }

        foreach (DictionaryEntry entry in entries)
        {
            var name = ToText(entry.Key)?.Trim();
            if (string.IsNullOrEmpty(name) || name!.Any(c => c <= ' ' || c == ':' || c >= 127))
            {
                throw new TransferException(TransferErrorKind.InvalidArgument, $"{parameter} has an invalid {what} name '{name}'. Use names like {example}.");
            }

            var value = entry.Value is IEnumerable list and not string
                ? string.Join(", ", list.Cast<object?>().Select(ToText))
                : ToText(entry.Value) ?? string.Empty;
            if (value.IndexOfAny(new[] { '\r', '\n' }) >= 0)
            {
                throw new TransferException(TransferErrorKind.InvalidArgument, $"The value of {what} '{name}' in {parameter} contains a line break. Values must be one line.");
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
