using DiskAnn.Distance;

namespace DiskAnn.Graph;

/// <summary>The entry point (medoid) and the search seeds.</summary>
internal sealed partial class VamanaIndex
{
    private const int MaxSeeds = 1024;

    /// <summary>Moves the entry point to the medoid again when the index has doubled or shrunk by half since it was chosen.</summary>
    private void MaybeRecomputeEntry(bool force = false, int linkedCount = -1)
    {
        var live = linkedCount >= 0 ? linkedCount : LiveCount - PendingCount;
        if (!force && live <= 2 * _medoidBasis && 2 * live >= _medoidBasis && Entry >= 0)
        {
            return;
        }

        _medoidBasis = live;
        var linked = new List<int>(live);
        for (var slot = 0; slot < Nodes.SlotCount; slot++)
        {
            if (Nodes.State(slot) == NodeState.Linked)
            {
                linked.Add(slot);
            }
        }

        var entry = linked.Count == 0 ? -1 : Medoid(linked.ToArray());
        Entry = entry;
        Seeds = entry < 0 ? [] : ChooseSeeds(linked, entry);
        HeaderDirty = true;
        Nodes.InvalidateLevels(); // new roots: levels are depths from them

    }

    /// <summary>Farthest-first traversal of a sample of the linked nodes, starting from the medoid.</summary>
    private int[] ChooseSeeds(List<int> linked, int medoid)
    {
        // sqrt(N)/2 seeds: 64 at 16k rows, 500 at 1M. A query pays one distance per seed (to the int8 codes:
        // about 10-30 ns each), a small price next to crossing the graph between separated clusters.
        var count = Math.Clamp((int)Math.Sqrt(linked.Count) / 2, 1, MaxSeeds);
        var random = new Random(linked.Count);
        var sampleSize = Math.Max(4096, 8 * count);
        var sample = linked.Count <= sampleSize ? linked.ToArray() : Enumerable.Range(0, sampleSize).Select(_ => linked[random.Next(linked.Count)]).ToArray();
        var nearest = new float[sample.Length];
        var seeds = new List<int>(count) { medoid };
        for (var i = 0; i < sample.Length; i++)
        {
            nearest[i] = Distance(medoid, sample[i]);
        }

        while (seeds.Count < count)
        {
            var far = 0;
            for (var i = 1; i < sample.Length; i++)
            {
                if (nearest[i] > nearest[far])
                {
                    far = i;
                }
            }

            if (nearest[far] <= 0)
            {
                break; // every sampled node is a seed or a duplicate of one
            }

            var seed = sample[far];
            seeds.Add(seed);
            for (var i = 0; i < sample.Length; i++)
            {
                nearest[i] = Math.Min(nearest[i], Distance(seed, sample[i]));
            }
        }

        return [.. seeds];
    }

    /// <summary>The slot nearest the centroid of <paramref name="slots"/>.</summary>
    private int Medoid(int[] slots)
    {
        var dimension = Options.Dimension;
        var centroid = new float[dimension];
        var sum = new double[dimension];
        var v = new float[dimension];
        foreach (var slot in slots)
        {
            Nodes.Decode(slot, v);
            var scale = Options.Metric == DiskAnnMetric.Cosine ? Nodes.InverseNorm(slot) : 1f;
            for (var i = 0; i < dimension; i++)
            {
                sum[i] += v[i] * scale;
            }
        }

        for (var i = 0; i < dimension; i++)
        {
            centroid[i] = (float)(sum[i] / slots.Length);
        }

        var inverse = Options.Metric == DiskAnnMetric.Cosine ? VectorMath.InverseNorm(centroid) : 0f;
        var best = slots[0];
        var bestDistance = float.PositiveInfinity;
        var metric = Options.Metric == DiskAnnMetric.Dot ? DiskAnnMetric.L2 : Options.Metric;
        foreach (var slot in slots)
        {
            Nodes.Decode(slot, v);
            var d = VectorMath.Distance(metric, centroid, inverse, v, Nodes.InverseNorm(slot));
            if (d < bestDistance)
            {
                bestDistance = d;
                best = slot;
            }
        }

        return best;
    }
}
