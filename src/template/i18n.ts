/**
 * Translations for `{% trans %}`/`{% blocktrans %}`: gettext `.po` catalogs, read with the
 * `gettext-parser` package, looked up like Django's: by language (`de-at` falls back to `de`),
 * by message context, with the catalog's own plural rule. Catalogs come from locale dirs laid out
 * as Django's `LOCALE_PATHS` and each app's `locale/`: `<dir>/<lang>/LC_MESSAGES/*.po`, the dirs
 * given first winning.
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { po, type GetTextTranslations } from "gettext-parser";

interface Catalog {
  /** `context\u0004msgid` (or `msgid`) → plural forms. */
  readonly messages: Map<string, readonly string[]>;
  readonly plural: (n: number) => number;
}

const germanic = (n: number) => (n === 1 ? 0 : 1);

/** The plural rule of a `Plural-Forms` header (`nplurals=3; plural=(n%10==1 ? 0 : ...)`). */
export function pluralRule(header: string | undefined): (n: number) => number {
  const m = header === undefined ? null : /plural\s*=\s*([^;]+)/.exec(header);
  if (m === null) return germanic;
  const expr = (m[1] as string).trim();
  // Only the C subset gettext rules use: n, integers, operators and parentheses.
  if (!/^[n0-9\s()?:<>=!%&|+\-*/]+$/.test(expr)) return germanic;
  try {
    const fn = new Function("n", `return +(${expr});`) as (n: number) => number;
    fn(1);
    return (n) => fn(Math.abs(Math.trunc(n)));
  } catch {
    return germanic;
  }
}

/** Normalizes a language code as Django does (`en_US`, `EN-us` → `en-us`). */
export function normalizeLanguage(code: string): string {
  return code.replace(/_/g, "-").toLowerCase();
}

/** Parses one `.po` text into a catalog (fuzzy and untranslated entries are left out). */
export function parseCatalog(text: string | Buffer): Catalog {
  const parsed: GetTextTranslations = po.parse(text);
  const messages = new Map<string, readonly string[]>();
  for (const [ctx, entries] of Object.entries(parsed.translations)) {
    for (const [msgid, entry] of Object.entries(entries)) {
      if (msgid === "") continue;
      const comments = (entry as { comments?: { flag?: string } }).comments;
      if (comments?.flag?.includes("fuzzy") === true) continue;
      if (entry.msgstr.every((s) => s === "")) continue;
      messages.set(ctx === "" ? msgid : `${ctx}\u0004${msgid}`, entry.msgstr);
    }
  }
  return { messages, plural: pluralRule(parsed.headers["Plural-Forms"]) };
}

/** The catalogs of every language found in some locale dirs. */
export class Translations {
  readonly #byLanguage = new Map<string, Catalog[]>();

  constructor(localeDirs: readonly string[] = []) {
    for (const dir of localeDirs) {
      let langs: string[];
      try {
        langs = readdirSync(dir);
      } catch {
        continue;
      }
      for (const lang of langs) {
        const messagesDir = join(dir, lang, "LC_MESSAGES");
        let files: string[];
        try {
          files = readdirSync(messagesDir).filter((f) => f.endsWith(".po"));
        } catch {
          continue;
        }
        for (const file of files.sort()) {
          this.add(lang, parseCatalog(readFileSync(join(messagesDir, file))));
        }
      }
    }
  }

  /** Adds a catalog for `language` (after, so below, those already added). */
  add(language: string, catalog: Catalog): void {
    const key = normalizeLanguage(language);
    const list = this.#byLanguage.get(key);
    if (list === undefined) this.#byLanguage.set(key, [catalog]);
    else list.push(catalog);
  }

  /** Django's gettext/pgettext/ngettext/npgettext for `language`. */
  translate(
    language: string,
    msgid: string,
    options: { context?: string; plural?: string; count?: number } = {},
  ): string {
    const lang = normalizeLanguage(language);
    const key = options.context === undefined ? msgid : `${options.context}\u0004${msgid}`;
    const candidates = [lang];
    const dash = lang.indexOf("-");
    if (dash > 0) candidates.push(lang.slice(0, dash));
    for (const l of candidates) {
      for (const catalog of this.#byLanguage.get(l) ?? []) {
        const forms = catalog.messages.get(key);
        if (forms === undefined) continue;
        const index = options.count === undefined ? 0 : catalog.plural(options.count);
        const form = forms[index] ?? forms[0];
        if (form !== undefined && form !== "") return form;
      }
    }
    if (options.plural !== undefined && options.count !== undefined)
      return options.count === 1 ? msgid : options.plural;
    return msgid;
  }
}

/** Right-to-left languages, as in Django's `LANGUAGES_BIDI`. */
export const BIDI_LANGUAGES: ReadonlySet<string> = new Set(["he", "ar", "ar-dz", "fa", "ur"]);
