using System.Reflection;
using System.Reflection.Emit;
using DiskAnn.Sqlite;

namespace DiskAnn.Native.Tests;

/// <summary>
/// The SQLite binding (src/DiskAnn.Native/Sqlite, namespace <c>DiskAnn.Sqlite</c>) sits below the module: it
/// may use nothing of the virtual table, the functions, the graph, the filters or the storage. Checked in the
/// compiled assembly (signatures and every member a method body touches), so a fully qualified name or a type
/// of the root namespace, which need no <c>using</c>, cannot slip past as it could in a scan of the source.
/// </summary>
public sealed class LayeringTests
{
    private const string Binding = "DiskAnn.Sqlite";

    /// <summary>Every one-byte and two-byte opcode, to walk IL and find the operands that are metadata tokens.</summary>
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void The_binding_references_nothing_above_it()
    {
        var assembly = typeof(SqliteApi).Assembly;
        var bindingTypes = assembly.GetTypes().Where(t => t.Namespace == Binding).ToList();
        Assert.NotEmpty(bindingTypes);

        var offending = new SortedSet<string>();
        foreach (var type in bindingTypes)
        {
            foreach (var used in TypesUsedBy(type))
            {
                if (IsAbove(used, assembly))
                {
                    offending.Add($"{type.FullName} uses {used.FullName}");
                }
            }
        }

        Assert.Empty(offending);
    }

    /// <summary>A type of this assembly outside the binding (compiler-generated ones, such as fixed-buffer or array-initializer helpers, are neutral).</summary>
    private static bool IsAbove(Type type, Assembly assembly)
    {
        while (type.HasElementType)
        {
            type = type.GetElementType()!;
        }

        return type.Assembly == assembly
            && type.Namespace != Binding
            && type.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is null
            && !type.Name.StartsWith('<');
    }

    private static IEnumerable<Type> TypesUsedBy(Type type)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.BaseType is not null)
        {
            yield return type.BaseType;
        }

        foreach (var field in type.GetFields(All))
        {
            yield return field.FieldType;
        }

        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (method is MethodInfo info)
            {
                yield return info.ReturnType;
            }

            foreach (var parameter in method.GetParameters())
            {
                yield return parameter.ParameterType;
            }

            foreach (var used in TypesInBody(method))
            {
                yield return used;
            }
        }
    }

    /// <summary>The declaring types of the members, and the types, that a method body names through metadata tokens.</summary>
    private static IEnumerable<Type> TypesInBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var at = 0;
        while (at < il.Length)
        {
            short value = il[at++];
            if (value == 0xFE)
            {
                value = (short)(0xFE00 | il[at++]);
            }

            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments);
                    if (member is Type t)
                    {
                        yield return t;
                    }
                    else if (member?.DeclaringType is { } declaring)
                    {
                        yield return declaring;
                    }

                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                default:
                    at += OperandSize(op.OperandType);
                    break;
            }
        }
    }

    private static int OperandSize(OperandType operand) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };
}
