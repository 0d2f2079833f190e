using System.Collections;
using System.Management.Automation;
using System.Reflection;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ResumeTransfer.Cmdlets;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

/// <summary>The shipped, uncompiled module files (module/) agree with the code they describe.</summary>
public sealed class ModuleFilesTests
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static readonly string RepositoryRoot = FindRepositoryRoot();
    private static readonly string ModuleDirectory = Path.Combine(RepositoryRoot, "module");

    /// <summary>Every cmdlet of the module with the type its -PassThru writes.</summary>
    private static readonly Dictionary<Type, Type> Cmdlets = new()
    {
        [typeof(SaveResumableFileCommand)] = typeof(DownloadResult),
        [typeof(SendChunkedFileCommand)] = typeof(UploadResult),
    };

    public static TheoryData<string> CmdletNames()
    {
        var data = new TheoryData<string>();
        foreach (var cmdlet in Cmdlets.Keys)
        {
            data.Add(NameOf(cmdlet));
        }

        return data;
    }

    public static TheoryData<string, string> CmdletParameters()
    {
        var data = new TheoryData<string, string>();
        foreach (var cmdlet in Cmdlets.Keys)
        {
            foreach (var name in ParametersOf(cmdlet).Concat(new[] { "WhatIf", "Confirm" }))
            {
                data.Add(NameOf(cmdlet), name);
            }
        }

        return data;
    }

    [Fact]
    public void EveryCmdletInTheAssemblyIsExportedHelpedAndListedHere()
    {
        var inAssembly = typeof(SaveResumableFileCommand).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<CmdletAttribute>() is not null).Select(NameOf).Order().ToList();
        var manifest = File.ReadAllText(Path.Combine(RepositoryRoot, "ResumeTransfer.psd1"));
        var exported = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value
            .Split(',').Select(n => n.Trim().Trim('\'', '"')).Where(n => n.Length > 0).Order().ToList();
        var helped = HelpDocument().Root!.Elements(Command + "command")
            .Select(c => c.Element(Command + "details")!.Element(Command + "name")!.Value).Order().ToList();

        Assert.Equal(inAssembly, Cmdlets.Keys.Select(NameOf).Order().ToList());
        Assert.Equal(inAssembly, exported);
        Assert.Equal(inAssembly, helped);
    }

    [Theory]
    [MemberData(nameof(CmdletParameters))]
    public void HelpDescribesEveryParameterWithTypeAndDefault(string cmdlet, string name)
    {
        var parameter = HelpCommand(cmdlet).Element(Command + "parameters")!.Elements(Command + "parameter")
            .SingleOrDefault(p => (string?)p.Element(Maml + "name") == name);

        Assert.True(parameter is not null, $"-{name} is not in the MAML help of {cmdlet}.");
        Assert.False(string.IsNullOrWhiteSpace(parameter!.Element(Maml + "description")?.Value), $"-{name} has no description.");
        Assert.False(string.IsNullOrWhiteSpace(parameter.Element(Dev + "type")?.Element(Maml + "name")?.Value), $"-{name} has no type.");
        Assert.False(string.IsNullOrWhiteSpace(parameter.Element(Dev + "defaultValue")?.Value), $"-{name} has no default.");
        Assert.NotNull(parameter.Attribute("pipelineInput"));
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void HelpHasTheCmdletsPositionsAliasesAndPipelineInput(string cmdlet)
    {
        var help = HelpCommand(cmdlet).Element(Command + "parameters")!.Elements(Command + "parameter")
            .ToDictionary(p => (string)p.Element(Maml + "name")!);
        foreach (var property in CmdletType(cmdlet).GetProperties())
        {
            var attribute = property.GetCustomAttribute<ParameterAttribute>();
            if (attribute is null)
            {
                continue;
            }

            var documented = help[property.Name];
            var position = attribute.Position == int.MinValue ? "named" : attribute.Position.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(position, (string?)documented.Attribute("position"));
            Assert.Equal(attribute.Mandatory, (bool)documented.Attribute("required")!);
            Assert.Equal(attribute.ValueFromPipelineByPropertyName, ((string)documented.Attribute("pipelineInput")!).Contains("ByPropertyName", StringComparison.Ordinal));
            Assert.Equal(attribute.ValueFromPipeline, ((string)documented.Attribute("pipelineInput")!).Contains("ByValue", StringComparison.Ordinal));
            var aliases = property.GetCustomAttribute<AliasAttribute>()?.AliasNames ?? new List<string>();
            Assert.Equal(aliases.Count == 0 ? "None" : string.Join(", ", aliases), (string?)documented.Attribute("aliases"));
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void HelpHasSynopsisExamplesOutputsErrorIdsAndTheAboutLink(string cmdlet)
    {
        var command = HelpCommand(cmdlet);
        var resultType = Cmdlets[CmdletType(cmdlet)];

        Assert.False(string.IsNullOrWhiteSpace(command.Element(Command + "details")!.Element(Maml + "description")?.Value));
        Assert.True(command.Element(Command + "examples")!.Elements(Command + "example").Count() >= 6);
        Assert.Contains(
            command.Descendants(Command + "returnValue"),
            r => r.Element(Dev + "type")?.Element(Maml + "name")?.Value == resultType.FullName);
        var notes = command.Element(Maml + "alertSet")!.Value;
        Assert.All(ErrorIds(), id => Assert.Contains(id + " (", notes, StringComparison.Ordinal));
        Assert.Contains(command.Descendants(Maml + "linkText"), l => l.Value == "about_ResumeTransfer");
    }

    [Fact]
    public void AboutTopicExplainsEveryStateFieldAndErrorId()
    {
        var about = File.ReadAllText(Path.Combine(ModuleDirectory, "en-US", "about_ResumeTransfer.help.txt"));

        Assert.StartsWith("TOPIC", about, StringComparison.Ordinal);
        foreach (var file in new[] { ".rtpart", ".rtstate", ".rtlock", UploadStateStore.Extension, UploadStateStore.Extension + ".lock" })
        {
            Assert.Contains(file, about, StringComparison.Ordinal);
        }

        var stateType = typeof(DownloadRequest).Assembly.GetType("ResumeTransfer.Core.Download.DownloadState", throwOnError: true)!;
        var segmentType = typeof(DownloadRequest).Assembly.GetType("ResumeTransfer.Core.Download.DownloadStateSegment", throwOnError: true)!;
        var uploadTypes = new[] { typeof(UploadState), typeof(UploadState.FingerprintRecord), typeof(UploadState.PartRecord) };
        foreach (var field in JsonNamesOf(stateType).Concat(JsonNamesOf(segmentType)).Concat(uploadTypes.SelectMany(JsonNamesOf)))
        {
            Assert.True(Regex.IsMatch(about, $@"\b{Regex.Escape(field)}\b"), $"The state field '{field}' is not described in about_ResumeTransfer.");
        }

        Assert.Contains("ResumeTransfer/uploads", about, StringComparison.Ordinal);

        Assert.All(ErrorIds(), id => Assert.Contains(id, about, StringComparison.Ordinal));
    }

    [Fact]
    public void FormatViewsNameAResultTypeAndOnlyItsProperties()
    {
        var format = XDocument.Load(Path.Combine(ModuleDirectory, "ResumeTransfer.Format.ps1xml"));
        var views = format.Descendants("View").ToList();

        foreach (var resultType in Cmdlets.Values)
        {
            var own = views.Where(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value == resultType.FullName).ToList();
            Assert.Contains(own, v => v.Element("TableControl") is not null);
            Assert.Contains(own, v => v.Element("ListControl") is not null);
            var properties = resultType.GetProperties().Select(p => p.Name).ToHashSet();
            foreach (var view in own)
            {
                var used = view.Descendants("PropertyName").Select(p => p.Value)
                    .Concat(view.Descendants("ScriptBlock").SelectMany(s => Regex.Matches(s.Value, @"\$_\.(\w+)").Select(m => m.Groups[1].Value)))
                    .ToList();
                Assert.NotEmpty(used);
                Assert.All(used, name => Assert.Contains(name, properties));
            }
        }

        Assert.All(views, v => Assert.Contains(v.Element("ViewSelectedBy")!.Element("TypeName")!.Value, Cmdlets.Values.Select(t => t.FullName)));
    }

    [Fact]
    public void TheTableViewFormatsAResult()
    {
        using var session = new PowerShellSession();
        var result = new DownloadResult
        {
            Path = session.PathOf("table.iso"),
            Uri = new Uri("http://127.0.0.1/table.iso"),
            Length = 3 * 1024 * 1024,
            BytesDownloaded = 2 * 1024 * 1024,
            BytesResumed = 1024 * 1024,
            Duration = TimeSpan.FromSeconds(4),
            AverageBytesPerSecond = 512 * 1024,
            Connections = 4,
        };

        var (ps, output) = session.Run(
            "param($format, $result) Update-FormatData -AppendPath $format; $result | Out-String -Width 200",
            new Hashtable { ["format"] = Path.Combine(ModuleDirectory, "ResumeTransfer.Format.ps1xml"), ["result"] = result });

        Assert.Empty(ps.Streams.Error);
        var text = string.Concat(output.Select(o => o.ToString()));
        Assert.Contains("Length (MiB)", text, StringComparison.Ordinal);
        Assert.Contains("Speed (MiB/s)", text, StringComparison.Ordinal);
        Assert.Matches(@"table\.iso\s+3[.,]0\s+2[.,]0\s+1[.,]0\s+00:04[.,]0\s+0[.,]5\s+4", text);
    }

    [Fact]
    public void TheUploadTableViewFormatsAResult()
    {
        using var session = new PowerShellSession();
        var result = new UploadResult
        {
            Path = session.PathOf("backup.iso"),
            Uri = new Uri("s3://backups/isos/"),
            Target = "s3://backups/isos/backup.iso",
            Protocol = UploadProtocolKind.S3,
            Length = 3 * 1024 * 1024,
            BytesSent = 2 * 1024 * 1024,
            BytesSkipped = 1024 * 1024,
            Duration = TimeSpan.FromSeconds(4),
            AverageBytesPerSecond = 512 * 1024,
        };

        var (ps, output) = session.Run(
            "param($format, $result) Update-FormatData -AppendPath $format; $result | Out-String -Width 200; $result | Format-List | Out-String -Width 200",
            new Hashtable { ["format"] = Path.Combine(ModuleDirectory, "ResumeTransfer.Format.ps1xml"), ["result"] = result });

        Assert.Empty(ps.Streams.Error);
        var text = string.Concat(output.Select(o => o.ToString()));
        Assert.Contains("Sent (MiB)", text, StringComparison.Ordinal);
        Assert.Matches(@"backup\.iso\s+S3\s+3[.,]0\s+2[.,]0\s+1[.,]0\s+00:04[.,]0\s+0[.,]5\s+s3://backups/isos/backup\.iso", text);
        Assert.Matches(@"BytesSkipped\s+:\s+1048576", text);
    }

    private static XDocument HelpDocument() => XDocument.Load(Path.Combine(ModuleDirectory, "en-US", "ResumeTransfer.dll-Help.xml"));

    private static XElement HelpCommand(string cmdlet) =>
        Assert.Single(HelpDocument().Root!.Elements(Command + "command"), c => c.Element(Command + "details")!.Element(Command + "name")!.Value == cmdlet);

    private static string NameOf(Type cmdlet)
    {
        var attribute = cmdlet.GetCustomAttribute<CmdletAttribute>()!;
        return attribute.VerbName + "-" + attribute.NounName;
    }

    private static Type CmdletType(string name) => Cmdlets.Keys.Single(t => NameOf(t) == name);

    private static IEnumerable<string> ParametersOf(Type cmdlet) =>
        cmdlet.GetProperties().Where(p => p.GetCustomAttribute<ParameterAttribute>() is not null).Select(p => p.Name);

    private static IEnumerable<string> ErrorIds() =>
        Enum.GetNames<TransferErrorKind>().Append(ErrorRecordFactory.UnexpectedErrorId);

    private static IEnumerable<string> JsonNamesOf(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? char.ToLowerInvariant(p.Name[0]) + p.Name[1..]);

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ResumeTransfer.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (ResumeTransfer.slnx) is not above " + AppContext.BaseDirectory);
    }
}
