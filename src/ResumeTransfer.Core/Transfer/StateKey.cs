using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// A random key of the current user, kept in <c>LocalApplicationData/ResumeTransfer/state.key</c> (readable by its owner
/// only), under which state files record the full address: an HMAC-SHA256 cannot be checked against guesses of a
/// token in a query string by anyone who can read the state file but not the key.
/// </summary>
internal static class StateKey
{
    private const int KeyBytes = 32;
    // PublicationOnly: a failure (a damaged key file) is not cached, so a session retries once the file is fixed.
    private static readonly Lazy<byte[]> CurrentUser = new(() => LoadOrCreate(DefaultPath()), System.Threading.LazyThreadSafetyMode.PublicationOnly);

    /// <summary>Lower-case hex HMAC-SHA256 of <paramref name="text"/> under the current user's key.</summary>
    public static string Hash(string text) => Hash(CurrentUser.Value, text);

    public static string Hash(byte[] key, string text)
    {
        using var hmac = new HMACSHA256(key);
        return Hex.Lower(hmac.ComputeHash(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The key in <paramref name="path"/>, made first if there is none (by whichever process gets there first).</summary>
    internal static byte[] LoadOrCreate(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            var existing = AtomicFile.ReadAllTextOrNull(path);
            if (existing is not null)
            {
                try
                {
                    var key = Hex.ToBytes(existing.Trim());
                    if (key.Length == KeyBytes)
                    {
                        return key;
                    }
                }
                catch (FormatException)
                {
                }

                throw new TransferException(
                    TransferErrorKind.InvalidState,
                    $"The key file '{path}' is damaged. Delete it and run again; unfinished downloads whose address has a query string will then need a strong ETag or Last-Modified to be continued.");
            }

            var fresh = new byte[KeyBytes];
            using (var generator = RandomNumberGenerator.Create())
            {
                generator.GetBytes(fresh);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                using var stream = OwnFile.CreateNew(path, FileAccess.Write, FileShare.None, ownerOnly: true);
                var text = Encoding.ASCII.GetBytes(Hex.Lower(fresh));
                stream.Write(text, 0, text.Length);
                stream.Flush(flushToDisk: true);
                return fresh;
            }
            catch (IOException) when (attempt < 3 && File.Exists(path))
            {
                // Another process made it first: use that one.
            }
        }
    }

    private static string DefaultPath() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "ResumeTransfer", "state.key");
}
