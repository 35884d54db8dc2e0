/**
 * The two sides of the differential test: a corpus of `{ name, template, templates?, context }`
 * cases rendered by real Django (`render.py`, run with the system Python that has Debian's
 * python3-django) and by this engine, compared byte for byte.
 *
 * JSON contexts carry two markers, decoded the same way on both sides:
 * `{"$date": "2008-01-01T12:30:00.000000Z"}` is an instant (a `Date`; an aware datetime in
 * UTC for Django) and `{"$safe": "<b>"}` is a string marked safe. Both sides seed their random
 * source with 0 before each case (Python's generator, see pyrandom.ts), so `{% lorem %}` and
 * `|random` compare too.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { quotePathSegment } from "../../../src/live/routes.js";
import { renderToString } from "../../../src/render/html.js";
import { TemplateLoader, TemplateSyntaxError, markSafe } from "../../../src/template/index.js";
import { setRandomSource } from "../../../src/template/random.js";
import { pythonRandom } from "./pyrandom.js";

export interface Case {
  readonly name: string;
  /** The template's source, or (with `templates`) the name of the one to render. */
  readonly template: string;
  readonly templates?: Readonly<Record<string, string>>;
  readonly context: Readonly<Record<string, unknown>>;
  /**
   * Templates the test rendered first (same context, same engine): what they leave in the
   * fragment cache of `{% cache %}` is what the case renders against.
   */
  readonly before?: readonly string[];
  /** Language active for the render (Django's `translation.override`). */
  readonly language?: string;
  /** Django 5.2's expected output, when the case comes from a test that states it. */
  readonly expected?: string;
  readonly expectedError?: string;
}

export interface Corpus {
  readonly cases: readonly Case[];
}

/** What rendering produced: the output, or the class of the exception raised. */
export type Result = { readonly output: string } | { readonly error: string };

export const PYTHON = "/usr/bin/python3";
const RENDER_PY = fileURLToPath(new URL("render.py", import.meta.url));

/** Why Django cannot be run here, or `undefined` when it can. */
export function djangoUnavailable(): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", "import django; print(django.get_version())"], {
    encoding: "utf8",
  });
  if (probe.error !== undefined) return `${PYTHON} cannot be run: ${probe.error.message}`;
  if (probe.status !== 0) return `${PYTHON} cannot import django (install python3-django)`;
  return undefined;
}

/** Renders every case with Django. */
export function renderWithDjango(corpus: Corpus): {
  version: string;
  results: Record<string, Result>;
} {
  const run = spawnSync(PYTHON, [RENDER_PY], {
    input: JSON.stringify(corpus),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`render.py failed: ${run.stderr}`);
  const parsed = JSON.parse(run.stdout) as { django: string; results: Record<string, Result> };
  return { version: parsed.django, results: parsed.results };
}

/** Decodes the `$date`/`$safe` markers of a JSON context. */
export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && typeof obj.$date === "string") return new Date(obj.$date);
    if (keys.length === 1 && typeof obj.$safe === "string") return markSafe(obj.$safe);
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = decode(obj[k]);
    return out;
  }
  return value;
}

// The routes of render.py's URLconf.
function urlFor(name: string, args: unknown[], kwargs?: Record<string, unknown>): string {
  const a = kwargs !== undefined && Object.keys(kwargs).length > 0 ? kwargs : undefined;
  const str = (v: unknown) => quotePathSegment(String(v));
  const num = (v: unknown) => /^[0-9]+$/.test(String(v));
  switch (name) {
    case "index":
      if (args.length === 0 && a === undefined) return "/";
      break;
    case "client":
      if (a === undefined && args.length === 1 && /^[0-9,]+$/.test(String(args[0])))
        return `/client/${str(args[0])}/`;
      break;
    case "client_action": {
      const [id, action] = a !== undefined ? [a.id, a.action] : args;
      if (num(id) && action !== undefined && String(action) !== "" && !String(action).includes("/"))
        return `/client/${str(id)}/${str(action)}/`;
      break;
    }
    case "named.client":
      if (a === undefined && args.length === 1 && num(args[0]))
        return `/named-client/${str(args[0])}/`;
      break;
    case "метка_оператора":
      // Python's \w: Unicode letters and digits too.
      if (a === undefined && args.length === 1 && /^[\p{L}\p{N}_]+$/u.test(String(args[0])))
        return `/${str("Юникод")}/${str(args[0])}/`;
      break;
    case "метка_оператора_2": {
      const tag = a !== undefined ? a.tag : args[0];
      if (tag !== undefined && /^\S+$/u.test(String(tag))) return `/${str("Юникод")}/${str(tag)}/`;
      break;
    }
    case "item": {
      const pk = a !== undefined ? a.pk : args[0];
      if (num(pk)) return `/item/${String(pk)}/`;
      break;
    }
    case "items":
      if (args.length === 0 && a === undefined) return "/items/";
      break;
  }
  throw new Error(`no route ${name}`);
}

/** Renders one case with this engine. */
export function renderOurs(c: Case): Result {
  const templates = c.templates ?? { case: c.template };
  const name = c.templates === undefined ? "case" : c.template;
  // render.py seeds Python's random with 0 before each case: draw the same numbers.
  setRandomSource(pythonRandom(0));
  try {
    const loader = new TemplateLoader({
      dirs: [],
      templates,
      urlFor,
      ...(c.language === undefined ? {} : { language: c.language }),
    });
    const context = decode(c.context) as Record<string, unknown>;
    for (const first of c.before ?? []) loader.get(first).render(context);
    const tree = loader.get(name).render(context);
    return { output: renderToString(tree) };
  } catch (error) {
    if (error instanceof TemplateSyntaxError) return { error: "TemplateSyntaxError" };
    return { error: error instanceof Error ? error.constructor.name : "Error" };
  }
}

/**
 * Whether two results count as identical: equal outputs, or both raising — a Django
 * TemplateSyntaxError (or TemplateDoesNotExist) must be a TemplateSyntaxError here, any other
 * exception any error.
 */
export function same(django: Result, ours: Result): boolean {
  if ("output" in django) return "output" in ours && ours.output === django.output;
  if (!("error" in ours)) return false;
  if (django.error === "TemplateSyntaxError" || django.error === "TemplateDoesNotExist")
    return ours.error === "TemplateSyntaxError";
  return true;
}
