using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// Finds, locks, reads and atomically replaces the state file of one source. The state lives beside the source
/// (<c>&lt;source&gt;.rtupload</c>); when that folder is not writable or its disk has less than 1 MiB free, in the per-user folder
/// <c>LocalApplicationData/ResumeTransfer/uploads/&lt;SHA-256 of the full path&gt;.rtupload</c>, same format. The lock
/// (<see cref="TransferLock"/> on <c>&lt;state&gt;.lock</c>) is held from <see cref="Open"/> to <see cref="Dispose"/>.
/// </summary>
public sealed class UploadStateStore : IDisposable
{
    /// <summary>Extension of upload state files.</summary>
    public const string Extension = ".rtupload";

    private readonly TransferLock heldLock;

    private UploadStateStore(string statePath, TransferLock heldLock)
    {
        StatePath = statePath;
        this.heldLock = heldLock;
    }

    /// <summary>Where the state is (or will be) kept.</summary>
    public string StatePath { get; }

    /// <summary>The state file beside the source.</summary>
    public static string BesidePath(string sourcePath) => sourcePath + Extension;

    /// <summary>The state file in the per-user folder under <paramref name="perUserRoot"/> (default: LocalApplicationData/ResumeTransfer/uploads).</summary>
    public static string PerUserPath(string sourcePath, string? perUserRoot = null)
    {
        var root = perUserRoot ?? DefaultPerUserRoot();
        using var sha = SHA256.Create();
        var name = Hex.Lower(sha.ComputeHash(Encoding.UTF8.GetBytes(Path.GetFullPath(sourcePath))));
        return Path.Combine(root, name + Extension);
    }

    /// <summary>
    /// Locates and locks the state of <paramref name="sourcePath"/>: an existing state beside the source or in the
    /// per-user folder wins; otherwise beside the source when that folder is writable, else per-user. Throws
    /// <see cref="TransferException"/> (StateLocked) when another transfer holds it.
    /// </summary>
    public static UploadStateStore Open(string sourcePath, string? perUserRoot = null)
    {
        var beside = BesidePath(sourcePath);
        var perUser = PerUserPath(sourcePath, perUserRoot);
        if (!File.Exists(beside) && File.Exists(perUser))
        {
            return Lock(perUser, sourcePath);
        }

        if (!File.Exists(beside) && DiskSpace.AvailableBytes(beside) < RoomForState)
        {
            // The source's disk is (nearly) full, often the very reason for the upload: keep the state per user.
            return LockPerUser(perUser, sourcePath);
        }

        try
        {
            return Lock(beside, sourcePath);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException && ex is not TransferException && !File.Exists(beside))
        {
            // The source's folder is read-only (or otherwise refuses new files): keep the state per user instead.
            return LockPerUser(perUser, sourcePath);
        }
    }

    /// <summary>The recorded state, or null when there is none. Throws <see cref="TransferException"/> (InvalidState) for an unreadable one.</summary>
    public UploadState? Load()
    {
        var json = AtomicFile.ReadAllTextOrNull(StatePath);
        return json is null ? null : UploadState.FromJson(json, StatePath);
    }

    /// <summary>Replaces the state file atomically.</summary>
    public void Save(UploadState state) => SaveJson(state.ToJson());

    /// <summary>Replaces the state file atomically with an already serialized state (the upload's <see cref="Transfer.StateWriter"/> writes this way).</summary>
    internal void SaveJson(string json) => AtomicFile.WriteAllText(StatePath, json);

    /// <summary>Removes the state file (the upload completed or was abandoned).</summary>
    public void Delete()
    {
        AtomicFile.Delete(StatePath);
    }

    public void Dispose() => heldLock.Dispose();

    /// <summary>Below this much free space beside the source, a new state is kept per user (a state of many parts takes some room).</summary>
    private const long RoomForState = 1024 * 1024;

    private static UploadStateStore LockPerUser(string perUser, string sourcePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(perUser)!);
        return Lock(perUser, sourcePath);
    }

    private static UploadStateStore Lock(string statePath, string sourcePath) =>
        new(statePath, TransferLock.Acquire(statePath + ".lock", sourcePath));

    private static string DefaultPerUserRoot() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "ResumeTransfer", "uploads");
}
