using System.Runtime;
using System.Runtime.InteropServices;

namespace Praison.Actors.Benchmarks.Harness;

/// <summary>The machine a run happened on, printed with every table: figures mean nothing without it.</summary>
public static class Machine
{
    public static string Describe() =>
        $"{Environment.ProcessorCount} cores ({CpuModel()}), {RuntimeInformation.OSDescription}, " +
        $"{RuntimeInformation.FrameworkDescription}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC" +
        $"{(GCSettings.LatencyMode == GCLatencyMode.Interactive ? " (concurrent)" : "")}, {TotalMemory()} RAM";

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static string TotalMemory() =>
        $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024):0.#} GB";

    /// <summary>Resident set size of this process (VmRSS), in bytes; null where /proc is absent.</summary>
    public static long? ResidentBytes()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            if (line is null) return null;
            var kb = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]);
            return kb * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// CPU seconds every process on the machine has spent busy (user, nice, system, irq, softirq) since boot, from
    /// /proc/stat; null where it is absent. A delta over wall time is how many cores were busy, the database server included.
    /// </summary>
    public static double? BusyCpuSeconds()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long busy = 0;
            foreach (var i in new[] { 1, 2, 3, 6, 7 }) busy += long.Parse(fields[i]);
            return busy / 100.0; // USER_HZ is 100 on Linux
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Managed heap after a full, compacting collection: what is really retained.</summary>
    public static long RetainedBytes()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
