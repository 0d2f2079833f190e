using System.Collections;
using System.Management.Automation;
using System.Reflection;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ResumeTransfer.Cmdlets;
using ResumeTransfer.Core.Download;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

/// <summary>The shipped, uncompiled module files (module/) agree with the code they describe.</summary>
public sealed class ModuleFilesTests
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static readonly string ModuleDirectory = Path.Combine(FindRepositoryRoot(), "module");

    public static TheoryData<string> CmdletParameters()
    {
        var data = new TheoryData<string>();
        foreach (var name in ParametersOf(typeof(SaveResumableFileCommand)).Concat(new[] { "WhatIf", "Confirm" }))
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CmdletParameters))]
    public void HelpDescribesEveryParameterWithTypeAndDefault(string name)
    {
        var parameter = HelpCommand().Element(Command + "parameters")!.Elements(Command + "parameter")
            .SingleOrDefault(p => (string?)p.Element(Maml + "name") == name);

        Assert.True(parameter is not null, $"-{name} is not in the MAML help.");
        Assert.False(string.IsNullOrWhiteSpace(parameter!.Element(Maml + "description")?.Value), $"-{name} has no description.");
        Assert.False(string.IsNullOrWhiteSpace(parameter.Element(Dev + "type")?.Element(Maml + "name")?.Value), $"-{name} has no type.");
        Assert.False(string.IsNullOrWhiteSpace(parameter.Element(Dev + "defaultValue")?.Value), $"-{name} has no default.");
        Assert.NotNull(parameter.Attribute("pipelineInput"));
    }

    [Fact]
    public void HelpHasTheCmdletsPositionsAliasesAndPipelineInput()
    {
        var help = HelpCommand().Element(Command + "parameters")!.Elements(Command + "parameter")
            .ToDictionary(p => (string)p.Element(Maml + "name")!);
        foreach (var property in typeof(SaveResumableFileCommand).GetProperties())
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
            var aliases = property.GetCustomAttribute<AliasAttribute>()?.AliasNames ?? new List<string>();
            Assert.Equal(aliases.Count == 0 ? "None" : string.Join(", ", aliases), (string?)documented.Attribute("aliases"));
        }
    }

    [Fact]
    public void HelpHasSynopsisExamplesOutputsErrorIdsAndTheAboutLink()
    {
        var command = HelpCommand();

        Assert.False(string.IsNullOrWhiteSpace(command.Element(Command + "details")!.Element(Maml + "description")?.Value));
        Assert.True(command.Element(Command + "examples")!.Elements(Command + "example").Count() >= 6);
        Assert.Contains(
            command.Descendants(Command + "returnValue"),
            r => r.Element(Dev + "type")?.Element(Maml + "name")?.Value == typeof(DownloadResult).FullName);
        var notes = command.Element(Maml + "alertSet")!.Value;
        Assert.All(ErrorIds(), id => Assert.Contains(id + " (", notes, StringComparison.Ordinal));
        Assert.Contains(command.Descendants(Maml + "linkText"), l => l.Value == "about_ResumeTransfer");
    }

    [Fact]
    public void AboutTopicExplainsEveryStateFieldAndErrorId()
    {
        var about = File.ReadAllText(Path.Combine(ModuleDirectory, "en-US", "about_ResumeTransfer.help.txt"));

        Assert.StartsWith("TOPIC", about, StringComparison.Ordinal);
        foreach (var file in new[] { ".rtpart", ".rtstate", ".rtlock" })
        {
            Assert.Contains(file, about, StringComparison.Ordinal);
        }

        var stateType = typeof(DownloadRequest).Assembly.GetType("ResumeTransfer.Core.State.DownloadState", throwOnError: true)!;
        var segmentType = typeof(DownloadRequest).Assembly.GetType("ResumeTransfer.Core.State.DownloadStateSegment", throwOnError: true)!;
        foreach (var field in JsonNamesOf(stateType).Concat(JsonNamesOf(segmentType)))
        {
            Assert.True(Regex.IsMatch(about, $@"\b{Regex.Escape(field)}\b"), $"The state field '{field}' is not described in about_ResumeTransfer.");
        }

        Assert.All(ErrorIds(), id => Assert.Contains(id, about, StringComparison.Ordinal));
    }

    [Fact]
    public void FormatViewsNameTheResultTypeAndOnlyItsProperties()
    {
        var format = XDocument.Load(Path.Combine(ModuleDirectory, "ResumeTransfer.Format.ps1xml"));
        var properties = typeof(DownloadResult).GetProperties().Select(p => p.Name).ToHashSet();

        var views = format.Descendants("View").ToList();
        Assert.Contains(views, v => v.Element("TableControl") is not null);
        Assert.Contains(views, v => v.Element("ListControl") is not null);
        Assert.All(views, v => Assert.Equal(typeof(DownloadResult).FullName, v.Element("ViewSelectedBy")!.Element("TypeName")!.Value));
        var used = format.Descendants("PropertyName").Select(p => p.Value)
            .Concat(format.Descendants("ScriptBlock").SelectMany(s => Regex.Matches(s.Value, @"\$_\.(\w+)").Select(m => m.Groups[1].Value)))
            .ToList();
        Assert.NotEmpty(used);
        Assert.All(used, name => Assert.Contains(name, properties));
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

    private static XElement HelpCommand()
    {
        var help = XDocument.Load(Path.Combine(ModuleDirectory, "en-US", "ResumeTransfer.dll-Help.xml"));
        var command = Assert.Single(help.Root!.Elements(Command + "command"));
        Assert.Equal("Save-ResumableFile", command.Element(Command + "details")!.Element(Command + "name")!.Value);
        return command;
    }

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
