using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace ResumeTransfer.Core.Upload.Tus;

/// <summary>Builds the <c>Upload-Metadata</c> header: <c>key base64(value)</c> pairs joined by commas.</summary>
internal static class TusMetadata
{
    public static string Build(string fileName, string? contentType, IReadOnlyDictionary<string, string> user)
    {
        var pairs = new List<KeyValuePair<string, string>>
        {
            new("filename", fileName),
        };
        if (contentType is not null)
        {
            pairs.Add(new("filetype", contentType));
        }

        foreach (var pair in user)
        {
            if (!IsValidKey(pair.Key))
            {
                throw new TransferException(
                    TransferErrorKind.InvalidArgument,
                    $"The metadata key '{pair.Key}' cannot be sent over tus: keys must be non-empty ASCII without spaces or commas.");
            }

            pairs.RemoveAll(p => string.Equals(p.Key, pair.Key, StringComparison.Ordinal));
            pairs.Add(pair);
        }

        return string.Join(",", pairs.Select(p => p.Key + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(p.Value))));
    }

    private static bool IsValidKey(string key) => key.Length > 0 && key.All(c => c > ' ' && c < 127 && c != ',');
}
