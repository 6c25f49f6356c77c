namespace DiskAnn.Graph;

/// <summary>The state of a slot, stored in its graph record (see Storage/FORMAT.md).</summary>
internal enum NodeState : byte
{
    /// <summary>Unused; may be handed to the next insert.</summary>
    Free = 0,

    /// <summary>A row whose node is linked into the graph.</summary>
    Linked = 1,

    /// <summary>A row stored but not linked yet: linking is batched until commit (or the next search).</summary>
    Pending = 2,

    /// <summary>
    /// A deleted row whose node still routes searches (FreshDiskANN's tombstone). It is never returned, and
    /// its edges are repaired away by consolidation, after which the slot becomes Free.
    /// </summary>
    Deleted = 3,
}
