// Expected outputs were rendered by Django 3.2 (/usr/bin/python3, USE_TZ=True) for the same
// templates and contexts, except where the comment says Django 5.2 (whose behaviour this engine
// follows where it changed since 3.2).
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderToString } from "../../src/render/html.js";
import { UNCHANGED } from "../../src/render/tree.js";
import { fragmentCaches } from "../../src/template/fragment-cache.js";
import { compileTemplate } from "../../src/template/compiler.js";
import { TemplateLoader, markSafe } from "../../src/template/index.js";
import { parseTemplate } from "../../src/template/parser.js";

const loader = new TemplateLoader({ dirs: [] });

// Context markers shared with the Django side: {$date: iso} is an aware datetime, {$safe: s} a
// SafeString, {$float: n} a Python float.
function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if ("$date" in o) return new Date(o.$date as string);
    if ("$safe" in o) return markSafe(o.$safe as string);
    if ("$float" in o) return o.$float;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

const render = (source: string, context: unknown, timeZone?: string) =>
  renderToString(
    compileTemplate(parseTemplate(source, "t"), {
      load: () => {
        throw new Error("no includes here");
      },
      urlFor: undefined,
      loopMemo: false,
      fragmentCaches: fragmentCaches(),
      timeZone,
    }).render(decode(context) as Record<string, unknown>),
  );

const cases: readonly (readonly [string, unknown, string])[] = [
  [
    "{{ v }}|{{ v|upper }}|{{ v|default_if_none:'-' }}|{% if v|lower %}T{% endif %}|{% if missing|lower %}M{% endif %}|[{{ missing|upper }}]",
    {
      v: null,
    },
    "None|NONE|-|T|M|[]",
  ],
  [
    "{{ xs }}|{{ xs|join:',' }}|{{ tiny|stringformat:'s' }}",
    {
      xs: [
        {
          $float: 0.000025,
        },
        {
          $float: 1e-7,
        },
        {
          $float: 1.5,
        },
        "a b",
      ],
      tiny: {
        $float: 1e-7,
      },
    },
    "[2.5e-05, 1e-07, 1.5, &#x27;a\\xa0b&#x27;]|2.5e-05,1e-07,1.5,a b|1e-07",
  ],
  [
    "{{ h|first }}|{{ h|last }}|{{ h|add:'!' }}|{{ h|add:u }}|{{ v|json_script:'<id>' }}|{{ v|json_script:u }}",
    {
      h: {
        $safe: "<b>",
      },
      u: "<i>",
      v: 1,
    },
    '&lt;|>|<b>!|&lt;b&gt;&lt;i&gt;|<script id="<id>" type="application/json">1</script>|<script id="&lt;i&gt;" type="application/json">1</script>',
  ],
  [
    "[{{ missing|dictsort:'a' }}][{{ xs|dictsortreversed:'a' }}][{{ ys|dictsort:0 }}][{{ ys|dictsort:'0' }}]",
    {
      xs: [
        {
          a: 2,
          n: "x",
        },
        {
          a: 1,
          n: "y",
        },
        {
          a: 2,
          n: "z",
        },
      ],
      ys: [
        [2, "b"],
        [1, "a"],
      ],
    },
    "[[]][[{&#x27;a&#x27;: 2, &#x27;n&#x27;: &#x27;x&#x27;}, {&#x27;a&#x27;: 2, &#x27;n&#x27;: &#x27;z&#x27;}, {&#x27;a&#x27;: 1, &#x27;n&#x27;: &#x27;y&#x27;}]][[[1, &#x27;a&#x27;], [2, &#x27;b&#x27;]]][]",
  ],
  [
    "[{{ s|center:11 }}][{{ 'ab'|center:5 }}][{{ s|ljust:8 }}][{{ s|rjust:8 }}][{{ s|center:2 }}]",
    {
      s: "Django",
    },
    "[   Django  ][  ab ][Django  ][  Django][Django]",
  ],
  [
    "{{ w|wordcount }}|{{ 123|make_list }}|{{ s|make_list }}|{{ ' Joel is a slug_'|slugify }}|{{ 'Déjà Vu -- x__y'|slugify }}",
    {
      w: "a  b\tc\nd",
      s: "ab",
    },
    "4|[&#x27;1&#x27;, &#x27;2&#x27;, &#x27;3&#x27;]|[&#x27;a&#x27;, &#x27;b&#x27;]|joel-is-a-slug|deja-vu-x__y",
  ],
  [
    "{% for b in sizes %}{{ b|filesizeformat }};{% endfor %}{{ 'x'|filesizeformat }}",
    {
      sizes: [
        0, 1, 1023, 1024, 1536, 10240, 1048576, 1073741824, 1099511627776, 1125899906842624, -1024,
      ],
    },
    "0 bytes;1 byte;1023 bytes;1.0 KB;1.5 KB;10.0 KB;1.0 MB;1.0 GB;1.0 TB;1.0 PB;-1.0 KB;0 bytes",
  ],
  [
    "{{ v|escapejs }}|{{ v|addslashes }}",
    {
      v: "a'b\"c\\d<>&=-;`\n\t",
    },
    "a\\u0027b\\u0022c\\u005Cd\\u003C\\u003E\\u0026\\u003D\\u002D\\u003B\\u0060\\u000A\\u0009|a\\&#x27;b\\&quot;c\\\\d&lt;&gt;&amp;=-;`\n\t",
  ],
  [
    "{{ v|iriencode }}|{{ v|urlencode }}",
    {
      v: "/I ♥ Django/?a=1&b=2#f",
    },
    "/I%20%E2%99%A5%20Django/?a=1&amp;b=2#f|/I%20%E2%99%A5%20Django/%3Fa%3D1%26b%3D2%23f",
  ],
  [
    "{{ '1-800-COLLECT'|phone2numeric }}|{{ 123456789|get_digit:2 }}|{{ 123|get_digit:4 }}|{{ 123|get_digit:0 }}|{{ 'abc'|get_digit:1 }}",
    {},
    "1-800-2655328|8|0|123|abc",
  ],
  [
    "{{ v|unordered_list }}",
    {
      v: ["States", ["Kansas", ["Lawrence", "Topeka"], "Illinois"]],
    },
    "\t<li>States\n\t<ul>\n\t\t<li>Kansas\n\t\t<ul>\n\t\t\t<li>Lawrence</li>\n\t\t\t<li>Topeka</li>\n\t\t</ul>\n\t\t</li>\n\t\t<li>Illinois</li>\n\t</ul>\n\t</li>",
  ],
  [
    "{% autoescape off %}{{ v|unordered_list }}{% endautoescape %}",
    {
      v: ["<a>", ["b"]],
    },
    "\t<li><a>\n\t<ul>\n\t\t<li>b</li>\n\t</ul>\n\t</li>",
  ],
  [
    "{{ v|wordwrap:5 }}",
    {
      v: "Joel is a slug",
    },
    "Joel\nis a\nslug",
  ],
  [
    "{{ v|wordwrap:10 }}",
    {
      v: "this is a long paragraph of text that really needs\nto be wrapped\n\n  indented   words  ",
    },
    "this is a\nlong\nparagraph\nof text\nthat\nreally\nneeds\nto be\nwrapped\n  indented\nwords",
  ],
  [
    "{{ v|linenumbers }}",
    {
      v: "a\nb<\nc\nd\ne\nf\ng\nh\ni\nj",
    },
    "01. a\n02. b&lt;\n03. c\n04. d\n05. e\n06. f\n07. g\n08. h\n09. i\n10. j",
  ],
  [
    "{{ v|linebreaks }}|{{ h|linebreaks }}",
    {
      v: "a\nb\n\nc<\r\n\r\n\r\nd",
      h: {
        $safe: "<b>x\ny</b>",
      },
    },
    "<p>a<br>b</p>\n\n<p>c&lt;</p>\n\n<p>d</p>|<p><b>x<br>y</b></p>",
  ],
  [
    "{{ u|force_escape }}|{{ h|force_escape }}|{{ h|escape }}|{{ xs|safeseq|join:', ' }}|{{ xs|join:', ' }}",
    {
      u: "<i>",
      h: {
        $safe: "<b>",
      },
      xs: ["<a>", "&"],
    },
    "&lt;i&gt;|&lt;b&gt;|<b>|<a>, &|&lt;a&gt;, &amp;",
  ],
  [
    "{{ v|truncatechars_html:4 }}|{{ v|truncatechars_html:10 }}|{{ v|truncatewords_html:1 }}|{{ v|truncatewords_html:2 }}|{{ v|truncatewords_html:0 }}",
    {
      v: "<p>one <a href='#'>two - three <br>four</a> five</p>",
    },
    "&lt;p&gt;one…&lt;/p&gt;|&lt;p&gt;one &lt;a href=&#x27;#&#x27;&gt;two -…&lt;/a&gt;&lt;/p&gt;|&lt;p&gt;one …&lt;/p&gt;|&lt;p&gt;one &lt;a href=&#x27;#&#x27;&gt;two …&lt;/a&gt;&lt;/p&gt;|",
  ],
  [
    "{{ v|urlize }}",
    {
      v: "Check www.djangoproject.com, (see https://x.org/path) or mail me@example.com. <b>",
    },
    'Check <a href="http://www.djangoproject.com" rel="nofollow">www.djangoproject.com</a>, (see <a href="https://x.org/path" rel="nofollow">https://x.org/path</a>) or mail <a href="mailto:me@example.com">me@example.com</a>. &lt;b&gt;',
  ],
  [
    "{{ v|urlizetrunc:15 }}",
    {
      v: "http://example.com/a/very/long/path?b=1&c=2.",
    },
    '<a href="http://example.com/a/very/long/path?b=1&amp;c=2" rel="nofollow">http://example…</a>.',
  ],
  [
    "{{ v|pprint }}",
    {
      v: {
        b: [
          1,
          2,
          {
            c: "d'",
          },
        ],
        a: null,
        t: true,
      },
    },
    "{&#x27;a&#x27;: None, &#x27;b&#x27;: [1, 2, {&#x27;c&#x27;: &quot;d&#x27;&quot;}], &#x27;t&#x27;: True}",
  ],
  [
    "{{ v|pprint }}",
    {
      v: [
        0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000, 13000, 14000,
        15000, 16000, 17000, 18000, 19000, 20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000,
        28000, 29000,
      ],
    },
    "[0,\n 1000,\n 2000,\n 3000,\n 4000,\n 5000,\n 6000,\n 7000,\n 8000,\n 9000,\n 10000,\n 11000,\n 12000,\n 13000,\n 14000,\n 15000,\n 16000,\n 17000,\n 18000,\n 19000,\n 20000,\n 21000,\n 22000,\n 23000,\n 24000,\n 25000,\n 26000,\n 27000,\n 28000,\n 29000]",
  ],
  [
    "{{ a|timesince:b }}|{{ b|timeuntil:a }}|{{ a|timeuntil:b }}|{{ a|timesince:c }}",
    {
      a: {
        $date: "2020-01-01T00:00:00Z",
      },
      b: {
        $date: "2020-01-02T03:04:00Z",
      },
      c: {
        $date: "2021-03-15T05:00:00Z",
      },
    },
    "1 day, 3 hours|1 day, 3 hours|0 minutes|1 year, 2 months",
  ],
  [
    "{{ d|date:'r' }}|{{ d|date:'DATE_FORMAT' }}|{{ d|date:'SHORT_DATETIME_FORMAT' }}|{{ d|date }}|{{ d|time }}|{{ d|date:'c' }}|{{ d|time:'Y' }}",
    {
      d: {
        $date: "2026-12-01T09:05:03Z",
      },
    },
    "Tue, 01 Dec 2026 09:05:03 +0000|Dec. 1, 2026|12/01/2026 9:05 a.m.|Dec. 1, 2026|9:05 a.m.|2026-12-01T09:05:03+00:00|",
  ],
];

test("filters render as Django renders them", async (t) => {
  for (const [source, context, expected] of cases) {
    await t.test(source, () => assert.equal(render(source, context), expected));
  }
});

// [template, instant, Europe/Paris, America/New_York]
const zoned: readonly (readonly [string, string, string, string])[] = [
  [
    '{{ d|date:"DATE_FORMAT" }}|{{ d|time:"DATE_FORMAT" }}',
    "2026-12-01T09:05:03Z",
    "Dec. 1, 2026|",
    "Dec. 1, 2026|",
  ],
  [
    '{{ d|date:"r" }}|{{ d|time:"r" }}',
    "2026-12-01T09:05:03Z",
    "Tue, 01 Dec 2026 10:05:03 +0100|",
    "Tue, 01 Dec 2026 04:05:03 -0500|",
  ],
  ['{{ d|date:"e" }}|{{ d|time:"e" }}', "2026-12-01T09:05:03Z", "CET|CET", "EST|EST"],
  ['{{ d|date:"T" }}|{{ d|time:"T" }}', "2026-12-01T09:05:03Z", "CET|CET", "EST|EST"],
  ['{{ d|date:"Z" }}|{{ d|time:"Z" }}', "2026-12-01T09:05:03Z", "3600|3600", "-18000|-18000"],
  ['{{ d|date:"I" }}|{{ d|time:"I" }}', "2026-12-01T09:05:03Z", "0|", "0|"],
  [
    '{{ d|date:"P" }}|{{ d|time:"P" }}',
    "2026-12-01T09:05:03Z",
    "10:05 a.m.|10:05 a.m.",
    "4:05 a.m.|4:05 a.m.",
  ],
  [
    '{{ d|date:"N j, Y H:i" }}|{{ d|time:"N j, Y H:i" }}',
    "2026-12-01T09:05:03Z",
    "Dec. 1, 2026 10:05|",
    "Dec. 1, 2026 04:05|",
  ],
  [
    '{{ d|date:"DATE_FORMAT" }}|{{ d|time:"DATE_FORMAT" }}',
    "2026-07-04T23:30:00.250Z",
    "July 5, 2026|",
    "July 4, 2026|",
  ],
  [
    '{{ d|date:"DATETIME_FORMAT" }}|{{ d|time:"DATETIME_FORMAT" }}',
    "2026-07-04T23:30:00.250Z",
    "July 5, 2026, 1:30 a.m.|",
    "July 4, 2026, 7:30 p.m.|",
  ],
  [
    '{{ d|date:"SHORT_DATETIME_FORMAT" }}|{{ d|time:"SHORT_DATETIME_FORMAT" }}',
    "2026-07-04T23:30:00.250Z",
    "07/05/2026 1:30 a.m.|",
    "07/04/2026 7:30 p.m.|",
  ],
  [
    '{{ d|date:"r" }}|{{ d|time:"r" }}',
    "2026-07-04T23:30:00.250Z",
    "Sun, 05 Jul 2026 01:30:00 +0200|",
    "Sat, 04 Jul 2026 19:30:00 -0400|",
  ],
  ['{{ d|date:"e" }}|{{ d|time:"e" }}', "2026-07-04T23:30:00.250Z", "CEST|CEST", "EDT|EDT"],
  ['{{ d|date:"T" }}|{{ d|time:"T" }}', "2026-07-04T23:30:00.250Z", "CEST|CEST", "EDT|EDT"],
  ['{{ d|date:"Z" }}|{{ d|time:"Z" }}', "2026-07-04T23:30:00.250Z", "7200|7200", "-14400|-14400"],
  ['{{ d|date:"I" }}|{{ d|time:"I" }}', "2026-07-04T23:30:00.250Z", "1|", "1|"],
  [
    '{{ d|date:"N j, Y H:i" }}|{{ d|time:"N j, Y H:i" }}',
    "2026-07-04T23:30:00.250Z",
    "July 5, 2026 01:30|",
    "July 4, 2026 19:30|",
  ],
  [
    '{{ d|date:"D, d M Y" }}|{{ d|time:"D, d M Y" }}',
    "2026-07-04T23:30:00.250Z",
    "Sun, 05 Jul 2026|",
    "Sat, 04 Jul 2026|",
  ],
  [
    '{{ d|date:"DATE_FORMAT" }}|{{ d|time:"DATE_FORMAT" }}',
    "2026-03-29T00:59:59Z",
    "March 29, 2026|",
    "March 28, 2026|",
  ],
  [
    '{{ d|date:"SHORT_DATETIME_FORMAT" }}|{{ d|time:"SHORT_DATETIME_FORMAT" }}',
    "2026-03-29T00:59:59Z",
    "03/29/2026 1:59 a.m.|",
    "03/28/2026 8:59 p.m.|",
  ],
  [
    '{{ d|date:"r" }}|{{ d|time:"r" }}',
    "2026-03-29T00:59:59Z",
    "Sun, 29 Mar 2026 01:59:59 +0100|",
    "Sat, 28 Mar 2026 20:59:59 -0400|",
  ],
  ['{{ d|date:"T" }}|{{ d|time:"T" }}', "2026-03-29T00:59:59Z", "CET|CET", "EDT|EDT"],
  ['{{ d|date:"Z" }}|{{ d|time:"Z" }}', "2026-03-29T00:59:59Z", "3600|3600", "-14400|-14400"],
  [
    '{{ d|date:"DATE_FORMAT" }}|{{ d|time:"DATE_FORMAT" }}',
    "2026-03-29T01:00:00Z",
    "March 29, 2026|",
    "March 28, 2026|",
  ],
  [
    '{{ d|date:"DATETIME_FORMAT" }}|{{ d|time:"DATETIME_FORMAT" }}',
    "2026-03-29T01:00:00Z",
    "March 29, 2026, 3 a.m.|",
    "March 28, 2026, 9 p.m.|",
  ],
  ['{{ d|date:"T" }}|{{ d|time:"T" }}', "2026-03-29T01:00:00Z", "CEST|CEST", "EDT|EDT"],
  ['{{ d|date:"Z" }}|{{ d|time:"Z" }}', "2026-03-29T01:00:00Z", "7200|7200", "-14400|-14400"],
  [
    '{{ d|date:"DATE_FORMAT" }}|{{ d|time:"DATE_FORMAT" }}',
    "2026-10-25T00:30:00Z",
    "Oct. 25, 2026|",
    "Oct. 24, 2026|",
  ],
  [
    '{{ d|date:"DATETIME_FORMAT" }}|{{ d|time:"DATETIME_FORMAT" }}',
    "2026-10-25T00:30:00Z",
    "Oct. 25, 2026, 2:30 a.m.|",
    "Oct. 24, 2026, 8:30 p.m.|",
  ],
  ['{{ d|date:"T" }}|{{ d|time:"T" }}', "2026-10-25T00:30:00Z", "CEST|CEST", "EDT|EDT"],
  ['{{ d|date:"Z" }}|{{ d|time:"Z" }}', "2026-10-25T00:30:00Z", "7200|7200", "-14400|-14400"],
  [
    '{{ d|date:"DATE_FORMAT" }}|{{ d|time:"DATE_FORMAT" }}',
    "2026-10-25T01:30:00Z",
    "Oct. 25, 2026|",
    "Oct. 24, 2026|",
  ],
  [
    '{{ d|date:"r" }}|{{ d|time:"r" }}',
    "2026-10-25T01:30:00Z",
    "Sun, 25 Oct 2026 02:30:00 +0100|",
    "Sat, 24 Oct 2026 21:30:00 -0400|",
  ],
  ['{{ d|date:"T" }}|{{ d|time:"T" }}', "2026-10-25T01:30:00Z", "CET|CET", "EDT|EDT"],
  [
    '{{ d|date:"DATE_FORMAT" }}|{{ d|time:"DATE_FORMAT" }}',
    "2027-01-01T04:00:00Z",
    "Jan. 1, 2027|",
    "Dec. 31, 2026|",
  ],
  [
    '{{ d|date:"DATETIME_FORMAT" }}|{{ d|time:"DATETIME_FORMAT" }}',
    "2027-01-01T04:00:00Z",
    "Jan. 1, 2027, 5 a.m.|",
    "Dec. 31, 2026, 11 p.m.|",
  ],
  ['{{ d|date:"T" }}|{{ d|time:"T" }}', "2027-01-01T04:00:00Z", "CET|CET", "EST|EST"],
  ['{{ d|date:"Z" }}|{{ d|time:"Z" }}', "2027-01-01T04:00:00Z", "3600|3600", "-18000|-18000"],
  [
    '{{ d|date:"DATE_FORMAT" }}|{{ d|time:"DATE_FORMAT" }}',
    "1999-12-31T23:59:59Z",
    "Jan. 1, 2000|",
    "Dec. 31, 1999|",
  ],
  [
    '{{ d|date:"DATETIME_FORMAT" }}|{{ d|time:"DATETIME_FORMAT" }}',
    "1999-12-31T23:59:59Z",
    "Jan. 1, 2000, 12:59 a.m.|",
    "Dec. 31, 1999, 6:59 p.m.|",
  ],
  ['{{ d|date:"T" }}|{{ d|time:"T" }}', "1999-12-31T23:59:59Z", "CET|CET", "EST|EST"],
];

test("date and time filters show the instant in the time zone", async (t) => {
  for (const [source, iso, paris, newYork] of zoned) {
    await t.test(`${source} @ ${iso}`, () => {
      assert.equal(render(source, { d: { $date: iso } }, "Europe/Paris"), paris);
      assert.equal(render(source, { d: { $date: iso } }, "America/New_York"), newYork);
    });
  }
});

test("Django 5.2 behaviour where it changed since 3.2", () => {
  const d = (iso: string) => ({ $date: iso });
  // timesince counts calendar months and years (4.2); 3.2 counted 30-day months.
  assert.equal(
    render("{{ a|timesince:b }}", { a: d("2020-01-10T10:00:00Z"), b: d("2020-02-10T09:00:00Z") }),
    "4\u00a0weeks, 2\u00a0days",
  );
  assert.equal(
    render("{{ a|timesince:b }}", { a: d("2016-02-29T00:00:00Z"), b: d("2017-03-01T00:00:00Z") }),
    "1\u00a0year",
  );
  // random of an empty sequence is "" (3.2 raised IndexError).
  assert.equal(render("[{{ e|random }}]", { e: [] }), "[]");
  // truncatechars of zero or less is empty (3.2: "…").
  assert.equal(render("[{{ s|truncatechars:0 }}{{ s|truncatechars_html:0 }}]", { s: "abc" }), "[]");
  // escapeseq (5.0).
  assert.equal(
    render("{{ xs|escapeseq|join:', ' }}", { xs: ["<a>", { $safe: "<b>" }] }),
    "&lt;a&gt;, <b>",
  );
  // date:"r" zero-pads the day (RFC 5322, 4.0).
  assert.equal(
    render('{{ d|date:"r" }}', { d: d("2026-12-01T09:05:03Z") }),
    "Tue, 01 Dec 2026 09:05:03 +0000",
  );
});

test("filters raise where Django raises", () => {
  for (const source of [
    "{{ n|first }}",
    "{{ n|last }}",
    "{{ s|divisibleby:3 }}",
    "{{ n|divisibleby:0 }}",
    "{{ s|wordwrap:0 }}",
    "{{ s|center:'x' }}",
    "{{ n|phone2numeric }}",
    "{{ s|timesince }}",
    "{{ xs|get_digit:1 }}",
    "{{ ds|dictsort:0 }}",
  ]) {
    assert.throws(
      () => render(source, { n: 5, s: "abc", e: [], xs: [1], ds: [{ a: 1 }, { a: 2 }] }),
      source,
    );
  }
});

test("random picks an item; timesince without an argument reads the clock", () => {
  assert.ok(["a", "b"].includes(render("{{ xs|random }}", { xs: ["a", "b"] })));
  const hourAgo = new Date(Date.now() - 3600_000 - 5000).toISOString();
  assert.equal(render("{{ d|timesince }}", { d: { $date: hourAgo } }), "1\u00a0hour");
  assert.equal(render("{{ d|timeuntil }}", { d: { $date: hourAgo } }), "0\u00a0minutes");
});

test("change tracking holds for the new filters", () => {
  const tmpl = loader.fromString(
    "<p>{{ a|filesizeformat }}</p><p>{{ b|slugify|center:9 }}</p><ul>{% for x in xs %}<li>{{ x|wordwrap:3|linebreaksbr }}</li>{% endfor %}</ul>",
  );
  const full = tmpl.render({ a: 2048, b: "Hi There", xs: ["ab cd"] });
  assert.equal(
    renderToString(full),
    "<p>2.0\u00a0KB</p><p> hi-there</p><ul><li>ab<br>cd</li></ul>",
  );
  const partial = tmpl.render({ a: 2048, b: "Oh No", xs: ["ab cd"] }, new Set(["b"]));
  assert.equal(partial.dynamics[0], UNCHANGED);
  assert.equal(partial.dynamics[1], "  oh-no  ");
  assert.equal(partial.dynamics[2], UNCHANGED);
});

test("impure filters opt loops out of row reuse", async () => {
  const { getFilter } = await import("../../src/template/filters.js");
  for (const name of ["random", "timesince", "timeuntil"])
    assert.equal(getFilter(name)?.pure, false);
  for (const name of ["urlize", "pprint", "truncatewords_html", "filesizeformat"])
    assert.equal(getFilter(name)?.pure, true);
});

test("striptags takes markup as Python's html.parser does (Django's strip_tags)", () => {
  // Each pair: input, what Django 3.2 on Python 3.11 returns (django.utils.html.strip_tags).
  const cases: readonly [string, string][] = [
    ['<a href=">">x</a>', "x"],
    ["<a title='a>b'>z</a>", "z"],
    ["<b class=\"x\" data-x='y>'>w</b>", "w"],
    ["</ x>y", "y"],
    ["1 </2> 3", "1  3"],
    ['<a href="x>y', '<a href="x>y'],
    ['<a =">">h', '">h'],
    ["a < b > c", "a < b > c"],
    ["<<b>>x", "<>x"],
    ["<script>alert('<b>')</script>", "alert('')"],
    ["<!-- a -- b -->l<![CDATA[x]]>m<?php x ?>", "lm"],
    ["&amp; &lt;b&gt;", "&amp; &lt;b&gt;"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(
      renderToString(
        loader
          .fromString("{% autoescape off %}{{ v|striptags }}{% endautoescape %}")
          .render({ v: input }),
      ),
      expected,
      input,
    );
  }
});
