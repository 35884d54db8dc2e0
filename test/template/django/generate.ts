/**
 * A seeded generator of random templates over Django's built-in tags and filters, with JSON
 * contexts (one shared context; see harness.ts for the `$date`/`$safe` markers). Deterministic:
 * the same seed and count always give the same corpus, so case names are stable.
 *
 * Every case starts with one piece chosen round-robin (so every tag and every filter appears in
 * many cases) and adds up to two random ones. Left out: what differs between two runs
 * (`{% now %}` with anything finer than the year, `lorem ... random`, `random` of several items,
 * `timesince`/`timeuntil` without an argument) and the tags and filters Django 3.2 lacks
 * (`querystring`, `escapeseq`; `ifequal` is gone from 5.x). `{% debug %}` prints nothing on both
 * sides (Django without `DEBUG`, the loader without `debug`).
 */
import type { Case, Corpus } from "./harness.js";

export const SEED = 17;
export const COUNT = 2400;

/** mulberry32: a small, fast, seedable PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CONTEXT = {
  s: "Hello <b>World</b> & 'friends'",
  e: "",
  n: 42,
  neg: -7,
  z: 0,
  f: 3.14159,
  half: 2.5,
  big: 1234567,
  t: true,
  fl: false,
  nul: null,
  num_s: "12",
  safe: { $safe: "<i>ok</i> &amp;" },
  words: "the quick brown fox jumps over the lazy dog",
  url: "https://example.com/a b?x=1&y=<2>",
  text: "Contact me@example.com or www.djangoproject.com today",
  phone: "1-800-COLLECT",
  multiline: "line one\nline two\n\nline <three>",
  html: "<p>A <b>bold</b> and <i>long</i> paragraph of words here</p>",
  lst: ["b", "a", "<c>"],
  nums: [3, 1, 2],
  empty: [],
  nested: ["a", ["b", ["c", "<d>"]]],
  people: [
    { name: "Ann", age: 30, city: "Paris" },
    { name: "Bob", age: 25, city: "Paris" },
    { name: "Cid", age: 30, city: "Oslo" },
  ],
  d: { a: 1, b: "x<y" },
  pairs: [
    [1, "one"],
    [2, "two"],
  ],
  when: { $date: "2008-01-02T03:04:05.000000Z" },
  later: { $date: "2009-03-04T15:16:17.000000Z" },
  ratio: { v: 175, max: 200 },
  tmpl: "inc.html",
  slug: "Joel is a slug! Ünïcode",
  one: ["only"],
  codes: ["it", "no", "de-at"],
  code_pairs: [
    ["sl", "Slovenian"],
    ["fa", "Persian"],
  ],
  1: { 2: ["a", "b", "c", "d"] },
};

const TEMPLATES = {
  "inc.html": "[inc {{ s }}|{{ n }}|{{ x }}]",
  "base.html": "<h1>{% block title %}Base{% endblock %}</h1>{% block body %}{{ n }}{% endblock %}",
};

const VARS = [
  "s",
  "e",
  "n",
  "neg",
  "z",
  "f",
  "half",
  "big",
  "t",
  "fl",
  "nul",
  "missing",
  "num_s",
  "safe",
  "words",
  "url",
  "text",
  "phone",
  "multiline",
  "html",
  "lst",
  "nums",
  "empty",
  "nested",
  "people",
  "d",
  "d.a",
  "d.b",
  "people.0.name",
  "lst.1",
  "when",
  "slug",
  "one",
  "pairs",
];

const LITS = ['"x"', '"<q>"', "'a b'", "3", "-2", "0", '""', '"10"', "1.5"];

/** Filter name → possible arguments (`undefined`: no argument). */
const FILTERS: Record<string, readonly (string | undefined)[]> = {
  add: ['"2"', "3", "n", '"!"', "lst"],
  addslashes: [undefined],
  capfirst: [undefined],
  center: ['"15"', "9"],
  cut: ['" "', '"o"'],
  date: [undefined, '"Y-m-d"', '"D, d M Y H:i"', '"r"', '"jS F Y"', '"DATE_FORMAT"', '"c"', '"U"'],
  default: ['"dflt"', "n", "safe"],
  default_if_none: ['"none"', "s"],
  dictsort: ['"name"', '"age"', "0", '"city"'],
  dictsortreversed: ['"name"', '"age"', "1"],
  divisibleby: ["2", "3", '"7"'],
  escape: [undefined],
  escapejs: [undefined],
  filesizeformat: [undefined],
  first: [undefined],
  floatformat: [undefined, "2", "-2", "0", '"3g"', '"-1"'],
  force_escape: [undefined],
  get_digit: ["1", "2", "9"],
  iriencode: [undefined],
  join: ['", "', '" | "', '"<br>"'],
  json_script: ['"data-id"'],
  last: [undefined],
  length: [undefined],
  linebreaks: [undefined],
  linebreaksbr: [undefined],
  linenumbers: [undefined],
  ljust: ['"12"', "4"],
  lower: [undefined],
  make_list: [undefined],
  phone2numeric: [undefined],
  pluralize: [undefined, '"es"', '"y,ies"', '"a,b,c"'],
  pprint: [undefined],
  random: [undefined],
  rjust: ['"12"', "4"],
  safe: [undefined],
  safeseq: [undefined],
  slice: ['":2"', '"1:"', '"::-1"', '"-2:"', '"0"'],
  slugify: [undefined],
  stringformat: ['"s"', '"d"', '"05d"', '".2f"', '"r"', '"x"', '"E"'],
  striptags: [undefined],
  time: [undefined, '"H:i"', '"g:i a"', '"TIME_FORMAT"'],
  timesince: ["later"],
  timeuntil: ["when"],
  title: [undefined],
  truncatechars: ["5", "10", "1"],
  truncatechars_html: ["8", "20"],
  truncatewords: ["2", "4"],
  truncatewords_html: ["2", "5"],
  unordered_list: [undefined],
  upper: [undefined],
  urlencode: [undefined, '""', '"/"'],
  urlize: [undefined],
  urlizetrunc: ["15"],
  wordcount: [undefined],
  wordwrap: ["10", "5"],
  yesno: [undefined, '"yeah,no,maybe"', '"y,n"'],
  localize: [undefined],
  unlocalize: [undefined],
  localtime: [undefined],
  utc: [undefined],
  timezone: ['"Europe/Paris"', '"America/New_York"'],
  language_name: [undefined],
  language_name_local: [undefined],
  language_bidi: [undefined],
};

// Filters whose random choice differs between runs unless the input has one item.
const ONE_ITEM_ONLY = new Set(["random"]);
export const FILTER_NAMES = Object.keys(FILTERS);

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

function filterCall(r: Rand, name: string): string {
  const arg = pick(r, FILTERS[name] as readonly (string | undefined)[]);
  return arg === undefined ? `|${name}` : `|${name}:${arg}`;
}

function primaryFor(r: Rand, filter: string | undefined): string {
  if (filter !== undefined && ONE_ITEM_ONLY.has(filter)) return "one";
  if (filter !== undefined && /^(language_)/.test(filter)) return pick(r, ['"de"', '"en"', '"fr"']);
  if (
    filter !== undefined &&
    /^(date|time|timesince|timeuntil|localtime|utc|timezone)$/.test(filter)
  )
    return r() < 0.8 ? "when" : pick(r, VARS);
  if (filter !== undefined && /^(dictsort|dictsortreversed)$/.test(filter))
    return r() < 0.8 ? pick(r, ["people", "pairs"]) : pick(r, VARS);
  if (filter === "unordered_list") return r() < 0.7 ? "nested" : pick(r, VARS);
  return r() < 0.85 ? pick(r, VARS) : pick(r, LITS);
}

/** `{{ ... }}` contents: a primary and 0–2 filters, the first one `first` when given. */
function expr(r: Rand, first?: string): string {
  const f0 = first ?? (r() < 0.6 ? pick(r, FILTER_NAMES) : undefined);
  let out = primaryFor(r, f0);
  if (f0 !== undefined) out += filterCall(r, f0);
  if (r() < 0.25) {
    const f1 = pick(r, FILTER_NAMES);
    if (!ONE_ITEM_ONLY.has(f1)) out += filterCall(r, f1);
  }
  return out;
}

const COMPARE = ["==", "!=", "<", ">", "<=", ">=", "in", "not in", "is", "is not"];

function condition(r: Rand): string {
  const atom = () =>
    r() < 0.5 ? (r() < 0.3 ? "not " : "") + expr(r) : `${expr(r)} ${pick(r, COMPARE)} ${expr(r)}`;
  let c = atom();
  if (r() < 0.3) c += ` ${pick(r, ["and", "or"])} ${atom()}`;
  return c;
}

function text(r: Rand): string {
  return pick(r, ["", " ", "-", " <p> ", "\n", "a&b", "|"]);
}

/** Piece generators by tag; each returns template text. */
const TAGS: Record<string, (r: Rand) => string> = {
  var: (r) => `{{ ${expr(r)} }}`,
  if: (r) => {
    let out = `{% if ${condition(r)} %}A{{ ${expr(r)} }}`;
    if (r() < 0.4) out += `{% elif ${condition(r)} %}B`;
    if (r() < 0.6) out += "{% else %}C";
    return out + "{% endif %}";
  },
  for: (r) => {
    const src = pick(r, ["lst", "nums", "empty", "people", "words", "d", "nested", "missing"]);
    const body = pick(r, [
      "{{ x }}",
      "{{ forloop.counter }}:{{ x }}",
      "{{ forloop.revcounter0 }}{{ forloop.first }}{{ forloop.last }}",
      "{{ x.name|default:x }}",
      "{% for y in lst %}{{ forloop.parentloop.counter }}{{ y }}{% endfor %}",
    ]);
    const rev = r() < 0.2 ? " reversed" : "";
    const empty = r() < 0.3 ? "{% empty %}none" : "";
    return `{% for x in ${src}${rev} %}${body},${empty}{% endfor %}`;
  },
  for_unpack: (r) =>
    pick(r, [
      "{% for k, v in d.items %}{{ k }}={{ v }};{% endfor %}",
      "{% for a, b in pairs %}{{ a }}-{{ b }};{% endfor %}",
      "{% for a, b in people %}{{ a }}{% endfor %}",
    ]),
  with: (r) => `{% with v=${expr(r)} w=n %}{{ v }}/{{ w }}{% endwith %}`,
  with_legacy: (r) => `{% with ${expr(r)} as v %}{{ v }}{% endwith %}`,
  firstof: (r) =>
    `{% firstof ${pick(r, ["e", "nul", "missing", "z"])} ${expr(r)} "<fb>" %}` +
    (r() < 0.3 ? `{% firstof e s as fo %}{{ fo }}` : ""),
  cycle: (r) =>
    pick(r, [
      "{% for x in lst %}{% cycle 'odd' 'even' %}{% endfor %}",
      "{% for x in nums %}{% cycle s n '<r>' as c %}[{{ c }}]{% endfor %}",
      "{% for x in lst %}{% cycle 'a' 'b' 'c' as c silent %}{{ c }}{% endfor %}",
    ]),
  resetcycle: (r) =>
    pick(r, [
      "{% for x in lst %}{% for y in nums %}{% cycle 'a' 'b' %}{% endfor %}{% resetcycle %}|{% endfor %}",
      "{% for x in nums %}{% cycle 'p' 'q' 'r' as c %}{% if forloop.counter == 2 %}{% resetcycle c %}{% endif %}{% endfor %}",
    ]),
  ifchanged: (r) =>
    pick(r, [
      "{% for p in people %}{% ifchanged %}{{ p.city }}{% endifchanged %}{{ p.name }};{% endfor %}",
      "{% for p in people %}{% ifchanged p.age %}[{{ p.age }}]{% else %}-{% endifchanged %}{% endfor %}",
      "{% for x in nums %}{% ifchanged x p %}{{ x }}{% endifchanged %}{% endfor %}",
    ]),
  regroup: (r) =>
    `{% regroup people by ${pick(r, ["city", "age", "name", "missing"])} as grouped %}` +
    "{% for g in grouped %}{{ g.grouper }}:{% for p in g.list %}{{ p.name }} {% endfor %}|{% endfor %}",
  filter: (r) =>
    `{% filter ${pick(
      r,
      FILTER_NAMES.filter(
        (f) =>
          FILTERS[f]?.includes(undefined) &&
          !ONE_ITEM_ONLY.has(f) &&
          !f.startsWith("language") &&
          !/time|utc|date/.test(f),
      ),
    )}${r() < 0.3 ? "|upper" : ""} %}${text(r)}{{ s }} x{% endfilter %}`,
  widthratio: (r) =>
    `{% widthratio ${pick(r, ["ratio.v", "n", "f", "z", "missing", '"7"'])} ${pick(r, ["ratio.max", "100", "z", "half"])} ${pick(r, ["100", "50", "0", "n"])} %}` +
    (r() < 0.3 ? "{% widthratio 5 10 100 as w %}{{ w }}" : ""),
  templatetag: (r) =>
    `{% templatetag ${pick(r, ["openblock", "closeblock", "openvariable", "closevariable", "openbrace", "closebrace", "opencomment", "closecomment"])} %}`,
  lorem: (r) =>
    pick(r, [
      "{% lorem %}",
      "{% lorem 3 w %}",
      "{% lorem 2 p %}",
      "{% lorem 1 b %}",
      "{% lorem 12 w %}",
    ]),
  now: () => '{% now "Y" %}',
  spaceless: (r) => `{% spaceless %} <p> <b>${text(r)}</b> {{ s }} </p> {% endspaceless %}`,
  autoescape: (r) =>
    `{% autoescape ${pick(r, ["on", "off"])} %}{{ ${expr(r)} }}{% endautoescape %}`,
  verbatim: () => "{% verbatim %}{{ s }}{% if %}{% endverbatim %}",
  comment: (r) => `{% comment %}{{ ${expr(r)} }}{% endcomment %}{# hidden #}`,
  csrf_token: () => "{% csrf_token %}",
  include: (r) =>
    pick(r, [
      '{% include "inc.html" %}',
      '{% include "inc.html" with x=n|add:1 %}',
      '{% include "inc.html" with x=s only %}',
      "{% include tmpl %}",
    ]),
  extends: (r) =>
    pick(r, [
      '{% extends "base.html" %}{% block title %}T{{ s }}{% endblock %}',
      '{% extends "base.html" %}{% block body %}{{ block.super }}+{{ n }}{% endblock %}',
    ]),
  url: (r) =>
    pick(r, [
      '{% url "item" n %}',
      '{% url "item" pk=n %}',
      "{% url 'items' %}",
      '{% url "item" pk=7 as u %}[{{ u }}]',
    ]),
  static: (r) => `{% load static %}{% static ${pick(r, ['"css/a b.css"', "s", '"x.js"'])} %}`,
  get_static_prefix: () => "{% load static %}{% get_static_prefix %}",
  trans: (r) =>
    `{% load i18n %}` +
    pick(r, [
      '{% trans "Hello" %}',
      '{% translate "Yes" %}',
      '{% trans "x<y" %}',
      "{% trans s %}",
      '{% trans "Hello" as h %}{{ h }}',
      '{% translate "May" context "month name" %}',
      '{% trans "abc" noop %}',
    ]),
  blocktrans: (r) =>
    `{% load i18n %}` +
    pick(r, [
      "{% blocktrans %}Hi {{ s }}{% endblocktrans %}",
      "{% blocktranslate with a=n|add:1 %}A={{ a }}{% endblocktranslate %}",
      "{% blocktrans count c=nums|length %}one {{ c }}{% plural %}many {{ c }}{% endblocktrans %}",
      "{% blocktrans count counter=one|length %}one item{% plural %}{{ counter }} items{% endblocktrans %}",
      '{% blocktranslate context "greeting" %}Hello{% endblocktranslate %}',
      "{% blocktrans trimmed %}\n  a\n  b  {{ n }}\n{% endblocktrans %}",
      "{% blocktrans asvar bt %}x{{ s }}{% endblocktrans %}[{{ bt }}]",
    ]),
  language: (r) =>
    `{% load i18n %}{% language "${pick(r, ["de", "en", "fr"])}" %}{% get_current_language as L %}{{ L }} {{ when|date }}{% endlanguage %}`,
  get_current_language: () =>
    "{% load i18n %}{% get_current_language as L %}{% get_current_language_bidi as B %}{{ L }}{{ B }}",
  localize: (r) =>
    `{% load l10n %}{% localize ${pick(r, ["on", "off"])} %}{{ big }} {{ f }} {{ when }}{% endlocalize %}`,
  localtime: (r) =>
    `{% load tz %}{% localtime ${pick(r, ["on", "off"])} %}{{ when|date:"H:i e" }}{% endlocaltime %}`,
  timezone: (r) =>
    `{% load tz %}{% timezone "${pick(r, ["Europe/Paris", "Asia/Kolkata", "UTC"])}" %}{{ when|date:"H:i T" }}{% get_current_timezone as TZ %}{{ TZ }}{% endtimezone %}`,
  get_current_timezone: () => "{% load tz %}{% get_current_timezone as TZ %}{{ TZ }}",
  get_language_info: (r) =>
    `{% load i18n %}{% get_language_info for ${pick(r, ['"de"', '"pt-br"', '"zh-cn"', '"fa"'])} as l %}{{ l.code }} {{ l.name }} {{ l.name_local }} {{ l.name_translated }} {{ l.bidi }}`,
  get_language_info_list: (r) =>
    `{% load i18n %}{% get_language_info_list for ${pick(r, ["codes", "code_pairs"])} as ls %}{% for l in ls %}{{ l.code }}:{{ l.name_local }};{% endfor %}`,
  get_available_languages: () =>
    "{% load i18n %}{% get_available_languages as ls %}{{ ls|length }} {% for c, n in ls %}{% if c == 'de' or c == 'sv' %}{{ c }}={{ n }} {% endif %}{% endfor %}",
  get_media_prefix: () => "{% load static %}[{% get_media_prefix %}]",
  debug: () => "[{% debug %}]",
  lorem_var: (r) =>
    `{% lorem ${pick(r, ["n", "num_s", "s", "missing", "z"])} ${pick(r, ["w", "p", "b"])} %}`,
  lexer: (r) => pick(r, ["a {{ n %} b", "{{ n #}", "{% if\n %}{{ n }}", "{# x", "{{ 1.2.3 }}"]),
};
export const TAG_NAMES = Object.keys(TAGS);

/** The generated corpus. */
export function generate(seed = SEED, count = COUNT): Corpus {
  const r = prng(seed);
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    // Alternate: a tag first, then a filter first, so both lists are covered round-robin.
    let first: string;
    if (i % 2 === 0)
      first = (TAGS[TAG_NAMES[(i / 2) % TAG_NAMES.length] as string] as (r: Rand) => string)(r);
    else first = `{{ ${expr(r, FILTER_NAMES[((i - 1) / 2) % FILTER_NAMES.length])} }}`;
    let template = first;
    const extra = Math.floor(r() * 3);
    for (let k = 0; k < extra; k++) {
      const tag = pick(r, TAG_NAMES);
      if (tag === "extends") continue; // must come first
      template += text(r) + (TAGS[tag] as (r: Rand) => string)(r);
    }
    // The library filters exist after their `{% load %}` (which an extends must precede).
    if (/\|(localize|unlocalize|localtime|utc|timezone|language_\w+)\b/.test(template))
      template = template.startsWith("{% extends")
        ? template.replace("%}", "%}{% load i18n l10n tz %}")
        : "{% load i18n l10n tz %}" + template;
    const name = `gen-${String(i).padStart(4, "0")}`;
    const needsTemplates = /\{% (include|extends) /.test(template);
    // Every seventh case renders in German or French: named formats, month names, separators.
    const language = i % 7 === 3 ? (i % 14 === 3 ? "de" : "fr") : undefined;
    const base = needsTemplates
      ? { name, template: name, templates: { ...TEMPLATES, [name]: template }, context: CONTEXT }
      : { name, template, context: CONTEXT };
    cases.push(language === undefined ? base : { ...base, language });
  }
  return { cases };
}
