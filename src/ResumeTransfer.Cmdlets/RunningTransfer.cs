using System.Threading.Tasks;

namespace ResumeTransfer.Cmdlets;

/// <summary>One started transfer (download or upload) of an invocation.</summary>
/// <param name="Id">The transfer id given to the engine (its progress bar is <c>Id + 1</c>).</param>
/// <param name="ErrorTarget">What its error records name as TargetObject: the address of a download, the file of an upload.</param>
/// <param name="Task">The engine's work; its result is the object -PassThru writes.</param>
internal sealed record RunningTransfer(int Id, object ErrorTarget, Task<object> Task);
