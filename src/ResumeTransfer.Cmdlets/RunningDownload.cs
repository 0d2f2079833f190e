using System;
using System.Threading.Tasks;
using ResumeTransfer.Core.Download;

namespace ResumeTransfer.Cmdlets;

/// <summary>One started download of an invocation.</summary>
/// <param name="Id">The transfer id given to the engine (its progress bar is <c>Id + 1</c>).</param>
/// <param name="Uri">The address as the user gave it: the target object of its error records.</param>
/// <param name="Task">The engine's work.</param>
internal sealed record RunningDownload(int Id, Uri Uri, Task<DownloadResult> Task);
