using System.Diagnostics;

namespace FunctionalTests.Sql;

/// <summary>
/// <c>tests/FunctionalTests.Worker</c> in a process of its own: it writes the same random changes to a plain table
/// (<c>truth</c>) and to a diskann table (<c>idx</c>) of a database, one transaction after another, until killed.
/// </summary>
public static class WriterProcess
{
    /// <summary>Starts the writer and returns once it has committed a first transaction.</summary>
    public static Process Start(string databasePath, string journal, int seed)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "FunctionalTests.Worker.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(worker);
        start.ArgumentList.Add(databasePath);
        start.ArgumentList.Add(journal);
        start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var process = Process.Start(start)!;
        var ready = process.StandardOutput.ReadLine();
        var committed = process.StandardOutput.ReadLine(); // its first commit: it is now mid-work
        if (ready != "ready" || committed != "committed")
        {
            process.Kill();
            Assert.Fail($"worker did not start: {ready} {committed} {process.StandardError.ReadToEnd()}");
        }

        return process;
    }
}
