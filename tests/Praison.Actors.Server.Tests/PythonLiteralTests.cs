using System.Text.Json;
using System.Text.Json.Nodes;

namespace Praison.Actors.Server.Tests;

/// <summary>The strict reader of Python reprs that turns PraisonAI's <c>str(input)</c> prompts into JSON.</summary>
public sealed class PythonLiteralTests
{
    [Theory]
    [InlineData("{'name': 'Ada', 'n': 3, 'ok': True, 'x': None}", """{"name":"Ada","n":3,"ok":true,"x":null}""")]
    [InlineData("{}", "{}")]
    [InlineData("{'a': [1, 2.5, -3, 1e-05], 'b': (1,), 'c': {'d': False}}", """{"a":[1,2.5,-3,1E-05],"b":[1],"c":{"d":false}}""")]
    [InlineData("{\"it's\": 'say \"hi\"', 'esc': 'a\\nb\\\\c\\x41\\u00e9'}", """{"it's":"say \u0022hi\u0022","esc":"a\nb\\cA\u00E9"}""")]
    [InlineData("{'big': 123456789012345678901234567890}", """{"big":123456789012345678901234567890}""")]
    [InlineData("{'trailing': 1,}", """{"trailing":1}""")]
    [InlineData("  [ 'x' , None ]  ", """["x",null]""")]
    public void Reprs_of_dicts_lists_and_scalars_read_as_json(string text, string json)
    {
        Assert.True(PythonLiteral.TryParse(text, out var value));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), value), $"{value?.ToJsonString()} is not {json}");
    }

    [Theory]
    [InlineData("{'a': 1")]
    [InlineData("{'a': 1} extra")]
    [InlineData("{1: 'int key'}")]
    [InlineData("{'a': nan}")]
    [InlineData("{'a': float('inf')}")]
    [InlineData("{'a': {1, 2}}")]
    [InlineData("{'a': b'bytes'}")]
    [InlineData("{'a': true}")]
    [InlineData("{'a': 01}")]
    [InlineData("{'a': '\\q'}")]
    [InlineData("{'a': 1_000}")]
    [InlineData("{'a': '''x'''}")]
    [InlineData("{'a': 'unterminated}")]
    [InlineData("")]
    [InlineData("hello world")]
    public void Anything_else_is_not_a_literal(string text)
    {
        Assert.False(PythonLiteral.TryParse(text, out var value));
        Assert.Null(value);
    }

    [Fact]
    public void Nesting_past_64_levels_is_refused_not_a_stack_overflow()
    {
        Assert.False(PythonLiteral.TryParse(new string('[', 10_000) + new string(']', 10_000), out _));
        Assert.True(PythonLiteral.TryParse(new string('[', 60) + new string(']', 60), out _));
    }
}

/// <summary>The recipe input, config and job id a submission makes.</summary>
public sealed class JobSubmitRequestTests
{
    private static JobSubmitRequest Parse(string json, string? header = null)
    {
        var request = JobSubmitRequest.Parse(JsonDocument.Parse(json).RootElement, header, out var problems);
        Assert.Empty(problems);
        return request;
    }

    [Theory]
    [InlineData("plain", """{"prompt":"plain"}""")]
    [InlineData("{'name': 'Ada'}", """{"name":"Ada","prompt":"{'name': 'Ada'}"}""")]
    [InlineData("{\"name\": \"Ada\", \"prompt\": \"inner\"}", """{"name":"Ada","prompt":"{\u0022name\u0022: \u0022Ada\u0022, \u0022prompt\u0022: \u0022inner\u0022}"}""")]
    [InlineData("{'name': }", """{"prompt":"{'name': }"}""")]
    [InlineData("['a list']", """{"prompt":"['a list']"}""")]
    public void The_input_is_prompt_plus_the_properties_of_a_dict_prompt(string prompt, string expected)
    {
        var request = Parse(JsonSerializer.Serialize(new { prompt, recipe_name = "r" }));
        var actual = request.RecipeInput().GetRawText();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"{actual} is not {expected}");
    }

    [Fact]
    public void Keyed_ids_are_deterministic_24_hex_and_differ_by_scope_and_session()
    {
        string? Id(string json, string? header = null) => Parse(json, header).IdempotentJobId();
        var a = Id("""{"prompt":"x","recipe_name":"r","idempotency_key":"k"}""");
        Assert.Matches("^run_[0-9a-f]{24}$", a!);
        Assert.Equal(a, Id("""{"prompt":"y","recipe_name":"r"}""", header: "k"));
        Assert.Equal(a, Id("""{"prompt":"x","recipe_name":"r","idempotency_key":"k","idempotency_scope":"global","session_id":"s"}"""));
        var s = Id("""{"prompt":"x","recipe_name":"r","idempotency_key":"k","idempotency_scope":"session","session_id":"s"}""");
        Assert.NotEqual(a, s);
        Assert.NotEqual(s, Id("""{"prompt":"x","recipe_name":"r","idempotency_key":"k","idempotency_scope":"session","session_id":"t"}"""));
        Assert.Null(Id("""{"prompt":"x","recipe_name":"r","idempotency_key":"k","idempotency_scope":"none"}"""));
        Assert.Null(Id("""{"prompt":"x","recipe_name":"r"}"""));
    }

    [Fact]
    public void Webhook_url_is_accepted_and_kept()
    {
        var request = Parse("""{"prompt":"x","recipe_name":"r","webhook_url":"https://example.com/hook"}""");
        Assert.Equal("https://example.com/hook", request.WebhookUrl);
    }
}
