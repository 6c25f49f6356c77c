using System.Reflection;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Microsoft.EntityFrameworkCore.Design;

/// <summary>
/// Stands in for EF Core's <c>ICSharpMigrationOperationGenerator</c> (of Microsoft.EntityFrameworkCore.Design, which the
/// plugin does not reference: <c>dotnet ef</c> loads it): writes each <c>diskann</c> index as
/// <see cref="DiskAnnMigrationOperationCode" />'s call and hands every other operation to EF Core's generator, with EF
/// Core's separators between them (a blank line, and the semicolon after each).
/// </summary>
internal class DiskAnnMigrationOperationGeneratorProxy : DispatchProxy
{
    /// <summary>EF Core's generator.</summary>
    public object Inner { get; set; } = null!;

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name != "Generate"
            || args is not [string builderName, IReadOnlyList<MigrationOperation> operations, IndentedStringBuilder builder])
        {
            return Forward(targetMethod, args);
        }

        var first = true;
        foreach (var operation in operations)
        {
            if (!first)
            {
                builder.AppendLine().AppendLine();
            }

            first = false;
            if (DiskAnnMigrationOperationCode.TryWrite(builderName, operation, builder))
            {
                builder.Append(";");
            }
            else
            {
                Forward(targetMethod, [builderName, new[] { operation }, builder]);
            }
        }

        return null;
    }

    private object? Forward(MethodInfo method, object?[]? args)
    {
        try
        {
            return method.Invoke(Inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
