/**
 * Django's language information (`django.conf.locale.LANG_INFO`, `get_language_info`): what the
 * `language_name`/`language_name_local`/`language_bidi`/`language_name_translated` filters and the
 * `get_language_info`/`get_language_info_list` tags show.
 * @module
 */
import { LANG_INFO, LOCALES } from "./locale-data.js";

/** What Django's `get_language_info(code)` returns. */
export interface LanguageInfo {
  readonly code: string;
  readonly name: string;
  readonly name_local: string;
  readonly bidi: boolean;
  /** The English name translated into the active language (Django's catalogs). */
  readonly name_translated: string;
}

/** Django's `gettext(englishName)` for the locales whose catalogs locale-data.ts carries. */
export function translateLanguageName(name: string, locale: string): string {
  const key = locale.replace("_", "-").toLowerCase();
  const data = LOCALES[key] ?? LOCALES[key.split("-")[0] as string];
  return data?.languageNames?.[name] ?? name;
}

/**
 * Django's `get_language_info`: the entry of `code`, following fallbacks (`zh-cn` → `zh-hans`)
 * and then the generic code (`de-at` → `de`).
 * @throws RangeError for an unknown code (Django's KeyError).
 */
export function languageInfo(code: string, locale: string): LanguageInfo {
  let entry = LANG_INFO[code];
  let found = code;
  if (entry !== undefined && !Array.isArray(entry)) {
    found = (entry as { fallback: string }).fallback;
    entry = LANG_INFO[found];
  }
  if (entry === undefined) {
    const generic = code.split("-")[0] as string;
    if (!code.includes("-") || !Array.isArray(LANG_INFO[generic]))
      throw new RangeError(`Unknown language code ${code}.`);
    found = generic;
    entry = LANG_INFO[generic];
  }
  const [name, nameLocal, bidi] = entry as readonly [string, string, boolean];
  return {
    code: found,
    name,
    name_local: nameLocal,
    bidi,
    name_translated: translateLanguageName(name, locale),
  };
}
