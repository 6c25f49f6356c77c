using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace DiskAnn.Sample;

/// <summary>
/// <c>--prepare &lt;debian-minilm folder&gt; [output file]</c>: makes the compact data file shipped with the sample
/// from the full debian-minilm data set (texts.tsv + vectors.fvecs), then checks it.
/// </summary>
public static partial class Prepare
{
    public const int TargetCount = 10_000;

    /// <summary>Packages the default queries are about: always kept.</summary>
    private static readonly string[] MustKeep =
    [
        "ripgrep", "grep", "sed", "gawk", "fzf", "fd-find", "bat", "jq", "tree", "ncdu", "htop", "btop", "tmux", "screen",
        "bash", "zsh", "fish", "vim", "neovim", "nano", "emacs", "git", "make", "gcc", "python3", "nodejs", "sqlite3",
        "curl", "wget", "rsync", "openssh-client", "openssh-server", "nmap", "wireshark", "tcpdump", "wireguard",
        "nginx", "apache2", "lighttpd", "postgresql", "redis-server", "docker.io", "podman", "ansible",
        "optipng", "jpegoptim", "pngquant", "imagemagick", "gimp", "inkscape", "blender", "darktable",
        "ffmpeg", "vlc", "mpv", "cmus", "audacity", "obs-studio", "firefox-esr", "thunderbird", "libreoffice",
        "qpdf", "pdftk", "gzip", "zstd", "xz-utils", "pigz", "p7zip-full", "keepassxc", "pass", "borgbackup", "restic",
    ];

    // Libraries, language modules, translations, documentation, debug and data packages: thousands of them,
    // with near-identical descriptions. The sample keeps the programs, which make better answers.
    [GeneratedRegex("^(lib|python3?-|golang-|node-|r-cran-|r-bioc-|ruby|php|haskell-|elpa-|texlive-|fonts-|gir1|linux-|firmware-|hunspell-|myspell-|aspell-|hyphen-|mythes-|task-|xfonts-|ocaml|jruby|octave-|coq-|lua-|gnome-shell-extension|plasma-|kde|trinity|cl-|sbcl|vim-|emacs|gstreamer|qml|qt6-|qt5|qtbase|xserver-xorg-|manpages-|tryton-|puppet-module|pypy)")]
    private static partial Regex ExcludedPrefix();

    [GeneratedRegex("(-dev|-doc|-data|-common|-dbg|-dbgsym|-perl|-java|-tests?|-l10n|-locales?|-locale-.*|-examples|-dkms|-source|-src|-headers|-plugins?|-plugin-.*|-utils-.*)$")]
    private static partial Regex ExcludedSuffix();

    public static int Run(string sharedFolder, string output)
    {
        var texts = Path.Combine(sharedFolder, "texts.tsv");
        var fvecs = Path.Combine(sharedFolder, "vectors.fvecs");
        if (!File.Exists(texts) || !File.Exists(fvecs))
        {
            Console.Error.WriteLine($"{sharedFolder} should hold texts.tsv and vectors.fvecs (the debian-minilm data set).");
            return 2;
        }

        var sw = Stopwatch.StartNew();
        var rows = File.ReadLines(texts).Select(line => line.Split('\t')).Select(f => (Id: int.Parse(f[0]), Name: f[1], Text: f[2])).ToList();
        var vectors = ReadFvecs(fvecs);
        if (vectors.Count != rows.Count) throw new InvalidDataException($"{rows.Count} texts but {vectors.Count} vectors.");
        Console.WriteLine($"read {rows.Count:N0} packages and vectors in {sw.Elapsed.TotalSeconds:F1} s");

        // Keep programs, then spread the selection evenly over the alphabet, always keeping MustKeep.
        var candidates = rows.Where(r => !ExcludedPrefix().IsMatch(r.Name) && !ExcludedSuffix().IsMatch(r.Name)).ToList();
        var must = MustKeep.ToHashSet();
        var kept = rows.Where(r => must.Contains(r.Name)).Select(r => r.Id).ToHashSet();
        var others = candidates.Where(r => !kept.Contains(r.Id)).ToList();
        var wanted = Math.Min(TargetCount - kept.Count, others.Count);
        for (var i = 0; i < wanted; i++) kept.Add(others[(int)((long)i * others.Count / wanted)].Id);
        var selected = rows.Where(r => kept.Contains(r.Id))
            .Select(r => new PackageRecord(r.Id, r.Name, r.Text, vectors[r.Id - 1]))
            .ToList();
        Console.WriteLine($"{candidates.Count:N0} programs among them; keeping {selected.Count:N0}");

        PackageData.Write(output, selected);
        Console.WriteLine($"wrote {output}: {new FileInfo(output).Length / 1024.0 / 1024.0:F2} MB");

        // Check: what comes back equals what went in, up to int8 quantisation.
        var back = PackageData.Read(output);
        var worst = 1.0;
        var mean = 0.0;
        for (var i = 0; i < back.Count; i++)
        {
            if (back[i].Id != selected[i].Id || back[i].Name != selected[i].Name || back[i].Description != selected[i].Description)
            {
                throw new InvalidDataException($"row {i} did not round-trip");
            }

            var c = Cosine(back[i].Embedding, selected[i].Embedding);
            worst = Math.Min(worst, c);
            mean += c;
        }

        Console.WriteLine($"int8 round trip: cosine(original, shipped) mean {mean / back.Count:F6}, worst {worst:F6}");

        // Check: the embedder the sample uses at run time gives the data set's vectors for the same texts.
        using var embedder = Embedder.Load();
        Console.WriteLine($"loaded all-MiniLM-L6-v2 in {embedder.LoadTime.TotalSeconds:F1} s");
        var probe = Enumerable.Range(0, 200).Select(i => rows[(int)((long)i * rows.Count / 200)]).ToList();
        worst = 1.0;
        mean = 0.0;
        var maxAbs = 0f;
        sw.Restart();
        foreach (var r in probe)
        {
            var e = embedder.Embed(r.Text);
            var c = Cosine(e, vectors[r.Id - 1]);
            worst = Math.Min(worst, c);
            mean += c;
            for (var d = 0; d < e.Length; d++) maxAbs = MathF.Max(maxAbs, MathF.Abs(e[d] - vectors[r.Id - 1][d]));
        }

        Console.WriteLine($"re-embedded {probe.Count} texts ({sw.Elapsed.TotalMilliseconds / probe.Count:F1} ms each): cosine(run time, data set) mean {mean / probe.Count:F7}, worst {worst:F7}, max |difference| {maxAbs:G3}");
        return worst > 0.999 ? 0 : 1;
    }

    private static List<float[]> ReadFvecs(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var result = new List<float[]>();
        for (var offset = 0; offset < bytes.Length;)
        {
            var dimension = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset));
            offset += 4;
            var v = new float[dimension];
            for (var d = 0; d < dimension; d++, offset += 4) v[d] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(offset));
            result.Add(v);
        }

        return result;
    }

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
