using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security.Cryptography;
using ResumeTransfer.Cmdlets;
using ResumeTransfer.Core.Tests.Infrastructure;

namespace ResumeTransfer.Core.Tests.Cmdlets;

/// <summary>
/// A runspace with the ResumeTransfer cmdlets imported, positioned (Set-Location) in a fresh temp directory that
/// is removed on dispose. The PowerShell location is deliberately not the process working directory.
/// </summary>
internal sealed class PowerShellSession : IDisposable
{
    private readonly Runspace runspace;
    private readonly TempDir temp = new("rt-cmdlets");

    public PowerShellSession()
    {
        Directory = temp.Path;
        runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        using var setup = Create();
        setup.AddCommand("Import-Module").AddParameter("Assembly", typeof(SaveResumableFileCommand).Assembly).AddStatement()
            .AddCommand("Set-Location").AddParameter("LiteralPath", Directory);
        setup.Invoke();
        if (setup.HadErrors)
        {
            throw new InvalidOperationException("Session setup failed: " + string.Join("; ", setup.Streams.Error));
        }
    }

    /// <summary>The PowerShell location of this session: a private temp directory.</summary>
    public string Directory { get; }

    /// <summary>A PowerShell instance on this session's runspace (one pipeline at a time).</summary>
    public PowerShell Create()
    {
        var ps = PowerShell.Create();
        ps.Runspace = runspace;
        return ps;
    }

    /// <summary>Runs a script with named parameters; returns the instance so tests can inspect its streams.</summary>
    public (PowerShell Shell, IReadOnlyList<PSObject> Output) Run(string script, IDictionary? parameters = null)
    {
        var ps = Create();
        ps.AddScript(script);
        if (parameters is not null)
        {
            ps.AddParameters(parameters);
        }

        var output = ps.Invoke();
        return (ps, output);
    }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public static string Sha256OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>A pipeline input object like one row of Import-Csv: string properties only.</summary>
    public static PSObject Row(params (string Name, string Value)[] properties)
    {
        var row = new PSObject();
        foreach (var (name, value) in properties)
        {
            row.Properties.Add(new PSNoteProperty(name, value));
        }

        return row;
    }

    public void Dispose()
    {
        runspace.Dispose();
        temp.Dispose();
    }
}
