using Akka.Configuration;

namespace Praison.Actors.Persistence;

/// <summary>The reference HOCON in <c>hocon/</c>, shipped as embedded resources.</summary>
internal static class PraisonHocon
{
    /// <summary>Reads one embedded file, e.g. "serialization.conf".</summary>
    public static string Read(string fileName)
    {
        var name = "Praison.Actors.hocon." + fileName;
        using var stream = typeof(PraisonHocon).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded HOCON resource '{name}' is missing.");
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>The serializer binding every Praison.Actors message to System.Text.Json.</summary>
    public static Config Serialization => ConfigurationFactory.ParseString(Read("serialization.conf"));

    /// <summary>A HOCON string literal (quoted and escaped).</summary>
    internal static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r") + "\"";
}
