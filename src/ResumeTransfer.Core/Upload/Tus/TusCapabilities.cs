using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;

namespace ResumeTransfer.Core.Upload.Tus;

/// <summary>What a tus server said about itself in its OPTIONS answer.</summary>
public sealed class TusCapabilities
{
    /// <summary>What is assumed when the server does not answer OPTIONS: the core protocol and creation, nothing else.</summary>
    public static readonly TusCapabilities Unknown = new(new[] { TusProtocol.Version }, new[] { "creation" }, null, Array.Empty<string>(), answered: false);

    public TusCapabilities(IReadOnlyCollection<string> versions, IReadOnlyCollection<string> extensions, long? maxSize, IReadOnlyCollection<string> checksumAlgorithms, bool answered = true)
    {
        Versions = versions;
        Extensions = new HashSet<string>(extensions, StringComparer.OrdinalIgnoreCase);
        MaxSize = maxSize;
        ChecksumAlgorithms = new HashSet<string>(checksumAlgorithms, StringComparer.OrdinalIgnoreCase);
        Answered = answered;
    }

    /// <summary>Tus-Version: the protocol versions the server speaks.</summary>
    public IReadOnlyCollection<string> Versions { get; }

    /// <summary>Tus-Extension (creation, termination, checksum...).</summary>
    public ISet<string> Extensions { get; }

    /// <summary>Tus-Max-Size, when given.</summary>
    public long? MaxSize { get; }

    /// <summary>Tus-Checksum-Algorithm (only meaningful with the checksum extension).</summary>
    public ISet<string> ChecksumAlgorithms { get; }

    /// <summary>False when the server did not answer OPTIONS with tus headers (the values are then assumptions).</summary>
    public bool Answered { get; }

    /// <summary>True when chunks can carry <c>Upload-Checksum: sha1 ...</c>.</summary>
    public bool SupportsSha1Checksum => Extensions.Contains("checksum") && ChecksumAlgorithms.Contains("sha1");

    /// <summary>Reads the tus headers of an OPTIONS answer; null when there are none (not a tus server).</summary>
    public static TusCapabilities? FromResponse(HttpResponseMessage response)
    {
        var versions = List(response, "Tus-Version");
        if (versions.Count == 0)
        {
            return null;
        }

        long? maxSize = null;
        var max = List(response, "Tus-Max-Size").FirstOrDefault();
        if (max is not null && long.TryParse(max, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed > 0)
        {
            maxSize = parsed;
        }

        return new TusCapabilities(versions, List(response, "Tus-Extension"), maxSize, List(response, "Tus-Checksum-Algorithm"));
    }

    private static List<string> List(HttpResponseMessage response, string name)
    {
        if (!response.Headers.TryGetValues(name, out var values))
        {
            return new List<string>();
        }

        return values.SelectMany(v => v.Split(',')).Select(v => v.Trim()).Where(v => v.Length > 0).ToList();
    }
}
