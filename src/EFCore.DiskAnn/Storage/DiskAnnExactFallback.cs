using System.Globalization;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;

namespace Microsoft.EntityFrameworkCore.Storage;

/// <summary>
/// The exact form of a KNN command (each search written as a scan of the entity table) and the k of each search: the
/// command runs the exact form when a k, with the values bound, is above the module's <see cref="DiskAnnIndexOptions.MaxK" />
/// (a <c>Take</c>, or <c>Skip + Take</c>, that the index cannot answer), so such a query returns the right rows instead of
/// failing inside SQLite; each such execution logs <see cref="Diagnostics.DiskAnnEventId.ExactScanFallback" /> (<see cref="Reason" />).
/// </summary>
public sealed class DiskAnnExactFallback
{
    /// <summary>Creates the fallback.</summary>
    /// <param name="command">The command with every search in its exact form.</param>
    /// <param name="limits">The k expression of each search (constants, parameters, +, *, min, max).</param>
    public DiskAnnExactFallback(IRelationalCommand command, IReadOnlyList<SqlExpression> limits)
    {
        Command = command;
        Limits = limits;
    }

    /// <summary>The command with every search in its exact form.</summary>
    public IRelationalCommand Command { get; }

    /// <summary>The k expression of each search.</summary>
    public IReadOnlyList<SqlExpression> Limits { get; }

    /// <summary>Whether some search's k, with <paramref name="parameterValues" />, is above <see cref="DiskAnnIndexOptions.MaxK" />.</summary>
    public bool Applies(IReadOnlyDictionary<string, object?>? parameterValues)
        => ExceedingK(parameterValues) is not null;

    /// <summary>The first k above <see cref="DiskAnnIndexOptions.MaxK" /> with <paramref name="parameterValues" />, or <see langword="null" />.</summary>
    public decimal? ExceedingK(IReadOnlyDictionary<string, object?>? parameterValues)
    {
        foreach (var limit in Limits)
        {
            if (Evaluate(limit, parameterValues) is { } k && k > DiskAnnIndexOptions.MaxK)
            {
                return k;
            }
        }

        return null;
    }

    /// <summary>The reason of the <see cref="Diagnostics.DiskAnnEventId.ExactScanFallback" /> warning for a search of <paramref name="k" /> rows.</summary>
    public static string Reason(decimal k)
        => string.Create(
            CultureInfo.InvariantCulture,
            $"OrderBy(EF.Functions.VectorDistance) with Skip + Take of {k} rows asks the index for more than its limit of {DiskAnnIndexOptions.MaxK} (DiskAnnLimits.MaxK); the exact scan returns the same rows. Ask for at most {DiskAnnIndexOptions.MaxK} rows (Skip + Take) for the index to answer it.");

    /// <summary>The value of a k expression, or <see langword="null" /> when it cannot be computed here.</summary>
    internal static decimal? Evaluate(SqlExpression expression, IReadOnlyDictionary<string, object?>? parameterValues)
    {
        switch (expression)
        {
            case SqlConstantExpression { Value: { } value }:
                return ToDecimal(value);

            case SqlParameterExpression parameter
                when parameterValues is not null && parameterValues.TryGetValue(parameter.InvariantName, out var value) && value is not null:
                return ToDecimal(value);

            case SqlUnaryExpression { OperatorType: System.Linq.Expressions.ExpressionType.Convert } convert:
                return Evaluate(convert.Operand, parameterValues);

            case SqlBinaryExpression binary:
            {
                var left = Evaluate(binary.Left, parameterValues);
                var right = Evaluate(binary.Right, parameterValues);
                return binary.OperatorType switch
                {
                    System.Linq.Expressions.ExpressionType.Add => left + right,
                    System.Linq.Expressions.ExpressionType.Multiply => left * right,
                    _ => null,
                };
            }

            case SqlFunctionExpression { Instance: null, Arguments: [var first, var second] } function
                when function.Name is "min" or "max":
            {
                var a = Evaluate(first, parameterValues);
                var b = Evaluate(second, parameterValues);
                return a is null || b is null ? null : function.Name == "min" ? Math.Min(a.Value, b.Value) : Math.Max(a.Value, b.Value);
            }

            default:
                return null;
        }
    }

    private static decimal? ToDecimal(object value)
        => value switch
        {
            int or long or short or byte or uint or ulong or ushort or sbyte or decimal => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
            _ => null,
        };
}
