// Differential test: Django's own template tests and a seeded generator of random templates,
// rendered by real Django (Debian's python3-django at /usr/bin/python3) and by this engine, must
// match byte for byte. Every remaining difference is listed with its reason in
// django/known-differences.json; an unlisted difference fails, and so does a listed case that no
// longer differs. Cases in its "django52" section take Django 5.2's expected output (from the
// test that states it) as the reference instead of the installed Django's.
//
// DJANGO_DIFF_UPDATE=1 rewrites the lists of the known-differences file from this run (keeping
// the reasons already written, "unclassified" for new cases) instead of failing on them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generate } from "./django/generate.js";
import {
  djangoUnavailable,
  renderOurs,
  renderWithDjango,
  same,
  type Corpus,
  type Result,
} from "./django/harness.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const KNOWN_PATH = here("django/known-differences.json");

interface Known {
  /** Minimum identical share per corpus. */
  thresholds: Record<string, number>;
  /** Cases whose reference is Django 5.2's expected output: case → what changed since 3.2. */
  django52: Record<string, string>;
  /** Corpus → case → why it still differs. */
  differences: Record<string, Record<string, string>>;
}

const known = JSON.parse(readFileSync(KNOWN_PATH, "utf8")) as Known;
const update = process.env.DJANGO_DIFF_UPDATE === "1";
const unavailable = djangoUnavailable();
if (unavailable !== undefined) console.log(`differential test skipped: ${unavailable}`);

const corpora: Record<string, () => Corpus> = {
  "django-tests": () =>
    JSON.parse(readFileSync(here("django/corpus/django-tests.json"), "utf8")) as Corpus,
  "django-cache-tests": () =>
    JSON.parse(readFileSync(here("django/corpus/django-cache-tests.json"), "utf8")) as Corpus,
  generated: () => generate(),
};

const show = (r: Result | undefined) =>
  r === undefined ? "(none)" : "output" in r ? JSON.stringify(r.output) : `raises ${r.error}`;

for (const [corpusName, load] of Object.entries(corpora)) {
  test(`differential: ${corpusName}`, { skip: unavailable }, () => {
    const corpus = load();
    const { version, results } = renderWithDjango(corpus);
    const listed = known.differences[corpusName] ?? {};
    const differing: Record<string, string> = {};
    const unlisted: string[] = [];
    let identical = 0;
    for (const c of corpus.cases) {
      let reference = results[c.name] as Result;
      if (known.django52[c.name] !== undefined && corpusName === "django-tests") {
        reference =
          c.expected !== undefined ? { output: c.expected } : { error: c.expectedError ?? "Error" };
      }
      const ours = renderOurs(c);
      if (same(reference, ours)) {
        identical++;
        continue;
      }
      differing[c.name] = listed[c.name] ?? "unclassified";
      if (listed[c.name] === undefined) {
        unlisted.push(
          `${c.name}: ${JSON.stringify(c.templates?.[c.template] ?? c.template)}\n    django: ${show(reference)}\n    ours:   ${show(ours)}`,
        );
      }
    }
    const stale = Object.keys(listed).filter((n) => differing[n] === undefined);
    const share = identical / corpus.cases.length;
    console.log(
      `${corpusName}: ${identical}/${corpus.cases.length} identical (${(share * 100).toFixed(1)} %) against Django ${version}`,
    );
    if (update) {
      known.differences[corpusName] = Object.fromEntries(
        Object.entries(differing).sort(([a], [b]) => a.localeCompare(b)),
      );
      writeFileSync(KNOWN_PATH, JSON.stringify(known, null, 2) + "\n");
      return;
    }
    assert.deepEqual(
      unlisted,
      [],
      `${unlisted.length} differences not listed in known-differences.json:\n${unlisted.slice(0, 40).join("\n")}`,
    );
    assert.deepEqual(stale, [], "listed as different but now identical: remove them from the list");
    // classify.ts derives draft reasons from what a case uses; each kept difference needs one
    // written by hand ("! ...") saying why it is intentional or cannot be matched.
    const drafts = Object.keys(listed).filter((n) => !listed[n]?.startsWith("! "));
    assert.deepEqual(drafts, [], "differences without a hand-written reason");
    assert.ok(
      share >= (known.thresholds[corpusName] ?? 1),
      `identical share ${share} below ${known.thresholds[corpusName]}`,
    );
  });
}
