using System;
using System.Collections.Generic;
using ResumeTransfer.Core.Download.Sources;

namespace ResumeTransfer.Core.Download;

/// <summary>What <see cref="ResumeDecision.Decide"/> tells <see cref="ResumePlanner"/> to do.</summary>
internal enum ResumeAction
{
    /// <summary>Download from byte 0 into a new part file (any old part and state are discarded).</summary>
    StartFresh,

    /// <summary>Continue the part file from what its state records.</summary>
    ContinueFromState,

    /// <summary>An earlier run renamed the part onto the target and stopped before deleting the state: delete it, done.</summary>
    CompletedByEarlierRun,

    /// <summary>The target already has the remote length: treat it as complete (checked against -ExpectedHash when given).</summary>
    TargetIsComplete,

    /// <summary>Continue the existing target as a prefix of the remote file (like curl -C -).</summary>
    ContinueTargetAsPrefix,
}

/// <summary>
/// What the files beside a target and the server say, as <see cref="ResumePlanner"/> read them: the whole input of
/// <see cref="ResumeDecision.Decide"/>, which touches neither the disk nor the network.
/// </summary>
internal sealed record ResumeFacts
{
    public ExistingTargetPolicy Policy { get; init; }

    /// <summary>The parsed state file, or null when there is none.</summary>
    public DownloadState? Saved { get; init; }

    /// <summary>The state's uriHash records this request's full address.</summary>
    public bool SavedRecordsThisAddress { get; init; }

    /// <summary>The state's addressHash records this request's address without its query.</summary>
    public bool SavedRecordsThisAddressWithoutQuery { get; init; }

    /// <summary>Length of the part file, or null when there is none.</summary>
    public long? PartLength { get; init; }

    /// <summary>Length of the target, or null when there is none.</summary>
    public long? TargetLength { get; init; }

    /// <summary>The target's name came from the server or the URL (a folder target).</summary>
    public bool NameFromRemote { get; init; }

    public bool ExpectedHashGiven { get; init; }

    public RemoteIdentity Remote { get; init; } = new(null, null, null, false);

    public bool RemoteSupportsRanges { get; init; }

    public TargetPaths Paths { get; init; } = TargetPaths.ForFile("download");
}

/// <summary>
/// The existing-files policy as a pure function: from <see cref="ResumeFacts"/> to one <see cref="ResumeAction"/> with the
/// warnings to show, or a <see cref="TransferException"/> when continuing would splice two files or replace the user's.
/// </summary>
internal sealed class ResumeDecision
{
    private ResumeDecision(ResumeAction action, long resumedBytes = 0, bool restarted = false, params string[] warnings)
    {
        Action = action;
        ResumedBytes = resumedBytes;
        Restarted = restarted;
        Warnings = warnings;
    }

    public ResumeAction Action { get; }

    /// <summary>Bytes kept from earlier runs.</summary>
    public long ResumedBytes { get; }

    /// <summary>True when bytes an earlier run saved are discarded.</summary>
    public bool Restarted { get; }

    public IReadOnlyList<string> Warnings { get; }

    public static ResumeDecision Decide(ResumeFacts facts)
    {
        if (facts.Policy != ExistingTargetPolicy.Resume)
        {
            // Fail found nothing; Overwrite discards part and state (the old target stays until the final rename).
            return Fresh();
        }

        if (facts.Saved is { } saved)
        {
            return FromState(facts, saved);
        }

        if (facts.PartLength is not null)
        {
            // Without its state nothing says which bytes of the (pre-sized) part file were ever written.
            return Fresh(true, $"Found '{facts.Paths.Part}' without its state file '{facts.Paths.State}', so which of its bytes are valid is unknown; downloading from the start.");
        }

        return facts.TargetLength is { } local ? FromExistingTarget(facts, local) : Fresh();
    }

    private static ResumeDecision FromState(ResumeFacts facts, DownloadState saved)
    {
        var paths = facts.Paths;
        var warnings = new List<string>();
        if (!facts.SavedRecordsThisAddress)
        {
            if (!IsSameFileUnderNewQuery(facts, saved))
            {
                throw new TransferException(
                    TransferErrorKind.InvalidState,
                    $"The partial download of '{paths.Target}' was started from another address ({saved.Uri}, or the same with another query string " +
                    "and no strong ETag or Last-Modified to prove it is the same file). " +
                    "Run with -Force to discard it and download this address, or choose another output path.");
            }

            warnings.Add(
                $"The address's query string differs from the one the partial download of '{paths.Target}' was started with (a newly signed URL?); " +
                "the server's validators show the same file, so it continues.");
        }

        var savedBytes = BytesOnDisk(saved);
        if (facts.PartLength is not { } partLength)
        {
            if (IsComplete(saved) && facts.TargetLength is { } targetLength && targetLength == saved.Length)
            {
                return new ResumeDecision(ResumeAction.CompletedByEarlierRun, targetLength);
            }

            return savedBytes > 0
                ? Fresh(true, $"The part file '{paths.Part}' is missing, so the {savedBytes} bytes its state records are lost; downloading from the start.")
                : Fresh();
        }

        var needed = HighestWrittenOffset(saved);
        if (partLength < needed)
        {
            return Fresh(true, $"The part file '{paths.Part}' is shorter ({partLength} bytes) than its state records ({needed} bytes); downloading from the start.");
        }

        var savedIdentity = saved.ToIdentity();
        if (!facts.Remote.IsSameVersionAs(savedIdentity))
        {
            return Fresh(
                savedBytes > 0,
                $"The remote file changed since the partial download was saved ({RemoteChangeDescription.Describe(savedIdentity, facts.Remote)}); starting over.");
        }

        if (savedBytes > 0 && !facts.RemoteSupportsRanges && !IsComplete(saved))
        {
            return Fresh(true, "The server does not accept byte ranges now, so the partial download cannot be continued; downloading from the start with one connection.");
        }

        if (savedBytes > 0 && !savedIdentity.HasValidator && !facts.Remote.HasValidator)
        {
            warnings.Add(
                "The server sends neither a strong ETag nor a reliable Last-Modified, so it cannot be proven that the remote file is unchanged since the partial download; continuing anyway. Give -ExpectedHash to verify the result.");
        }

        return new ResumeDecision(ResumeAction.ContinueFromState, savedBytes, false, warnings.ToArray());
    }

    /// <summary>
    /// True when only the query of the address changed and a strong validator that both the state and the server
    /// have agrees (with the length): signed URLs expire and are renewed with a new query, and the bytes already on
    /// disk are still the file's. Without such a validator a different query may well be a different file.
    /// </summary>
    private static bool IsSameFileUnderNewQuery(ResumeFacts facts, DownloadState saved)
    {
        if (!facts.SavedRecordsThisAddressWithoutQuery)
        {
            return false;
        }

        var before = saved.ToIdentity();
        var now = facts.Remote;
        if (before.Length != now.Length)
        {
            return false;
        }

        var sameETag = before.HasStrongETag && now.HasStrongETag && string.Equals(before.ETag, now.ETag, StringComparison.Ordinal);
        var sameDate = before.LastModified is { } a && now.LastModified is { } b && before.LastModifiedIsStrong && now.LastModifiedIsStrong && a == b;
        return sameETag || sameDate;
    }

    private static ResumeDecision FromExistingTarget(ResumeFacts facts, long localLength)
    {
        var target = facts.Paths.Target;
        var remoteLength = facts.Remote.Length;
        if (facts.NameFromRemote)
        {
            // The server or URL chose this name: the file there is the user's, not a partial copy of this download.
            throw new TransferException(
                TransferErrorKind.TargetExists,
                $"'{target}' already exists, and its name came from the server, so it is not known to be a partial copy of this download; it is left as it is. " +
                "Use -Force to replace it, or give its full path as -OutFile to continue it as a prefix with -Resume.");
        }

        if (remoteLength == localLength)
        {
            return new ResumeDecision(
                ResumeAction.TargetIsComplete,
                localLength,
                false,
                $"'{target}' already has the remote file's length ({localLength} bytes); treating it as complete. " +
                (facts.ExpectedHashGiven ? "Checking it against -ExpectedHash." : "Its content could not be checked against the server; give -ExpectedHash to verify it."));
        }

        if (remoteLength is null || !facts.RemoteSupportsRanges)
        {
            // Downloading it again would replace the user's file, which -Resume did not ask for.
            throw new TransferException(
                TransferErrorKind.RangeNotSupported,
                $"'{target}' exists but the server {(remoteLength is null ? "does not say the file's length" : "does not accept byte ranges")}, so it cannot be continued; it is left as it is. " +
                "Use -Force to download the whole file again and replace it.");
        }

        if (localLength > remoteLength)
        {
            throw new TransferException(
                TransferErrorKind.TargetExists,
                $"'{target}' ({localLength} bytes) is longer than the remote file ({remoteLength} bytes), so it is not a partial copy of it. Use -Force to replace it.");
        }

        return new ResumeDecision(
            ResumeAction.ContinueTargetAsPrefix,
            localLength,
            false,
            $"Continuing the existing '{target}' from byte {localLength} as a prefix of the remote file (like curl -C -). " +
            "Its existing bytes cannot be checked against the server; give -ExpectedHash to verify the result.");
    }

    private static ResumeDecision Fresh(bool restarted = false, params string[] warnings) => new(ResumeAction.StartFresh, 0, restarted, warnings);

    private static long BytesOnDisk(DownloadState state)
    {
        long total = 0;
        foreach (var segment in state.Segments)
        {
            total += segment.Next - segment.Start;
        }

        return total;
    }

    private static long HighestWrittenOffset(DownloadState state)
    {
        long highest = 0;
        foreach (var segment in state.Segments)
        {
            if (segment.Next > segment.Start && segment.Next > highest)
            {
                highest = segment.Next;
            }
        }

        return highest;
    }

    private static bool IsComplete(DownloadState state) =>
        state.Length is not null && state.Segments.TrueForAll(s => s.End is { } end && s.Next == end);
}
