namespace FunctionalTests.Sql;

/// <summary>What a <see cref="DifferentialHistory"/> checks after each step.</summary>
public enum DifferentialCheck
{
    /// <summary>The statements go to the diskann table and the plain table; the diskann table is checked.</summary>
    Index,

    /// <summary>
    /// The statements go to the plain table only; the checks run against an exact scan of it through SQL
    /// (<c>vector_distance_*</c> ... ORDER BY ... LIMIT k): a path known to be right, to check the harness itself.
    /// </summary>
    ExactScan,

    /// <summary>
    /// The statements go to the plain table only; the checks run against a fresh build of its rows in a separate
    /// in-memory database: tells a defect of the incremental paths from one a fresh build has as well.
    /// </summary>
    FreshBuild,
}
