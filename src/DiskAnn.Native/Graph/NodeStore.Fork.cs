namespace DiskAnn.Graph;

/// <summary>
/// Forking a store: the image a connection has committed is shared by every connection of the process, and the next
/// transaction that writes works on a fork. A fork shares every chunk and page with its origin; whichever side writes
/// one first copies it (CowArray for the per-slot fields, Own for the chunks), so a commit that changed a few rows
/// copies the chunks it touched, not the index. The origin is never written again once it is shared (a budgeted
/// origin still reads chunks back and drops them: new arrays, which the fork does not hold).
/// </summary>
internal sealed partial class NodeStore
{
    public NodeStore Fork()
    {
        // Under the cache lock: other threads may be reading chunks back into this store (a shared budgeted image)
        // or dropping them; the fork takes the chunks held at one moment, and the resident bytes that go with them.
        lock (_cacheLock)
        {
            var fork = new NodeStore(Dimension, MaxDegree, ChunkSlots, _metric, Quantization);
            fork._vectorChunks.AddRange(_vectorChunks);
            fork._codeChunks.AddRange(_codeChunks);
            fork._neighborChunks.AddRange(_neighborChunks);
            fork._ownsVectors = new bool[_ownsVectors.Length];
            fork._ownsCodes = new bool[_ownsCodes.Length];
            fork._ownsNeighbors = new bool[_ownsNeighbors.Length];
            Array.Clear(_ownsVectors);
            Array.Clear(_ownsCodes);
            Array.Clear(_ownsNeighbors);
            fork._rowids = _rowids.Fork();
            fork._states = _states.Fork();
            fork._degrees = _degrees.Fork();
            fork._inverseNorms = _inverseNorms.Fork();
            fork._scales = _scales.Fork();
            fork._squaredNorms = _squaredNorms.Fork();
            fork._codeInverseNorms = _codeInverseNorms.Fork();
            fork._levels = _levels.Fork();
            fork._support = _support.Fork();
            fork.Filters = Filters?.Fork();
            fork._sketches = _sketches?.Fork();
            fork.LevelsValid = LevelsValid && Unsupported.IsEmpty;

            // The budget goes with the fork, which counts the chunks it shares as its own: each side drops them apart.
            fork._paged = _paged;
            fork._budgetBytes = _budgetBytes;
            fork._residentBytes = _residentBytes;
            fork._referenced = new bool[_referenced.Length];
            fork.ChunkSource = ChunkSource;
            return fork;
        }
    }
}
