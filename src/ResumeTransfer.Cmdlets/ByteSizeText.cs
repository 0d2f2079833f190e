using System.Globalization;

namespace ResumeTransfer.Cmdlets;

/// <summary>Sizes and speeds as people read them in a progress bar.</summary>
internal static class ByteSizeText
{
    private const double KiB = 1024;
    private const double MiB = 1024 * 1024;
    private const double GiB = 1024 * 1024 * 1024;

    /// <summary>Always in MiB, so "done of total" compare at a glance.</summary>
    public static string InMiB(long bytes) => (bytes / MiB).ToString("0.0", CultureInfo.CurrentCulture) + " MiB";

    /// <summary>In the largest unit that keeps the number at least 1.</summary>
    public static string Scaled(double bytes) => bytes switch
    {
        >= GiB => (bytes / GiB).ToString("0.00", CultureInfo.CurrentCulture) + " GiB",
        >= MiB => (bytes / MiB).ToString("0.0", CultureInfo.CurrentCulture) + " MiB",
        >= KiB => (bytes / KiB).ToString("0.0", CultureInfo.CurrentCulture) + " KiB",
        _ => bytes.ToString("0", CultureInfo.CurrentCulture) + " B",
    };
}
