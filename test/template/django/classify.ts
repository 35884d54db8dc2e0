/**
 * Maintenance helper for known-differences.json: gives every case listed as "unclassified" a
 * reason derived from what the case uses (a tag or filter this engine lacks, dates, floats,
 * None, errors). Run after `DJANGO_DIFF_UPDATE=1` and review the result; hand-written reasons
 * are kept.
 *
 *   npx tsx test/template/django/classify.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { filterNames } from "../../../src/template/index.js";
import { generate } from "./generate.js";
import { renderOurs, renderWithDjango, type Case, type Corpus } from "./harness.js";
import { tagNames } from "../../../src/template/parser.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const path = here("known-differences.json");
const known = JSON.parse(readFileSync(path, "utf8")) as {
  differences: Record<string, Record<string, string>>;
};
const corpora: Record<string, Corpus> = {
  "django-tests": JSON.parse(readFileSync(here("corpus/django-tests.json"), "utf8")) as Corpus,
  generated: generate(),
};
const filters = new Set(filterNames());
const tags = new Set(tagNames());

function sourceOf(c: Case): string {
  return c.templates === undefined ? c.template : Object.values(c.templates).join("\n");
}

function reason(c: Case, django: { output?: string; error?: string }): string {
  const src = sourceOf(c);
  const ours = renderOurs(c);
  const missingTags = new Set<string>();
  for (const m of src.matchAll(/\{%-?\s*(\w+)/g)) {
    const word = m[1] as string;
    if (!tags.has(word)) missingTags.add(word);
  }
  const missingFilters = new Set<string>();
  for (const m of src.matchAll(/\|\s*(\w+)/g)) {
    const word = m[1] as string;
    if (!filters.has(word)) missingFilters.add(word);
  }
  if ("error" in ours && ours.error === "TemplateSyntaxError" && django.error === undefined) {
    if (missingTags.size > 0) return `missing tag: ${[...missingTags].sort().join(", ")}`;
    if (missingFilters.size > 0) return `missing filter: ${[...missingFilters].sort().join(", ")}`;
  }
  if (c.language !== undefined && c.language !== "en" && c.language !== "en-us")
    return `translation to ${c.language} (Django's message catalogs)`;
  if (django.error !== undefined && !("error" in ours))
    return `Django raises ${django.error}; this engine renders`;
  if (django.error === undefined && "error" in ours)
    return `raises ${ours.error} here; Django renders`;
  if (/asvar/.test(src))
    return "blocktrans asvar: Django 3.2 stores the text unsafe, escaped again";
  if (/\{% include tmpl/.test(src)) return "include of a variable template name: not supported";
  if (/\{% language /.test(src) && /date/.test(src))
    return "dates inside {% language %}: the language's named formats (filter side)";
  if (/\bnul\b|None/.test(src)) return "value semantics: None";
  if (/date|time|when|now|timesince|timeuntil/.test(src)) return "value semantics: dates";
  if (/\d\.\d|\bf\b|half|float/.test(src)) return "value semantics: floats";
  return "other";
}

for (const [name, corpus] of Object.entries(corpora)) {
  const list = known.differences[name] ?? {};
  // Reasons written by hand start with "! " and are kept; the others are derived again.
  const todo = corpus.cases.filter(
    (c) => list[c.name] !== undefined && !list[c.name]?.startsWith("! "),
  );
  if (todo.length === 0) continue;
  const { results } = renderWithDjango({ cases: todo });
  for (const c of todo) list[c.name] = reason(c, results[c.name] as { output?: string });
}
writeFileSync(path, JSON.stringify(known, null, 2) + "\n");
