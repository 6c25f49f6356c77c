using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

public sealed class FunctionTests : DatabaseTest
{
    [Theory]
    [InlineData("cosine")]
    [InlineData("l2")]
    [InlineData("dot")]
    public void Distance_functions_match_the_definitions(string metric)
    {
        using var c = Db.Open();
        var random = new Random(40);
        for (var i = 0; i < 20; i++)
        {
            var a = SqlHelpers.Gaussian(random, 33, 1);
            var b = SqlHelpers.Gaussian(random, 33, 1);
            var value = (double)c.Scalar($"SELECT vector_distance_{metric}($a, $b)", ("$a", DiskAnnVector.ToBlob(a)), ("$b", DiskAnnVector.ToBlob(b)))!;
            Assert.Equal(SqlHelpers.ReferenceDistance(metric, a, b), value, 1e-4);
        }
    }

    [Fact]
    public void Json_converts_both_ways_and_reads_at_a_sql_prompt()
    {
        using var c = Db.Open();
        Assert.Equal("[0.1,-2,300000,1E-07]", c.Scalar("SELECT vector_to_json(vector_from_json('[0.1, -2, 3e5, 1e-7]'))"));
        Assert.Equal(DiskAnnVector.ToBlob([0.1f, -2f]), (byte[])c.Scalar("SELECT vector_from_json(' [0.1,-2] ')")!);
        Assert.Equal(0.0, (double)c.Scalar("SELECT vector_distance_cosine(vector_from_json('[1,2,3]'), vector_from_json('[2,4,6]'))")!, 6);
        Assert.Equal(5.0, (double)c.Scalar("SELECT vector_distance_l2(vector_from_json('[0,0]'), vector_from_json('[3,4]'))")!, 6);
        Assert.Equal(-11.0, (double)c.Scalar("SELECT vector_distance_dot(vector_from_json('[1,2]'), vector_from_json('[3,4]'))")!, 6);
        Assert.Equal(3L, c.Scalar("SELECT vector_dims(vector_from_json('[1,2,3]'))"));
        Assert.Equal(DBNull.Value, c.Scalar("SELECT vector_distance_l2(NULL, vector_from_json('[1]'))"));
    }

    [Theory]
    [InlineData("SELECT vector_from_json('[1, \"a\"]')", "element 1")]
    [InlineData("SELECT vector_from_json('{\"a\": 1}')", "JSON array")]
    [InlineData("SELECT vector_from_json('[]')", "empty")]
    [InlineData("SELECT vector_from_json('[1, 2')", "invalid JSON")]
    [InlineData("SELECT vector_from_json('[1e400]')", "element 0")]
    [InlineData("SELECT vector_from_json(x'0000803f')", "JSON text")]
    [InlineData("SELECT vector_distance_l2(vector_from_json('[1,2]'), vector_from_json('[1,2,3]'))", "different dimensions (2 and 3)")]
    [InlineData("SELECT vector_distance_cosine('[1,2]', vector_from_json('[1,2]'))", "argument 1 must be a BLOB")]
    [InlineData("SELECT vector_distance_cosine(vector_from_json('[1,2]'), x'000000')", "argument 2 has 3 bytes")]
    [InlineData("SELECT vector_to_json(x'0000c07f')", "NaN")]
    public void Bad_arguments_fail_with_a_message(string sql, string expected)
    {
        using var c = Db.Open();
        var e = Assert.Throws<SqliteException>(() => c.Scalar(sql));
        Assert.Contains(expected, e.Message);
    }
}
