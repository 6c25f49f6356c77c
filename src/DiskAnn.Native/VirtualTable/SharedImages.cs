using System.Collections.Concurrent;
using DiskAnn.Graph;

namespace DiskAnn.VirtualTable;

/// <summary>
/// One in-memory image of each index per process: the latest committed image of each (database file, table) that a
/// connection of the process has loaded or committed, with the generation it holds. A connection whose read
/// transaction sees that generation uses the image as it is, from any thread (nothing changes a published image: a
/// connection that writes works on a fork of it, and publishes the fork when it commits). A connection whose snapshot
/// sees another generation (a reader in WAL that began before a commit) loads its own. In-memory and temporary
/// databases keep private images. A vector cache budget (<c>cache_size_mb</c>) is the image's, shared like it
/// (<see cref="SharedImage.BudgetMb"/>).
/// </summary>
internal static class SharedImages
{
    private static readonly ConcurrentDictionary<(string File, string Table), SharedImage> Images = new();

    public static SharedImage For(string file, string table) => Images.GetOrAdd((file, table.ToLowerInvariant()), _ => new SharedImage());

    /// <summary>The table was dropped: its images must never serve a table created again under the same name.</summary>
    public static void Forget(string file, string table) => Images.TryRemove((file, table.ToLowerInvariant()), out _);
}

/// <summary>
/// The latest committed image of one index in the process, and its generation. It is kept while some connection of the
/// process has the table connected, and let go when the last one disconnects: a connection opened after that loads the
/// table from the file again, as one always did (and meets whatever was done to the file in between).
/// </summary>
internal sealed class SharedImage
{
    /// <summary>
    /// Committed images kept after a newer one replaced them, for readers whose snapshot is that old: in WAL a statement
    /// that began before a commit still reads the generation before it, and without its image it would load the whole
    /// index from the file (a busy pool had 15 such private loads alive at once). They share every chunk and page they
    /// have in common with the newer ones, so each costs what its commit changed.
    /// </summary>
    private const int KeptGenerations = 4;

    private readonly Lock _lock = new();
    private readonly Queue<(long Generation, VamanaIndex Image)> _older = new();
    private VamanaIndex? _image;
    private long _generation;
    private int _users;
    private int? _budgetMb;

    /// <summary>
    /// Held by the connection that builds the image of a generation the others lack, so that connections opened at
    /// once (a pool filling up) wait for one load rather than each loading its own.
    /// </summary>
    public Lock LoadLock { get; } = new();

    public void AddUser()
    {
        lock (_lock)
        {
            _users++;
        }
    }

    public void RemoveUser()
    {
        lock (_lock)
        {
            if (--_users <= 0)
            {
                _users = 0;
                _image = null;
                _older.Clear();
                _budgetMb = null;
            }
        }
    }

    /// <summary>
    /// The vector cache budget in MiB of the process's images of the table, once a connection set one with the command
    /// <c>'cache_size_mb=N'</c> (or <c>diskann_cache_size_mb</c>); null until then: the table's declared budget. Every
    /// image published takes it, and so every load and fork made from one; it is forgotten with the image when the
    /// last connection of the process lets the table go.
    /// </summary>
    public int? BudgetMb
    {
        get
        {
            lock (_lock)
            {
                return _budgetMb;
            }
        }
    }

    /// <summary>Sets the budget (see <see cref="BudgetMb"/>) and applies it to the image held now: nothing is reloaded.</summary>
    public void SetBudget(int mb)
    {
        lock (_lock)
        {
            _budgetMb = mb;
            _image?.Nodes.SetBudgetMb(mb);
        }
    }

    /// <summary>
    /// Lets the only connection of the process that has the table connected change the shared image in place rather
    /// than a fork of it: nobody else can be using it, and it is withdrawn, so that a connection that comes later loads
    /// the committed state from the file (or takes what this one publishes at COMMIT).
    /// </summary>
    public bool TryTakeSole(VamanaIndex image)
    {
        lock (_lock)
        {
            if (_users != 1 || !ReferenceEquals(_image, image))
            {
                return false;
            }

            _image = null;
            return true;
        }
    }

    /// <summary>The image held, whatever its generation (a start for a connection that can refresh it to its own).</summary>
    public bool TryGetAny(out VamanaIndex image, out long generation)
    {
        lock (_lock)
        {
            image = _image!;
            generation = _generation;
            return _image is not null;
        }
    }

    /// <summary>The committed image of <paramref name="generation"/>: the latest, or one of the few kept before it.</summary>
    public bool TryGet(long generation, out VamanaIndex image)
    {
        lock (_lock)
        {
            image = _image!;
            if (_image is not null && _generation == generation)
            {
                return true;
            }

            foreach (var (kept, older) in _older)
            {
                if (kept == generation)
                {
                    image = older;
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Offers a committed image of <paramref name="generation"/>; true when it is now the one held. It replaces the one
    /// held unless that one is newer: generations only grow (FORMAT.md), and the newest committed state is the one every
    /// new statement's snapshot sees. A reader whose snapshot is older (in WAL, a statement that began before a commit)
    /// keeps the image it built to itself; publishing it would make every other connection go back to it and forward
    /// again, each time from the file.
    /// </summary>
    public bool Publish(VamanaIndex image, long generation)
    {
        lock (_lock)
        {
            if (_image is not null && generation < _generation)
            {
                return false;
            }

            if (_budgetMb is { } mb)
            {
                image.Nodes.SetBudgetMb(mb); // a fork a writer made before the budget changed
            }

            if (_image is not null && generation > _generation)
            {
                _older.Enqueue((_generation, _image));
                while (_older.Count > KeptGenerations)
                {
                    _older.Dequeue();
                }
            }

            _image = image;
            _generation = generation;
            return true;
        }
    }
}
