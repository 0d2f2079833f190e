using System;
using System.Collections.Generic;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>What to do with the upload a state file records.</summary>
internal enum ResumeAction
{
    /// <summary>No upload is recorded: start one.</summary>
    StartNew,

    /// <summary>The recorded upload may be continued: ask the server whether it still has it, then decide again.</summary>
    AskServer,

    /// <summary>Continue the recorded upload.</summary>
    Continue,

    /// <summary>Leave the recorded upload (abandoning it on the server when <see cref="ResumeDecision.AbortPrevious"/>) and start a new one.</summary>
    Restart,

    /// <summary>Touch nothing and fail with <see cref="ResumeDecision.FailureKind"/>.</summary>
    Fail,
}

/// <summary>What the server said about the recorded upload.</summary>
internal enum ServerAnswer
{
    NotAsked,
    HoldsIt,
    Gone,
}

/// <summary>Everything the decision depends on.</summary>
/// <param name="Previous">The recorded upload, or null.</param>
/// <param name="StatePath">The state file, for messages.</param>
/// <param name="Source">The file being uploaded: its path and fingerprint now.</param>
/// <param name="Policy">The request's ExistingUpload policy.</param>
/// <param name="Protocol">The protocol this run speaks.</param>
/// <param name="Target">Where this run uploads (<see cref="IUploadProtocol.Target"/>).</param>
/// <param name="RequestUri">The request's -Uri: the only origin a recorded upload URL may be on.</param>
/// <param name="Server">What the server said, once asked.</param>
internal sealed record ResumeFacts(
    UploadState? Previous,
    string StatePath,
    UploadSource Source,
    ExistingUploadPolicy Policy,
    UploadProtocolKind Protocol,
    string Target,
    Uri RequestUri,
    ServerAnswer Server = ServerAnswer.NotAsked);

/// <summary>The decision and what to tell the user about it.</summary>
internal sealed record ResumeDecision(ResumeAction Action, IReadOnlyList<(TransferMessageLevel Level, string Text)> Messages)
{
    /// <summary>For <see cref="ResumeAction.Restart"/>: send the protocol's abort for the recorded upload first.</summary>
    public bool AbortPrevious { get; init; }

    /// <summary>For <see cref="ResumeAction.Fail"/>.</summary>
    public TransferErrorKind FailureKind { get; init; }

    /// <summary>For <see cref="ResumeAction.Fail"/>: what happened and what to do.</summary>
    public string? FailureMessage { get; init; }
}

/// <summary>
/// Decides, from the state file, the request and what the server says, whether an upload continues, starts over or
/// fails. A pure function: <see cref="UploadRun"/> carries the decision out.
/// </summary>
internal static class UploadResumePolicy
{
    public static ResumeDecision Decide(ResumeFacts facts)
    {
        if (facts.Previous is not { } previous)
        {
            return new ResumeDecision(ResumeAction.StartNew, []);
        }

        var name = facts.Source.FileName;
        if (facts.Policy == ExistingUploadPolicy.Fail)
        {
            return Fail(
                TransferErrorKind.TargetExists,
                $"An unfinished upload of '{facts.Source.Path}' to {previous.Target} exists (state file '{facts.StatePath}'). Use -Resume to continue it, or -Force to abandon it and start over.");
        }

        // A state file can be planted or carried along: its upload URL is never contacted (not even to abandon the
        // upload) unless it is on the origin the user named, so a state file cannot send the file or its credentials elsewhere.
        if (previous.UploadUrl is { } recorded && ForeignOrigin(recorded, facts.RequestUri) is { } foreign)
        {
            return new ResumeDecision(
                ResumeAction.Restart,
                [(TransferMessageLevel.Warning,
                  $"The state file '{facts.StatePath}' records an upload of '{name}' at {foreign}, not at {Origin(facts.RequestUri)} where -Uri points; it is not used, and nothing is sent to {foreign}. Starting a new upload to {Origin(facts.RequestUri)}.")]);
        }

        if (facts.Policy == ExistingUploadPolicy.Overwrite)
        {
            return Abandon(previous, facts, (TransferMessageLevel.Verbose, $"Abandoning the earlier upload of '{name}' to {previous.Target} (-Force)."));
        }

        if (previous.Protocol != facts.Protocol || !string.Equals(previous.Target, facts.Target, StringComparison.Ordinal))
        {
            return Fail(
                TransferErrorKind.InvalidState,
                $"The unfinished upload of '{facts.Source.Path}' recorded in '{facts.StatePath}' goes to {previous.Target} ({previous.Protocol}), not {facts.Target} ({facts.Protocol}). Finish it with that address, or use -Force to abandon it and upload to {facts.Target}.");
        }

        if (!previous.Fingerprint.ToFingerprint().Matches(facts.Source.Fingerprint))
        {
            return Abandon(
                previous,
                facts,
                (TransferMessageLevel.Warning,
                 $"'{facts.Source.Path}' changed since its upload to {previous.Target} started (length, time or content differ). Abandoning that upload and starting a new one, so old and new contents are never mixed."));
        }

        return facts.Server switch
        {
            ServerAnswer.NotAsked => new ResumeDecision(ResumeAction.AskServer, []),
            ServerAnswer.HoldsIt => new ResumeDecision(ResumeAction.Continue, []),
            _ => new ResumeDecision(
                ResumeAction.Restart,
                [(TransferMessageLevel.Warning,
                  $"The server no longer has the upload of '{name}' ({previous.UploadUrl ?? previous.UploadId}): it expired or was deleted. Starting a new upload from byte 0.")]),
        };
    }

    /// <summary>The recorded URL's origin when it is not the request's (or not an address at all), else null.</summary>
    private static string? ForeignOrigin(string recorded, Uri requestUri)
    {
        if (!Uri.TryCreate(recorded, UriKind.Absolute, out var url))
        {
            return $"'{recorded}' (not an address)";
        }

        return HttpOrigin.IsSame(url, requestUri) ? null : Origin(url);
    }

    /// <summary>Scheme, host and port, never user info.</summary>
    private static string Origin(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);

    private static ResumeDecision Abandon(UploadState previous, ResumeFacts facts, (TransferMessageLevel, string) why)
    {
        if (previous.Protocol == facts.Protocol)
        {
            return new ResumeDecision(ResumeAction.Restart, [why]) { AbortPrevious = true };
        }

        return new ResumeDecision(
            ResumeAction.Restart,
            [why, (TransferMessageLevel.Warning, $"The earlier {previous.Protocol} upload to {previous.Target} cannot be abandoned over {facts.Protocol}; it stays on the server until it expires.")]);
    }

    private static ResumeDecision Fail(TransferErrorKind kind, string message) =>
        new(ResumeAction.Fail, []) { FailureKind = kind, FailureMessage = message };
}
