using DiskAnn.Sqlite;

namespace DiskAnn.Storage;

/// <summary>
/// How connections that cache the index learn what other connections' commits changed, at three grains:
/// PRAGMA data_version (anything in the database file), the config key <c>generation</c> (this index), and the
/// keys <c>changes:&lt;g&gt;</c> (which chunks the commit that raised the generation to g wrote). This side records
/// what the open transaction writes, logs it on commit, and reads the log of others' commits back.
/// </summary>
internal sealed class ChangeLog : IDisposable
{
    /// <summary>How many commits back a connection can catch up by reading only the chunks they wrote.</summary>
    public const int LoggedGenerations = 64;

    public const string GenerationKey = "generation";

    /// <summary>Logged for a commit that dropped chunks: the log cannot say what to read back, so readers reload everything.</summary>
    private const int EverythingChanged = -1;

    private readonly ShadowConfig _config;
    private readonly SqliteStatement _dataVersion;

    // What this connection's open transaction wrote, for the change log other connections refresh from.
    private readonly HashSet<int> _writtenChunks = [];
    private readonly HashSet<int> _writtenVectorChunks = [];
    private bool _chunksDropped;

    public ChangeLog(ShadowSchema tables, ShadowConfig config)
    {
        _config = config;
        _dataVersion = new SqliteStatement(tables.Db, $"PRAGMA {ShadowSchema.Quote(tables.Schema)}.data_version");
    }

    /// <summary>PRAGMA data_version: changes when another connection commits to this database.</summary>
    public long DataVersion()
    {
        try
        {
            _dataVersion.Step();
            return _dataVersion.Int64(0);
        }
        finally
        {
            _dataVersion.Reset();
        }
    }

    /// <summary>
    /// The index's generation: a counter every transaction that writes the index raises (key <c>generation</c>,
    /// 0 when absent). PRAGMA data_version changes on any commit to the database file, this only when the index
    /// changed, so a connection keeps its cache when another one writes other tables.
    /// </summary>
    public long ReadGeneration() => _config.ReadInt64(GenerationKey);

    /// <summary>The open transaction wrote records of <paramref name="chunk"/>.</summary>
    public void RecordsWritten(int chunk) => _writtenChunks.Add(chunk);

    /// <summary>The open transaction wrote vectors of <paramref name="chunk"/> (and so its records too).</summary>
    public void VectorsWritten(int chunk)
    {
        _writtenChunks.Add(chunk);
        _writtenVectorChunks.Add(chunk);
    }

    /// <summary>The open transaction deleted chunk rows (after a compaction).</summary>
    public void ChunksDropped() => _chunksDropped = true;

    /// <summary>
    /// Raises the generation to <paramref name="generation"/> and logs which chunks this transaction wrote under
    /// <c>changes:&lt;generation&gt;</c> (a BLOB of int32 chunk numbers; -1 = reload everything), keeping the
    /// last <see cref="LoggedGenerations"/> entries.
    /// </summary>
    public void Commit(long generation)
    {
        _config.Set(GenerationKey, generation);
        // A chunk c whose records changed is logged as c; one whose vectors changed too as -(c + 2).
        var chunks = _chunksDropped ? [EverythingChanged] : _writtenChunks.Select(c => _writtenVectorChunks.Contains(c) ? -(c + 2) : c).ToArray();
        _config.Set(ChangesKey(generation), chunks);
        _config.Remove(ChangesKey(generation - LoggedGenerations));
        Forget();
    }

    private static string ChangesKey(long generation) => "changes:" + generation.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Called when the transaction ends without logging (rolled back, or nothing to commit).</summary>
    public void Forget()
    {
        _writtenChunks.Clear();
        _writtenVectorChunks.Clear();
        _chunksDropped = false;
    }

    /// <summary>
    /// The chunks written by the commits after generation <paramref name="from"/> up to <paramref name="to"/>, or
    /// false when the log does not cover them all (too old, or a commit that dropped chunks): reload everything then.
    /// </summary>
    public bool TryRead(long from, long to, HashSet<int> chunks, HashSet<int> vectorChunks)
    {
        if (to <= from || to - from > LoggedGenerations)
        {
            return false;
        }

        for (var generation = from + 1; generation <= to; generation++)
        {
            var logged = _config.ReadInt32s(ChangesKey(generation));
            if (logged is null)
            {
                return false;
            }

            foreach (var entry in logged)
            {
                var chunk = entry;
                if (chunk == EverythingChanged)
                {
                    return false;
                }

                if (chunk < 0)
                {
                    chunk = -chunk - 2;
                    vectorChunks.Add(chunk);
                }

                chunks.Add(chunk);
            }
        }

        return true;
    }

    public void Dispose() => _dataVersion.Dispose();
}
