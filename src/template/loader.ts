/**
 * Finds, parses, compiles and caches DTL template files.
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { Template } from "../render/tree.js";
import type { ParsedTemplate, Pos } from "./ast.js";
import { fragmentCaches, type FragmentCache, type FragmentCacheOptions } from "./fragment-cache.js";
import { compileTemplate } from "./compiler.js";
import type { CompileHost } from "./env.js";
import { TemplateDoesNotExist } from "./errors.js";
import { Translations } from "./i18n.js";
import { parseTemplate } from "./parser.js";

/** Options of {@link TemplateLoader}. */
export interface TemplateLoaderOptions {
  /** Template directories, searched in order (like Django's `DIRS`). */
  readonly dirs: readonly string[];
  /**
   * Templates held in memory, name → source (like Django's locmem loader), looked up before the
   * dirs. Useful for tests and for templates built by code.
   */
  readonly templates?: Readonly<Record<string, string>>;
  /**
   * Re-read a template (and recompile what uses it) when a file it was compiled from changed
   * on disk. Meant for development; each `get` then costs a `stat` per file involved.
   */
  readonly reload?: boolean;
  /**
   * Resolves `{% url "name" arg ... %}` to a path. Throwing, or returning something that is
   * not a string, means "no such route": rendering then fails with a TemplateRenderError that
   * names the route and the template position.
   */
  readonly urlFor?: (name: string, args: unknown[], kwargs?: Record<string, unknown>) => string;
  /** Active language of the translation tags (Django's `LANGUAGE_CODE`); default `"en-us"`. */
  readonly language?: string;
  /**
   * Locale dirs holding gettext catalogs, `<dir>/<lang>/LC_MESSAGES/*.po` (Django's
   * `LOCALE_PATHS` and each app's `locale/`); earlier dirs win.
   */
  readonly localeDirs?: readonly string[];
  /** Prefix of `{% static %}` (Django's `STATIC_URL`); default `"/static/"`. */
  readonly staticUrl?: string;
  /**
   * What `{% get_media_prefix %}` prints (Django's `MEDIA_URL`); default `""`. As in Django, a
   * relative prefix (`""`, `"media/"`) is served under the script prefix `/`.
   */
  readonly mediaUrl?: string;
  /**
   * IANA time zone dates are shown in (Django's `TIME_ZONE` with `USE_TZ = True`).
   * @default "UTC"
   */
  readonly timeZone?: string;
  /**
   * Locale of named date formats and month/day names (Django's active language with
   * `USE_L10N`); `{% language %}` switches it for its body.
   * @default the `language` option
   */
  readonly locale?: string;
  /**
   * Let `{% debug %}` print the context (Django prints it only with `DEBUG = True`); it shows
   * every value the template can see, so keep it off in production.
   * @default false
   */
  readonly debug?: boolean;
  /**
   * Let loops reuse a row's previous output while its item is the same object with the same
   * primitive fields (default `true`). It makes re-rendering a large list after a one-row change
   * cost a fraction of a full render, and costs some extra work when every row is a new object.
   * Turn it off to measure cold rendering.
   */
  readonly loopMemo?: boolean;
  /**
   * The caches `{% cache %}` keeps rendered fragments in, by the name `using="name"` refers to,
   * each bounded in entries and characters. Without `using=`, the tag uses `template_fragments`
   * if there is one, else `default` (always present), as Django does. They live as long as the
   * loader (one per app).
   * @default { default: { maxEntries: 1000, maxChars: 4194304 } }
   */
  readonly fragmentCaches?: Readonly<Record<string, FragmentCacheOptions>>;
}

interface SourceFile {
  readonly path: string;
  readonly mtimeMs: number;
  readonly parsed: ParsedTemplate;
}

interface CacheEntry {
  readonly template: Template;
  /** Every file the compiled template was built from (itself, parents, includes) → mtime. */
  readonly files: ReadonlyMap<string, number>;
}

/**
 * Loads templates by name from a list of directories. `extends` and `include` are resolved at
 * compile time, so a compiled template is self-contained and rendering never touches the disk.
 *
 * Missing templates raise {@link TemplateDoesNotExist} (a {@link TemplateSyntaxError}
 * subclass) naming the directories searched. Names that would resolve outside every template
 * dir (`../secret`, absolute paths) are treated as missing.
 */
export class TemplateLoader {
  readonly #dirs: readonly string[];
  readonly #memory: ReadonlyMap<string, string>;
  readonly #reload: boolean;
  readonly #urlFor: TemplateLoaderOptions["urlFor"];
  readonly #i18n: Pick<
    CompileHost,
    "language" | "translations" | "staticUrl" | "mediaUrl" | "timeZone" | "locale" | "debug"
  >;
  readonly #loopMemo: boolean;
  readonly #fragmentCaches: ReadonlyMap<string, FragmentCache>;
  readonly #sources = new Map<string, SourceFile>();
  readonly #templates = new Map<string, CacheEntry>();

  constructor(options: TemplateLoaderOptions) {
    this.#dirs = options.dirs.map((d) => resolve(d));
    this.#memory = new Map(Object.entries(options.templates ?? {}));
    this.#reload = options.reload ?? false;
    this.#urlFor = options.urlFor;
    this.#i18n = {
      language: options.language ?? "en-us",
      translations: new Translations(options.localeDirs ?? []),
      staticUrl: scriptPrefixed(options.staticUrl ?? "/static/"),
      mediaUrl: scriptPrefixed(options.mediaUrl ?? ""),
      timeZone: options.timeZone ?? "UTC",
      locale: options.locale ?? options.language ?? "en-us",
      debug: options.debug ?? false,
    };
    this.#loopMemo = options.loopMemo ?? true;
    this.#fragmentCaches = fragmentCaches(options.fragmentCaches);
  }

  /**
   * The compiled template `name` (a path relative to one of the dirs). Cached; with
   * `reload: true` it is recompiled when one of its files changed.
   *
   * @throws TemplateSyntaxError (or its subclass TemplateDoesNotExist) when it cannot compile.
   */
  get(name: string): Template {
    const cached = this.#templates.get(name);
    if (cached !== undefined && (!this.#reload || this.#fresh(cached))) return cached.template;
    const files = new Map<string, number>();
    const source = this.#source(name, undefined, files);
    const template = compileTemplate(source.parsed, this.#host(files));
    this.#templates.set(name, { template, files });
    return template;
  }

  /**
   * Compiles a template from a string. `include`/`extends` in it resolve against the dirs.
   * Not cached: keep the returned template.
   *
   * @throws TemplateSyntaxError when it cannot compile.
   */
  fromString(source: string, name = "<string>"): Template {
    return compileTemplate(parseTemplate(source, name), this.#host(new Map()));
  }

  #host(files: Map<string, number>): CompileHost {
    return {
      load: (name: string, from: Pos) => this.#source(name, from, files).parsed,
      urlFor: this.#urlFor,
      loopMemo: this.#loopMemo,
      fragmentCaches: this.#fragmentCaches,
      ...this.#i18n,
    };
  }

  #fresh(entry: CacheEntry): boolean {
    for (const [path, mtimeMs] of entry.files) {
      if (mtimeOf(path) !== mtimeMs) return false;
    }
    return true;
  }

  #source(name: string, from: Pos | undefined, files: Map<string, number>): SourceFile {
    const tried: string[] = [];
    const text = this.#memory.get(name);
    if (text !== undefined) {
      const key = "\0memory:" + name;
      let file = this.#sources.get(key);
      if (file === undefined) {
        file = { path: key, mtimeMs: 0, parsed: parseTemplate(text, name) };
        this.#sources.set(key, file);
      }
      return file;
    }
    for (const dir of this.#dirs) {
      tried.push(dir);
      const path = safeJoin(dir, name);
      if (path === undefined) continue;
      const mtimeMs = mtimeOf(path);
      if (mtimeMs === undefined) continue;
      let file = this.#sources.get(path);
      if (file === undefined || file.mtimeMs !== mtimeMs) {
        let text: string;
        try {
          text = readFileSync(path, "utf8");
        } catch {
          continue;
        }
        file = { path, mtimeMs, parsed: parseTemplate(text, name) };
        this.#sources.set(path, file);
      }
      files.set(path, file.mtimeMs);
      return file;
    }
    const location = from === undefined ? { templateName: name } : from.map.locate(from.offset);
    throw new TemplateDoesNotExist(name, tried, location);
  }
}

// Django's settings: a relative STATIC_URL/MEDIA_URL is served under the script prefix.
function scriptPrefixed(url: string): string {
  return /^(https?:\/\/|\/)/.test(url) ? url : "/" + url;
}

function mtimeOf(path: string): number | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

// Django's safe_join: the joined path must stay inside `dir`.
function safeJoin(dir: string, name: string): string | undefined {
  if (name.includes("\0") || isAbsolute(name)) return undefined;
  const full = resolve(dir, name);
  const rel = relative(dir, full);
  if (rel === "" || rel === ".." || rel.startsWith(".." + sep) || isAbsolute(rel)) return undefined;
  return full;
}
