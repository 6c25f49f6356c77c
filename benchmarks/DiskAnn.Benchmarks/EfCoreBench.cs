namespace DiskAnn.Benchmarks;

/// <summary>Issue 3: LINQ KNN through the EF Core plugin vs the same KNN in raw SQL. Waits for the plugin.</summary>
public static class EfCoreBench
{
    public static void Run(BenchContext context)
    {
        _ = context;
        Report.Heading("EF Core LINQ vs raw SQL");
        Report.Line("Not measured: the EF Core plugin (src/EFCore.DiskAnn) had not landed when this benchmark was written.");
    }
}
