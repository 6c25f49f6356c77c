using System.Collections;
using System.Linq.Expressions;
using System.Text;
using Microsoft.Extensions.VectorData.ProviderServices;
using Microsoft.Extensions.VectorData.ProviderServices.Filter;

namespace DiskAnn.VectorData;

/// <summary>
/// Translates a LINQ filter into SQLite conditions with C# semantics (a property that is null is never equal, less or
/// greater than a value, and is unequal to every non-null value), every value a parameter (@f0, @f1, ...) so that a
/// filter of the same shape reuses one prepared statement.
/// <para>
/// For a search, the filter's top-level conjuncts that the diskann module evaluates inside the graph search (==, !=,
/// &lt;, &lt;=, &gt;, &gt;=, null tests and Contains over a list of values, on IsIndexed properties stored as filter
/// columns) are kept apart (<see cref="Pushed"/>); the rest (||, !, Contains on an array property, properties that are
/// not filter columns) becomes one condition on the data table (<see cref="Residual"/>) that the search applies as
/// <c>rowid IN (SELECT ...)</c>, which the module also evaluates before it picks the k nearest. Either way k results come
/// back whenever k records pass.
/// </para>
/// </summary>
internal sealed class FilterTranslator : FilterTranslatorBase
{
    private readonly CollectionSchema _schema;
    private readonly List<KeyValuePair<string, object>> _parameters;
    private readonly StringBuilder _sql = new();
    private bool _indexColumns;

    private FilterTranslator(CollectionSchema schema, List<KeyValuePair<string, object>> parameters)
    {
        _schema = schema;
        _parameters = parameters;
    }

    /// <summary>Conditions on the index's filter columns (unqualified names), or null.</summary>
    public string? Pushed { get; private set; }

    /// <summary>A condition on the data table aliased <c>d</c>, or null.</summary>
    public string? Residual { get; private set; }

    /// <summary>Translates the whole filter as one condition on the data table (alias d).</summary>
    public static string TranslateAll(LambdaExpression filter, CollectionSchema schema, List<KeyValuePair<string, object>> parameters)
    {
        var translator = new FilterTranslator(schema, parameters);
        var body = translator.Preprocess(filter);
        translator.Translate(body);
        return translator._sql.ToString();
    }

    /// <summary>Splits the filter into the conditions the index evaluates and the rest (see the class remarks).</summary>
    public static FilterTranslator TranslateForIndex(LambdaExpression filter, CollectionSchema schema, List<KeyValuePair<string, object>> parameters)
    {
        var translator = new FilterTranslator(schema, parameters);
        var body = translator.Preprocess(filter);
        var pushed = new List<string>();
        var residual = new List<string>();
        foreach (var conjunct in Conjuncts(body))
        {
            translator._sql.Clear();
            translator._indexColumns = translator.IsPushable(conjunct);
            translator.Translate(conjunct);
            (translator._indexColumns ? pushed : residual).Add(translator._sql.ToString());
        }

        translator.Pushed = pushed.Count > 0 ? string.Join(" AND ", pushed) : null;
        translator.Residual = residual.Count > 0 ? string.Join(" AND ", residual) : null;
        return translator;
    }

    private Expression Preprocess(LambdaExpression filter)
    {
        try
        {
            return PreprocessFilter(filter, _schema.Model, new FilterPreprocessingOptions { SupportsParameterization = true });
        }
        catch (NotSupportedException)
        {
            throw;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw Untranslatable(filter.Body, e.Message);
        }
    }

    private static IEnumerable<Expression> Conjuncts(Expression node)
    {
        if (node is BinaryExpression { NodeType: ExpressionType.AndAlso } and)
        {
            foreach (var c in Conjuncts(and.Left))
            {
                yield return c;
            }

            foreach (var c in Conjuncts(and.Right))
            {
                yield return c;
            }
        }
        else
        {
            yield return node;
        }
    }

    /// <summary>True for a condition the diskann module evaluates on a filter column.</summary>
    private bool IsPushable(Expression node)
    {
        switch (node)
        {
            case BinaryExpression { NodeType: ExpressionType.Equal or ExpressionType.NotEqual or ExpressionType.LessThan or ExpressionType.LessThanOrEqual or ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual } binary:
                return (IsFilterColumn(binary.Left) && IsValue(binary.Right)) || (IsFilterColumn(binary.Right) && IsValue(binary.Left));
            case MethodCallExpression call when TryMatchContains(call, out var source, out var item):
                // An IN list holding null would need an OR, which the module does not evaluate.
                return IsFilterColumn(item) && ValuesOf(source) is { Count: > 0 } values && values.TrueForAll(v => v is not null);
            case UnaryExpression { NodeType: ExpressionType.Not, Operand: var operand }:
                return IsFilterColumn(operand) && operand.Type == typeof(bool);
            default:
                return IsFilterColumn(node) && node.Type == typeof(bool);
        }
    }

    private bool IsFilterColumn(Expression node) => TryBindProperty(Unwrap(node), out var property) && _schema.IsFilterColumn(property);

    private static bool IsValue(Expression node) => Unwrap(node) is ConstantExpression or QueryParameterExpression;

    private static Expression Unwrap(Expression node)
    {
        while (node is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert)
        {
            node = convert.Operand;
        }

        return node;
    }

    private void Translate(Expression node)
    {
        switch (node)
        {
            case BinaryExpression { NodeType: ExpressionType.AndAlso or ExpressionType.OrElse } logical:
                _sql.Append('(');
                Translate(logical.Left);
                _sql.Append(logical.NodeType == ExpressionType.AndAlso ? " AND " : " OR ");
                Translate(logical.Right);
                _sql.Append(')');
                return;
            case BinaryExpression binary:
                TranslateComparison(binary);
                return;
            case UnaryExpression { NodeType: ExpressionType.Not } not:
                TranslateNot(not.Operand);
                return;
            case UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert:
                Translate(convert.Operand);
                return;
            case MethodCallExpression call when TryMatchContains(call, out var source, out var item):
                TranslateContains(call, source, item);
                return;
            case ConstantExpression { Value: bool b }:
                _sql.Append(b ? "1" : "0");
                return;
            case QueryParameterExpression { Value: bool b }:
                _sql.Append(b ? "1" : "0");
                return;
            case var _ when TryBindProperty(node, out var property) && property.Type == typeof(bool):
                Column(property).Append(" = 1");
                return;
            default:
                throw Untranslatable(node, null);
        }
    }

    private void TranslateNot(Expression operand)
    {
        operand = Unwrap(operand);
        if (operand is BinaryExpression { NodeType: ExpressionType.Equal or ExpressionType.NotEqual } equality)
        {
            TranslateComparison(Expression.MakeBinary(equality.NodeType == ExpressionType.Equal ? ExpressionType.NotEqual : ExpressionType.Equal, equality.Left, equality.Right));
            return;
        }

        if (TryBindProperty(operand, out var property) && property.Type == typeof(bool))
        {
            Column(property).Append(" = 0");
            return;
        }

        // NOT of a condition that is NULL in SQL (a comparison with a null property) must be true, as in C#:
        // "x IS NOT 1" is true for 0 and for NULL.
        _sql.Append('(');
        Translate(operand);
        _sql.Append(" IS NOT 1)");
    }

    private void TranslateComparison(BinaryExpression binary)
    {
        var left = Unwrap(binary.Left);
        var right = Unwrap(binary.Right);
        var op = binary.NodeType;
        if (!TryBindProperty(left, out var property))
        {
            if (!TryBindProperty(right, out property))
            {
                throw Untranslatable(binary, "a comparison needs a property of the record on one side");
            }

            (left, right) = (right, left);
            op = op switch
            {
                ExpressionType.LessThan => ExpressionType.GreaterThan,
                ExpressionType.LessThanOrEqual => ExpressionType.GreaterThanOrEqual,
                ExpressionType.GreaterThan => ExpressionType.LessThan,
                ExpressionType.GreaterThanOrEqual => ExpressionType.LessThanOrEqual,
                _ => op,
            };
        }

        if (right is not (ConstantExpression or QueryParameterExpression))
        {
            throw Untranslatable(binary, "a property can be compared with a value (a constant or a captured variable), not with another property or expression");
        }

        var value = right is ConstantExpression c ? c.Value : ((QueryParameterExpression)right).Value;
        _sql.Append('(');
        Column(property);
        if (value is null)
        {
            _sql.Append(op switch
            {
                ExpressionType.Equal => " IS NULL)",
                ExpressionType.NotEqual => " IS NOT NULL)",
                _ => throw Untranslatable(binary, "null can only be compared with == and !="),
            });
            return;
        }

        _sql.Append(op switch
        {
            ExpressionType.Equal => " = ",
            // IS NOT: a null property is unequal to a value, as in C# (<> would make the row drop out).
            ExpressionType.NotEqual => " IS NOT ",
            ExpressionType.LessThan => " < ",
            ExpressionType.LessThanOrEqual => " <= ",
            ExpressionType.GreaterThan => " > ",
            ExpressionType.GreaterThanOrEqual => " >= ",
            _ => throw Untranslatable(binary, $"the operator {binary.NodeType} is not supported (use ==, !=, <, <=, >, >=, &&, ||, ! and Contains)"),
        });
        Parameter(value, property.Type);
        _sql.Append(')');
    }

    private void TranslateContains(MethodCallExpression call, Expression source, Expression item)
    {
        // r.Tags.Contains(value): an array or list property, stored as a JSON array.
        if (TryBindProperty(Unwrap(source), out var arrayProperty))
        {
            var element = ValueConverter.ElementType(arrayProperty.Type)
                ?? throw Untranslatable(call, $"Contains is supported on array and list properties, and '{arrayProperty.ModelName}' is neither");
            var itemValue = Unwrap(item) switch
            {
                ConstantExpression c => c.Value,
                QueryParameterExpression p => p.Value,
                _ => throw Untranslatable(call, "the value looked for in an array property must be a constant or a captured variable"),
            };
            _sql.Append("EXISTS (SELECT 1 FROM json_each(");
            Column(arrayProperty);
            _sql.Append(") WHERE value = ");
            Parameter(itemValue, element);
            _sql.Append(')');
            return;
        }

        // list.Contains(r.Property): IN.
        if (!TryBindProperty(Unwrap(item), out var property))
        {
            throw Untranslatable(call, "Contains needs an array or list of values and a property of the record (values.Contains(r.Property)), or an array property (r.Tags.Contains(value))");
        }

        var values = ValuesOf(source) ?? throw Untranslatable(call, "the values of Contains must be an array or list of constants or a captured variable");
        if (values.Count == 0)
        {
            _sql.Append('0');
            return;
        }

        var hasNull = values.Any(v => v is null);
        var nonNull = values.Where(v => v is not null).ToList();
        _sql.Append('(');
        if (nonNull.Count > 0)
        {
            Column(property).Append(" IN (");
            for (var i = 0; i < nonNull.Count; i++)
            {
                if (i > 0)
                {
                    _sql.Append(", ");
                }

                Parameter(nonNull[i], property.Type);
            }

            _sql.Append(')');
        }

        if (hasNull)
        {
            _sql.Append(nonNull.Count > 0 ? " OR " : "");
            Column(property).Append(" IS NULL");
        }

        _sql.Append(')');
    }

    private static List<object?>? ValuesOf(Expression source)
    {
        switch (Unwrap(source))
        {
            case NewArrayExpression array:
                var list = new List<object?>();
                foreach (var element in array.Expressions)
                {
                    switch (Unwrap(element))
                    {
                        case ConstantExpression c:
                            list.Add(c.Value);
                            break;
                        case QueryParameterExpression p:
                            list.Add(p.Value);
                            break;
                        default:
                            return null;
                    }
                }

                return list;
            case ConstantExpression { Value: IEnumerable e and not string }:
                return e.Cast<object?>().ToList();
            case QueryParameterExpression { Value: IEnumerable e and not string }:
                return e.Cast<object?>().ToList();
            default:
                return null;
        }
    }

    private StringBuilder Column(PropertyModel property)
    {
        if (!_indexColumns)
        {
            _sql.Append("d.");
        }

        return _sql.AppendQuoted(property.StorageName);
    }

    private void Parameter(object? value, Type type)
    {
        var name = "@f" + _parameters.Count;
        _parameters.Add(new(name, ValueConverter.ToDb(value, type)));
        _sql.Append(name);
    }

    private static NotSupportedException Untranslatable(Expression node, string? why)
        => new($"The filter '{node}' cannot be translated by the DiskAnn connector{(why is null ? "" : ": " + why)}. Filters support ==, !=, <, <=, >, >=, &&, ||, !, and Contains (on a list of values, or on an array or list property), comparing properties of the record with constants or captured variables.");
}
