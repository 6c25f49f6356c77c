using DiskAnn.Graph;
using DiskAnn.Sqlite;
using DiskAnn.Storage;

namespace DiskAnn.VirtualTable;

/// <summary>
/// One diskann table on one connection: the graph in memory, kept equal to the shadow tables. The image is the
/// process's shared one for the generation this connection's snapshot sees (<see cref="SharedImages"/>), until the
/// connection writes: then it works on a fork of its own, published at COMMIT and dropped at ROLLBACK.
/// Rows are written through to storage at once (as pending nodes); linking them into the graph is
/// deferred to commit (xSync) or the next search, so a bulk load links in parallel batches. The image is
/// replaced when another connection commits (PRAGMA data_version, then the generation) and when a rollback undoes our changes.
/// </summary>
internal sealed class DiskAnnTable : IDisposable, IChunkReader
{
    private ShadowStorage _storage;
    private readonly List<long> _savepoints = [];
    // The image this connection uses (Current): its own (_own, a fork it writes or a load it may not share), or the
    // process's shared one, which it holds only weakly between statements: an image that later commits replaced is
    // freed once no statement uses it, instead of being kept alive by every idle connection of a pool. (A WAL reader
    // whose old image was freed in the middle of its transaction loads it again: slower, never wrong.)
    private VamanaIndex? _own;
    private readonly WeakReference<VamanaIndex?> _borrowed = new(null);
    private long _dataVersion;
    private long _generation;
    private bool _generationRaised;
    private long _changes;
    private long _changesAtBegin;

    /// <summary>True when the image is this connection's own (<see cref="_own"/>).</summary>
    private bool _private;
    private SharedImage? _shared;
    private bool _sharedResolved;

    public DiskAnnTable(nint db, string schema, string name, GraphOptions options)
    {
        Db = db;
        Schema = schema;
        Name = name;
        Options = options;
        _cacheSizeMb = options.CacheSizeMb;
        _storage = new ShadowStorage(db, schema, name, options.FilterColumns);
    }

    // The declared budget, or the one the command set where the image is this connection's alone (no shared images).
    private int _cacheSizeMb;

    /// <summary>
    /// The vector cache budget in MiB (0: none) of the process's image of this table: the declared one until a
    /// connection of the process sets another with <c>'cache_size_mb=N'</c> (<see cref="SharedImage.BudgetMb"/>).
    /// </summary>
    public int CacheSizeMb => Shared?.BudgetMb ?? _cacheSizeMb;

    public nint Db { get; }

    public string Schema { get; }

    public string Name { get; private set; }

    public GraphOptions Options { get; }

    /// <summary>The graph, loaded or reloaded if another connection has committed since.</summary>
    public VamanaIndex Index
    {
        get
        {
            var version = _storage.DataVersion();
            var current = Current;
            if (current is null || version != _dataVersion)
            {
                // Another connection committed: a new image only if it changed this index, not some other table.
                var generation = _storage.ReadGeneration();
                if (current is null || generation != _generation)
                {
                    current = Acquire(generation);
                    _generation = generation;
                }

                _dataVersion = version;
            }

            return current;
        }
    }

    /// <summary>The image to change: this connection's own, forked from the shared one on the first change of a transaction.</summary>
    private VamanaIndex MutableIndex
    {
        get
        {
            var index = Index;
            if (!_private)
            {
                // A fork copies, as they are written, the chunks and pages: not needed when no other
                // connection of the process has the table connected.
                if (Shared?.TryTakeSole(index) != true)
                {
                    index = index.Fork();
                }

                Own(index);
            }

            return index;
        }
    }

    private VamanaIndex? Current => _private ? _own : _borrowed.TryGetTarget(out var image) ? image : null;

    private VamanaIndex Own(VamanaIndex image)
    {
        _private = true;
        _own = image;
        _borrowed.SetTarget(null);
        return image;
    }

    private VamanaIndex Borrow(VamanaIndex image)
    {
        _private = false;
        _own = null;
        _borrowed.SetTarget(image);
        return image;
    }

    /// <summary>Forgets the image: the next use takes the shared one or loads.</summary>
    private void DropImage()
    {
        _private = false;
        _own = null;
        _borrowed.SetTarget(null);
    }

    /// <summary>The process's images of this table, or null where they are not shared (memory or temp database).</summary>
    private SharedImage? Shared
    {
        get
        {
            if (!_sharedResolved)
            {
                _shared = File.Length > 0 ? SharedImages.For(File, Name) : null;
                _shared?.AddUser();
                _sharedResolved = true;
            }

            return _shared;
        }
    }

    /// <summary>
    /// The image of <paramref name="generation"/>: the shared one if it is that generation; else refreshed from the current
    /// one (the chunks the commits since wrote) or loaded, and shared unless this transaction has changes of its own.
    /// </summary>
    private VamanaIndex Acquire(long generation)
    {
        // A transaction with changes of its own sees them, which no committed image holds.
        var shared = _changes == _changesAtBegin ? Shared : null;
        if (shared is not null && shared.TryGet(generation, out var image))
        {
            _storage.Adopt(image.Nodes);
            return Borrow(image);
        }

        if (shared is null)
        {
            return Own(Build(generation, null));
        }

        // One connection builds, the others wait for it. (Bounded: a connection that waits holds no write lock a
        // loader could need, but a stuck loader must not stall the others for good; they then build their own.)
        var locked = shared.LoadLock.TryEnter(TimeSpan.FromSeconds(10));
        try
        {
            if (locked && shared.TryGet(generation, out image))
            {
                _storage.Adopt(image.Nodes);
                return Borrow(image);
            }

            var built = Build(generation, shared);
            // An image of an older generation than the one held (this snapshot began before a commit) stays this connection's.
            return shared.Publish(built, generation) ? Borrow(built) : Own(built);
        }
        finally
        {
            if (locked)
            {
                shared.LoadLock.Exit();
            }
        }
    }

    /// <summary>
    /// The image of <paramref name="generation"/> from the file: this connection's image, or else the process's (of an
    /// older generation: a connection that has none yet, while commits go on), refreshed with the chunks the commits
    /// since wrote where the change log covers them; else a load.
    /// </summary>
    private VamanaIndex Build(long generation, SharedImage? shared)
    {
        var current = Current;
        if (current is not null && TryRefresh(current, _generation, generation, out var refreshed))
        {
            return refreshed;
        }

        if (current is null && shared is not null && shared.TryGetAny(out var image, out var from) && from < generation
            && TryRefresh(image, from, generation, out refreshed))
        {
            return refreshed;
        }

        return Load();
    }

    private bool TryRefresh(VamanaIndex index, long from, long generation, out VamanaIndex refreshed)
    {
        refreshed = index;
        var chunks = new HashSet<int>();
        var vectorChunks = new HashSet<int>();
        if (index.PendingCount > 0 || index.DirtySlots.Count > 0 || !_storage.TryReadChanges(from, generation, chunks, vectorChunks))
        {
            return false;
        }

        try
        {
            // A shared image is never changed: the refresh goes to a fork (which copies only the chunks it rewrites).
            var target = _private && ReferenceEquals(index, _own) ? index : index.Fork();
            if (!_storage.TryRefresh(Options, target.Nodes, chunks, vectorChunks, out var entry))
            {
                return false;
            }

            target.AfterLoad(entry, _storage.ReadSeeds(target.Nodes.SlotCount));
            refreshed = target;
            return true;
        }
        catch (Exception)
        {
            // Half-refreshed memory is not trusted: the caller reloads it all (and meets any real fault there).
            return false;
        }
    }

    private string? _file;

    /// <summary>The database file the table lives in ("" for an in-memory or temporary database), read once.</summary>
    private string File
    {
        get
        {
            if (_file is null)
            {
                using var file = new SqliteStatement(Db, "SELECT file FROM pragma_database_list WHERE name = ?1");
                file.Bind(1, Schema);
                _file = file.Step() ? file.Text(0) ?? "" : "";
            }

            return _file;
        }
    }

    /// <summary>This table on this connection, for <c>diskann_status</c>: fields only, so any thread may call it.</summary>
    public TableStatus Status()
    {
        var index = Current;
        return new TableStatus(
            Db,
            Schema,
            Name,
            _file,
            index is not null,
            index?.Id ?? 0,
            index is not null && !_private && _shared is not null,
            index?.LiveCount ?? 0,
            index?.PendingCount ?? 0,
            index?.DeletedCount ?? 0,
            index?.Nodes.SlotCount ?? 0,
            index?.MemoryBytes ?? 0,
            _generation,
            index?.Nodes.BudgetMb ?? _shared?.BudgetMb ?? _cacheSizeMb,
            index?.Nodes.ResidentVectorBytes ?? 0);
    }

    private VamanaIndex Load()
    {
        var source = Source; // resolves the shared images, whose budget the load takes
        var (nodes, entry) = _storage.Load(Options, CacheSizeMb * 1024L * 1024L);
        nodes.ChunkSource = source;
        var index = new VamanaIndex(Options, nodes);
        try
        {
            index.AfterLoad(entry, _storage.ReadSeeds(nodes.SlotCount));
        }
        catch (InvalidDataException e)
        {
            throw new SqliteCallException(SqliteConstants.CORRUPT_VTAB, $"diskann table \"{Name}\" is corrupt: {e.Message}");
        }

        return index;
    }

    /// <summary>Runs a change to memory and storage; if anything fails half-way, the cache is dropped and reloaded from storage.</summary>
    private void Change(Action<VamanaIndex> change)
    {
        var index = MutableIndex;
        _changes++;
        try
        {
            change(index);
        }
        catch
        {
            DropImage();
            throw;
        }
    }

    public long Insert(long? rowid, float[] vector, bool replace, Filters.FilterValue[] filterValues)
    {
        var index = Index;
        var id = rowid ?? NewRowId(index);
        if (index.TryGetSlot(id, out _))
        {
            if (!replace)
            {
                throw new SqliteCallException(SqliteConstants.CONSTRAINT_PRIMARYKEY, $"UNIQUE constraint failed: {Name}.rowid (rowid {id} is already in the index)");
            }

            Delete(id);
        }

        Change(ix =>
        {
            var slot = ix.Add(id, vector, filterValues);
            _storage.WriteSlot(ix.Nodes, slot);
            _storage.WriteFilterValues(ix.Nodes, slot);
        });
        return id;
    }

    /// <summary>
    /// The rowid SQLite would give a row inserted without one: the largest plus one, and once the largest possible
    /// rowid is taken, a random unused one (100 tries, then SQLITE_FULL, as SQLite does); never a wrap to negative.
    /// </summary>
    private static long NewRowId(VamanaIndex index)
    {
        var max = index.LiveCount == 0 ? 0 : index.MaxRowId();
        if (max < long.MaxValue)
        {
            return max + 1;
        }

        for (var attempt = 0; attempt < 100; attempt++)
        {
            var id = Random.Shared.NextInt64(1, long.MaxValue);
            if (!index.TryGetSlot(id, out _))
            {
                return id;
            }
        }

        throw new SqliteCallException(SqliteConstants.FULL, "database or disk is full (diskann: rowid 9223372036854775807 is taken and no unused rowid was found at random; give each row its rowid)");
    }

    public void Delete(long rowid)
    {
        if (!Index.TryGetSlot(rowid, out var slot))
        {
            return;
        }

        Change(ix =>
        {
            ix.Remove(rowid);
            _storage.WriteRecord(ix.Nodes, slot);
        });
    }

    public void Update(long oldRowid, long newRowid, float[] vector, bool replace, Filters.FilterValue[] filterValues)
    {
        var index = Index;
        if (oldRowid == newRowid && index.TryGetSlot(oldRowid, out var slot) && index.Nodes.HoldsVector(slot, vector) && !MovesPartition(slot, filterValues))
        {
            // The vector stays: at most the filter columns change, and the node keeps its edges.
            SetFilterValues(oldRowid, filterValues);
            return;
        }

        if (oldRowid != newRowid && index.TryGetSlot(newRowid, out _) && !replace)
        {
            throw new SqliteCallException(SqliteConstants.CONSTRAINT_PRIMARYKEY, $"UNIQUE constraint failed: {Name}.rowid (rowid {newRowid} is already in the index)");
        }

        if (oldRowid != newRowid && index.TryGetSlot(oldRowid, out var moving) && index.Nodes.HoldsVector(moving, vector) && !MovesPartition(moving, filterValues))
        {
            // Only the rowid changes: the node keeps its place in the graph.
            Delete(newRowid);
            Change(ix =>
            {
                ix.ChangeRowId(oldRowid, newRowid);
                _storage.WriteRecord(ix.Nodes, moving);
            });
            SetFilterValues(newRowid, filterValues);
            return;
        }

        // FreshDiskANN's update: the old node becomes a tombstone, the new vector a new node. A row that moves to
        // another partition is linked anew too, even with its vector unchanged: its edges within its old partition
        // are no use to a search confined to the new one, which could not reach it otherwise.
        Delete(oldRowid);
        Insert(newRowid, vector, replace, filterValues);
    }

    /// <summary>Whether new filter values put a row into another partition (false without a partition key).</summary>
    private bool MovesPartition(int slot, Filters.FilterValue[] values)
    {
        var filters = Index.Nodes.Filters;
        return filters is { PartitionColumn: >= 0 } && values.Length > 0
            && !Filters.FilterValue.Same(filters.Get(slot, filters.PartitionColumn), values[filters.PartitionColumn]);
    }

    /// <summary>Sets a row's filter column values where they differ from the stored ones (no re-linking).</summary>
    private void SetFilterValues(long rowid, Filters.FilterValue[] values)
    {
        if (values.Length == 0 || !Index.TryGetSlot(rowid, out var slot))
        {
            return;
        }

        var filters = Index.Nodes.Filters!;
        var same = true;
        for (var c = 0; c < values.Length && same; c++)
        {
            same = Filters.FilterValue.Same(filters.Get(slot, c), values[c]);
        }

        if (same)
        {
            return;
        }

        Change(ix =>
        {
            var at = ix.SetFilterValues(rowid, values);
            _storage.WriteFilterValues(ix.Nodes, at);
        });
    }

    /// <summary>
    /// The k nearest rows, nearest first, into the result arrays; returns how many (see <see cref="VamanaIndex.Search"/>).
    /// Rows this transaction added are linked first, so that the search sees them.
    /// </summary>
    public int Search(float[] query, int k, int listSize, List<long>? allowed, List<(int Column, Filters.FilterCondition Condition)>? conditions, long[] rowids, float[] distances)
    {
        LinkForSearch(Index);
        var index = Index;

        // Compiled against the image searched (linking may have forked it): a TEXT condition becomes a set of its codes.
        var predicate = conditions is null ? null : new Filters.RowPredicate(index.Nodes.Filters!, conditions);
        return index.Search(query, k, listSize, allowed, predicate, rowids, distances);
    }

    /// <summary>
    /// Links the rows this transaction added so that the search sees them, and writes the records that changed at
    /// once: the shadow tables must hold what memory holds at the end of every statement, because a statement
    /// that fails later in the transaction rolls storage back to that point and the cache is reloaded from it.
    /// </summary>
    private void LinkForSearch(VamanaIndex index)
    {
        if (index.PendingCount == 0 && index.DirtySlots.Count == 0)
        {
            return;
        }

        try
        {
            Change(ix =>
            {
                ix.LinkPending();
                _storage.WriteDirty(ix);
            });
        }
        finally
        {
            _storage.CloseBlobs(); // an open BLOB handle counts as a statement in progress and would block COMMIT
        }
    }

    /// <summary>Runs a command written to the hidden command column (FTS5 style).</summary>
    public void Command(string command)
    {
        switch (command.Trim().ToLowerInvariant())
        {
            case "integrity-check":
                var problems = CheckIntegrity();
                if (problems.Count > 0)
                {
                    throw new SqliteCallException(SqliteConstants.CORRUPT_VTAB, $"diskann table \"{Name}\" failed its integrity check: {string.Join("; ", problems)}");
                }

                break;
            case "optimize":
                Change(ix =>
                {
                    // Compaction moves vectors in memory first and writes them after: nothing may be dropped between.
                    ix.Nodes.EvictionSuspended = true;
                    try
                    {
                        foreach (var slot in ix.Compact())
                        {
                            _storage.WriteSlot(ix.Nodes, slot);
                            _storage.WriteFilterValues(ix.Nodes, slot);
                        }
                    }
                    finally
                    {
                        ix.Nodes.EvictionSuspended = false;
                    }

                    ix.Nodes.TrimToBudget();
                    _storage.DropTrailingChunks(ix.Nodes);
                    _storage.WriteDirty(ix);
                });
                break;
            case "rebuild":
                Change(ix =>
                {
                    ix.Rebuild();
                    _storage.WriteDirty(ix);
                });
                break;
            case var setting when setting.StartsWith("cache_size_mb", StringComparison.Ordinal):
                SetCacheSize(setting);
                break;
            default:
                throw new SqliteCallException(SqliteConstants.ERROR, $"diskann: unknown command '{command}' (the commands are integrity-check, optimize, rebuild, cache_size_mb=N)");
        }
    }

    /// <summary>
    /// 'cache_size_mb=N': the budget of the process's image of the table, which every connection sharing it uses, from
    /// now on (and of this connection's own image, a fork it writes or one not shared). Nothing is reloaded: a lower
    /// budget drops chunks at once, 0 stops dropping (chunks not in memory are still read back when used).
    /// </summary>
    private void SetCacheSize(string setting)
    {
        var value = setting["cache_size_mb".Length..].TrimStart();
        if (!value.StartsWith('=') || !int.TryParse(value[1..].Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mb) || mb > TableOptions.MaxCacheSizeMb)
        {
            throw new SqliteCallException(SqliteConstants.ERROR, $"diskann: cache_size_mb must be written cache_size_mb=N with N from 0 (no budget) to {TableOptions.MaxCacheSizeMb}, got '{setting}'");
        }

        if (Shared is { } shared)
        {
            shared.SetBudget(mb);
        }
        else
        {
            _cacheSizeMb = mb;
        }

        Current?.Nodes.SetBudgetMb(mb);
    }

    /// <summary>The table this connection reads chunks back for: its process-wide images, or itself where it has no shared ones.</summary>
    public object Source => (object?)Shared ?? this;

    /// <inheritdoc/>
    public void ReadVectorChunk(int chunk, Span<byte> destination) => _storage.ReadVectorChunk(chunk, destination);

    /// <summary>
    /// Makes this connection the one that reads back chunks a budgeted image dropped, for the operation the caller runs
    /// on this thread (see NodeStore.Cache.cs: an image is shared, the connection that needs a chunk reads it).
    /// </summary>
    public NodeStore.ReaderScope ReadingChunks() => NodeStore.ReadThrough(this);

    /// <summary>Checks the graph as stored (not the cache), so what a reopen would see is what is verified.</summary>
    public List<string> CheckIntegrity()
    {
        var stored = Load();
        var problems = IntegrityCheck.Run(stored.Nodes, stored.Entry, stored.Seeds);
        if (_storage.FilterSlots() is { } filterSlots)
        {
            Filters.FilterIntegrity.Check(stored.Nodes, filterSlots, Current, problems);
        }

        return problems;
    }

    public void Begin()
    {
        _changesAtBegin = _changes;
        _savepoints.Clear();
    }

    /// <summary>xSync: before the commit, link what is pending, repair deletes when due, and write every changed record.</summary>
    public void Sync()
    {
        var current = Current;
        if (_changes == _changesAtBegin && current is not null && current.PendingCount == 0 && current.DirtySlots.Count == 0)
        {
            _storage.CloseBlobs();
            return;
        }

        var index = MutableIndex;
        try
        {
            index.PrepareCommit();
            _storage.WriteDirty(index);

            // Tell other connections' caches that the index changed (see ShadowStorage.ReadGeneration).
            _generation = _storage.ReadGeneration() + 1;
            _storage.WriteGeneration(_generation);
            _generationRaised = true;
        }
        catch
        {
            DropImage();
            throw;
        }
        finally
        {
            _storage.CloseBlobs();
        }
    }

    public void CloseBlobs() => _storage.CloseBlobs();

    public void Commit()
    {
        // What this transaction committed becomes the process's image of the new generation.
        if (_generationRaised && _private && _own is not null && Shared is { } shared)
        {
            if (shared.Publish(_own, _generation))
            {
                Borrow(_own);
            }
        }

        _generationRaised = false;
        _storage.ForgetChanges();
        _storage.CloseBlobs();
        _savepoints.Clear();
        _changesAtBegin = _changes;
    }

    public void Rollback()
    {
        _storage.CloseBlobs();
        _savepoints.Clear();

        // A generation raised in xSync and rolled back is not the stored one: forget the cache with it.
        if (_changes != _changesAtBegin || _generationRaised)
        {
            DropImage();
        }

        _generationRaised = false;
        _storage.ForgetChanges();
        _changesAtBegin = _changes;
    }

    // Savepoint levels are SQLite's: 0 is the outermost savepoint this table saw begin. A level of -1 means the
    // transaction itself: SQLite uses it for ROLLBACK TO (and RELEASE of) a savepoint that was opened outside BEGIN and
    // so started the transaction, before this table's xBegin could be told of it. A level this table never saw
    // (the savepoint was opened before its first write) holds the state at xBegin.

    public void Savepoint(int level)
    {
        if (level < 0)
        {
            return;
        }

        while (_savepoints.Count <= level)
        {
            _savepoints.Add(_changes);
        }

        _savepoints[level] = _changes;
        _savepoints.RemoveRange(level + 1, _savepoints.Count - level - 1);
    }

    public void Release(int level)
    {
        var keep = Math.Max(level, 0);
        if (keep < _savepoints.Count)
        {
            _savepoints.RemoveRange(keep, _savepoints.Count - keep);
        }
    }

    public void RollbackTo(int level)
    {
        var since = level >= 0 && level < _savepoints.Count ? _savepoints[level] : _changesAtBegin;
        if (since != _changes)
        {
            // Storage was rolled back by SQLite; the cache follows by reloading.
            _storage.CloseBlobs();
            DropImage();
            _changes++;
        }

        if (level < 0)
        {
            _savepoints.Clear();
            _changesAtBegin = _changes;
        }
        else
        {
            Savepoint(level);
        }
    }

    public void Rename(string newName)
    {
        TableNames.CheckRename(Db, Schema, Name, newName, Options.FilterColumns);
        _storage.CloseBlobs();
        ShadowStorage.Rename(Db, Schema, Name, newName);
        if (_file is { Length: > 0 } file)
        {
            SharedImages.Forget(file, Name);
        }

        Name = newName;
        _storage.Dispose();
        DropImage();
        ReleaseShared();
        _storage = new ShadowStorage(Db, Schema, newName, Options.FilterColumns);
    }

    /// <summary>This table stops using the process's images of its name (disconnected, dropped or renamed).</summary>
    private void ReleaseShared()
    {
        _shared?.RemoveUser();
        _shared = null;
        _sharedResolved = false;
    }

    public void Drop()
    {
        ReleaseShared();
        _storage.Dispose();
        ShadowStorage.Drop(Db, Schema, Name);
        if (_file is { Length: > 0 } file)
        {
            SharedImages.Forget(file, Name);
        }
    }

    public void Dispose()
    {
        ReleaseShared();
        _storage.Dispose();
    }
}
