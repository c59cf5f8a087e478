using FlexiDiT.Prompts;

namespace FlexiDiT.Tests.Prompts;

/// <summary>Free-text prompts map forgivingly to exactly one class, or fail saying why.</summary>
public sealed class ClassPromptMatcherTests
{
    private static readonly string[] Colours = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "white"];
    private static readonly string[] Shapes = ["circle", "square", "triangle", "cross", "ring"];

    /// <summary>The 40 classes of the Shapes data set: colour × shape, colour-major.</summary>
    private static readonly ClassPromptMatcher ShapesMatcher =
        new(ClassVocabulary.FromNames(Colours.SelectMany(c => Shapes.Select(s => $"{c} {s}"))));

    private static int ShapeIndex(string colour, string shape) => Array.IndexOf(Colours, colour) * Shapes.Length + Array.IndexOf(Shapes, shape);

    [Theory]
    [InlineData("a red circle please", "red", "circle", "red circle")]
    [InlineData("A RED CIRCLE!!!", "red", "circle", "RED CIRCLE")]
    [InlineData("red-circle", "red", "circle", "red-circle")]
    [InlineData("three red circles, please", "red", "circle", "red circles")]
    [InlineData("  Purple   Triangles.  ", "purple", "triangle", "Purple   Triangles")]
    [InlineData("draw me a white ring on black", "white", "ring", "white ring")]
    [InlineData("crosses: green ones (green crosses)", "green", "cross", "green crosses")]
    public void Case_punctuation_plurals_and_extra_words_do_not_matter(string prompt, string colour, string shape, string matched)
    {
        var match = ShapesMatcher.Match(prompt);
        Assert.Equal(ShapeIndex(colour, shape), match.ClassIndex);
        Assert.Equal($"{colour} {shape}", match.Name);
        Assert.Equal(1.0, match.Score);
        Assert.Equal(matched, match.MatchedText);
    }

    [Theory]
    [InlineData("a red cirle", "red", "circle")]
    [InlineData("a yelow squre", "yellow", "square")]
    [InlineData("purple trinagle please", "purple", "triangle")]
    public void Small_typos_match_fuzzily_with_a_score_below_one(string prompt, string colour, string shape)
    {
        var match = ShapesMatcher.Match(prompt);
        Assert.Equal(ShapeIndex(colour, shape), match.ClassIndex);
        Assert.InRange(match.Score, ShapesMatcher.FuzzyThreshold, 0.999);
    }

    [Fact]
    public void Two_classes_named_equally_well_are_ambiguous()
    {
        var e = Assert.Throws<AmbiguousClassException>(() => ShapesMatcher.Match("a red circle and a blue square"));
        Assert.Equal(new[] { ShapeIndex("red", "circle"), ShapeIndex("blue", "square") }, e.Candidates.Select(c => c.ClassIndex));
        Assert.Contains("\"red circle\"", e.Message);
        Assert.Contains("\"blue square\"", e.Message);
        Assert.IsAssignableFrom<ArgumentException>(e);
        Assert.False(ShapesMatcher.TryMatch("a red circle and a blue square", out _));
    }

    [Fact]
    public void An_unknown_prompt_lists_the_closest_names_and_for_a_small_vocabulary_all_of_them()
    {
        var e = Assert.Throws<UnknownClassException>(() => ShapesMatcher.Match("a purple elephant"));
        Assert.Equal(5, e.Closest.Count);
        Assert.All(e.Closest, c => Assert.StartsWith("purple ", c.Name));
        Assert.Contains("Closest: \"purple ", e.Message);
        Assert.Contains("Known classes: red circle, red square,", e.Message);
        Assert.Contains("white ring.", e.Message);
        Assert.IsAssignableFrom<ArgumentException>(e);
        Assert.False(ShapesMatcher.TryMatch("a purple elephant", out var none));
        Assert.Null(none);
        Assert.Contains("empty", Assert.Throws<UnknownClassException>(() => ShapesMatcher.Match(" ?! ")).Message);
    }

    [Fact]
    public void The_ImageNet_list_has_1000_classes_in_label_order()
    {
        var classes = ClassVocabulary.ImageNet;
        Assert.Equal(1000, classes.Count);
        Assert.Equal(Enumerable.Range(0, 1000), classes.Select(c => c.Index));
        Assert.Equal("tench", classes[0].Name);
        Assert.Equal(new[] { "Tinca tinca" }, classes[0].Synonyms);
        Assert.Equal("goldfish", classes[1].Name);
        Assert.Equal("golden retriever", classes[207].Name);
        Assert.Equal(new[] { "tabby cat" }, classes[281].Synonyms);
        Assert.Equal("toilet tissue", classes[999].Name);
        Assert.Contains("toilet paper", classes[999].Synonyms);
    }

    [Theory]
    [InlineData("a golden retriever on the beach", 207, "golden retriever")]
    [InlineData("Golden Retrievers playing", 207, "Golden Retrievers")]
    [InlineData("a goldenretriever", 207, "goldenretriever")]
    [InlineData("a fluffy tabby cat", 281, "tabby cat")]
    [InlineData("gold fish in a bowl", 1, "gold fish")]
    [InlineData("a sea lion", 150, "sea lion")]
    [InlineData("tiger shark", 3, "tiger shark")]
    [InlineData("a great white shark", 2, "great white shark")]
    [InlineData("a roll of toilet paper", 999, "toilet paper")]
    [InlineData("sunglasses", 837, "sunglasses")]
    [InlineData("a crème brûlée... no, an espresso", 967, "espresso")]
    [InlineData("207", 207, "207")]
    public void ImageNet_prompts_find_the_most_specific_class(string prompt, int index, string matched)
    {
        var match = ClassPromptMatcher.ImageNet.Match(prompt);
        Assert.Equal(index, match.ClassIndex);
        Assert.Equal(matched, match.MatchedText);
    }

    [Fact]
    public void ImageNet_typos_and_duplicate_names()
    {
        var typo = ClassPromptMatcher.ImageNet.Match("a golden retreiver on the beach");
        Assert.Equal(207, typo.ClassIndex);
        Assert.True(typo.Score < 1);
        // "crane" is both a bird (134) and a machine (517) in ImageNet.
        var crane = Assert.Throws<AmbiguousClassException>(() => ClassPromptMatcher.ImageNet.Match("a crane"));
        Assert.Equal(new[] { 134, 517 }, crane.Candidates.Select(c => c.ClassIndex).Order());
        var unknown = Assert.Throws<UnknownClassException>(() => ClassPromptMatcher.ImageNet.Match("a quantum flux capacitor"));
        Assert.Equal(5, unknown.Closest.Count);
        Assert.DoesNotContain("Known classes", unknown.Message);
    }

    [Theory]
    [InlineData("a golden retriever on the beach", 207)]
    [InlineData("a fluffy tabby cat sleeping on a sofa in the sun", 281)]
    [InlineData("an espresso", 967)]
    [InlineData("a red fox in the snow", 277)]
    [InlineData("a golden retreiver", 207)]
    [InlineData("photo of a lighthouse at dusk", 437)]
    [InlineData("a shiny red sports car", 817)]
    public void Sentences_find_their_class_among_1000(string prompt, int classIndex)
    {
        // Its speed is a benchmark's business, not a unit test's (a busy test host makes any bound flaky).
        Assert.True(ClassPromptMatcher.ImageNet.TryMatch(prompt, out var match), $"no class for '{prompt}'");
        Assert.Equal(classIndex, match.ClassIndex);
    }

    [Fact]
    public void Duplicate_class_indices_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new ClassPromptMatcher([new ClassEntry(1, "a", []), new ClassEntry(1, "b", [])]));
        Assert.Contains("index 1 appears twice", e.Message);
    }
}
