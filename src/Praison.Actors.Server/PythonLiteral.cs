using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Praison.Actors.Server;

/// <summary>
/// A strict reader of Python literals as <c>repr()</c> writes them — dict, list, tuple, str, int, float, True, False,
/// None — into JSON, because PraisonAI's <c>submit_job</c> sends <c>prompt = str(input)</c>, e.g.
/// <c>"{'name': 'Ada', 'n': 3, 'ok': True, 'x': None}"</c>. Anything else (expressions, sets, bytes, non-string dict
/// keys, nan/inf, trailing text) is not a literal: <see cref="TryParse"/> answers false and the text stays a string.
/// </summary>
internal static class PythonLiteral
{
    private const int MaxDepth = 64;

    /// <summary>The JSON value of <paramref name="text"/>, or false when it is not exactly one Python literal.</summary>
    public static bool TryParse(string text, out JsonNode? value)
    {
        var reader = new Reader(text);
        try
        {
            value = reader.Value(0);
            reader.SkipSpace();
            if (!reader.AtEnd) throw new FormatException("trailing text");
            return true;
        }
        catch (FormatException)
        {
            value = null;
            return false;
        }
    }

    private sealed class Reader(string s)
    {
        private int _i;

        public bool AtEnd => _i >= s.Length;

        public void SkipSpace()
        {
            while (_i < s.Length && s[_i] is ' ' or '\t' or '\r' or '\n') _i++;
        }

        private char Peek() => _i < s.Length ? s[_i] : throw new FormatException("unexpected end");

        private void Expect(char c)
        {
            SkipSpace();
            if (Peek() != c) throw new FormatException($"expected '{c}'");
            _i++;
        }

        public JsonNode? Value(int depth)
        {
            if (depth > MaxDepth) throw new FormatException("too deep");
            SkipSpace();
            var c = Peek();
            switch (c)
            {
                case '{':
                    return Dict(depth);
                case '[':
                    return Sequence(']', depth);
                case '(':
                    return Sequence(')', depth);
                case '\'' or '"':
                    return JsonValue.Create(Str());
                case '-' or '+' or '.' or (>= '0' and <= '9'):
                    return Number();
                default:
                    var word = Word();
                    return word switch
                    {
                        "True" => JsonValue.Create(true),
                        "False" => JsonValue.Create(false),
                        "None" => null,
                        _ => throw new FormatException("not a literal"),
                    };
            }
        }

        private JsonObject Dict(int depth)
        {
            _i++; // {
            var obj = new JsonObject();
            SkipSpace();
            if (Peek() == '}') { _i++; return obj; }
            while (true)
            {
                SkipSpace();
                if (Peek() is not ('\'' or '"')) throw new FormatException("dict keys must be strings");
                var key = Str();
                Expect(':');
                obj[key] = Value(depth + 1); // a repeated key keeps the last value, as in Python
                SkipSpace();
                var next = Peek();
                _i++;
                if (next == '}') return obj;
                if (next != ',') throw new FormatException("expected ',' or '}'");
                SkipSpace();
                if (Peek() == '}') { _i++; return obj; }
            }
        }

        private JsonArray Sequence(char close, int depth)
        {
            _i++;
            var array = new JsonArray();
            SkipSpace();
            if (Peek() == close) { _i++; return array; }
            while (true)
            {
                array.Add(Value(depth + 1));
                SkipSpace();
                var next = Peek();
                _i++;
                if (next == close) return array;
                if (next != ',') throw new FormatException("expected ','");
                SkipSpace();
                if (Peek() == close) { _i++; return array; }
            }
        }

        private string Word()
        {
            var start = _i;
            while (_i < s.Length && char.IsAsciiLetter(s[_i])) _i++;
            return s[start.._i];
        }

        private JsonNode Number()
        {
            var start = _i;
            if (s[_i] is '-' or '+') _i++;
            while (_i < s.Length && (char.IsAsciiDigit(s[_i]) || s[_i] is '.' or 'e' or 'E' or '_'
                   || (s[_i] is '-' or '+' && s[_i - 1] is 'e' or 'E'))) _i++;
            var text = s[start.._i];
            if (text.Contains('_')) throw new FormatException("digit separators are not written by repr");
            if (!text.Contains('.') && !text.Contains('e') && !text.Contains('E'))
            {
                var digits = text.TrimStart('-', '+');
                if (digits.Length == 0 || (digits.Length > 1 && digits[0] == '0')) throw new FormatException("bad int");
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
                // Python ints are unbounded; JSON numbers are too: keep every digit.
                if (System.Numerics.BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                    return JsonNode.Parse(text.TrimStart('+'))!;
                throw new FormatException("bad int");
            }
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                return JsonValue.Create(d);
            throw new FormatException("bad float");
        }

        private string Str()
        {
            var quote = s[_i];
            // Triple-quoted strings are not what repr writes.
            if (_i + 2 < s.Length && s[_i + 1] == quote && s[_i + 2] == quote) throw new FormatException("triple quotes");
            _i++;
            var sb = new StringBuilder();
            while (true)
            {
                var c = Peek();
                _i++;
                if (c == quote) return sb.ToString();
                if (c is '\n' or '\r') throw new FormatException("newline in string");
                if (c != '\\') { sb.Append(c); continue; }
                var e = Peek();
                _i++;
                switch (e)
                {
                    case '\\': sb.Append('\\'); break;
                    case '\'': sb.Append('\''); break;
                    case '"': sb.Append('"'); break;
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case '0': sb.Append('\0'); break;
                    case 'a': sb.Append('\a'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'v': sb.Append('\v'); break;
                    case 'x': sb.Append(CodePoint(2)); break;
                    case 'u': sb.Append(CodePoint(4)); break;
                    case 'U': sb.Append(CodePoint(8)); break;
                    default: throw new FormatException("unknown escape");
                }
            }
        }

        private string CodePoint(int digits)
        {
            if (_i + digits > s.Length
                || !int.TryParse(s.AsSpan(_i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var cp)
                || cp > 0x10FFFF || cp is >= 0xD800 and <= 0xDFFF)
                throw new FormatException("bad escape");
            _i += digits;
            return char.ConvertFromUtf32(cp);
        }
    }
}
