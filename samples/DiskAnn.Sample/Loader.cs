using System.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace DiskAnn.Sample;

/// <summary>Fills an empty database from the shipped data file, through EF Core, showing progress.</summary>
public static class Loader
{
    /// <summary>Rows per transaction: the index links new rows into its graph when a transaction commits.</summary>
    private const int ChunkSize = 1000;

    /// <summary>Inserts the packages of the data file that the database does not have yet.</summary>
    public static async Task LoadAsync(PackagesDb db, string dataFile)
    {
        var sw = Stopwatch.StartNew();
        var present = (await db.Packages.Select(p => p.Id).ToListAsync()).ToHashSet();
        var all = PackageData.Read(dataFile);
        var packages = all.Where(p => !present.Contains(p.Id)).ToList();
        Console.WriteLine(present.Count == 0
            ? $"  read {all.Count:N0} packages from {Path.GetFileName(dataFile)} in {sw.ElapsedMilliseconds} ms; inserting them"
            : $"  read {all.Count:N0} packages from {Path.GetFileName(dataFile)} in {sw.ElapsedMilliseconds} ms; inserting the {packages.Count:N0} not loaded yet");

        // A transaction per chunk: each commit links the chunk's rows into the index's graph (in parallel),
        // so the progress shows the real work, and an interrupted load resumes where it stopped.
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var progress = new Progress(packages.Count);
        sw.Restart();
        for (var start = 0; start < packages.Count; start += ChunkSize)
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            foreach (var p in packages.Skip(start).Take(ChunkSize))
            {
                db.Packages.Add(new Package { Id = p.Id, Name = p.Name, Description = p.Description, Embedding = p.Embedding });
            }

            await db.SaveChangesAsync();
            await transaction.CommitAsync();
            db.ChangeTracker.Clear();
            progress.Report(Math.Min(start + ChunkSize, packages.Count), sw.Elapsed);
        }

        progress.Done(sw.Elapsed);
    }

    /// <summary>A progress bar redrawn in place on a terminal; a line every 20% when the output is redirected.</summary>
    private sealed class Progress(int total)
    {
        private readonly bool _live = !Console.IsOutputRedirected;
        private int _lastFifth;

        public void Report(int done, TimeSpan elapsed)
        {
            var rate = done / Math.Max(elapsed.TotalSeconds, 1e-3);
            var eta = (total - done) / Math.Max(rate, 1e-3);
            var line = $"  {Bar(done)} {done,6:N0}/{total:N0}  {rate,7:N0} rows/s  {elapsed.TotalSeconds,5:F1} s" + (done < total ? $"  (about {Math.Max(1, eta):F0} s left)" : "");
            if (_live)
            {
                Console.Write("\r" + line.PadRight(Console.WindowWidth > 1 ? Math.Min(Console.WindowWidth - 1, 100) : 0));
            }
            else if (done * 5 / total > _lastFifth)
            {
                _lastFifth = done * 5 / total;
                if (done < total) Console.WriteLine(line);
            }
        }

        public void Done(TimeSpan elapsed)
        {
            if (_live) Console.WriteLine();
            Console.WriteLine($"  loaded {total:N0} packages in {elapsed.TotalSeconds:F1} s ({total / elapsed.TotalSeconds:N0} rows/s)");
        }

        private string Bar(int done)
        {
            const int width = 24;
            var filled = (int)((long)done * width / total);
            return "[" + new string('#', filled) + new string('.', width - filled) + "]";
        }
    }
}
