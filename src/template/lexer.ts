/**
 * Splits a DTL source into text, `{{ variable }}` and `{% block %}` tokens. `{# #}` comments,
 * `{% comment %}` blocks and `{% verbatim %}` sections are resolved here, so the parser never
 * sees their contents. {@link splitBits} splits a block tag's contents into words.
 * @module
 */
import { TemplateSyntaxError, type SourceLocation } from "./errors.js";

/** A lexed token. Offsets index the original source. */
export type Token =
  | { readonly kind: "text"; readonly value: string; readonly start: number }
  | {
      readonly kind: "var" | "block";
      /** Contents between the delimiters, trimmed. */
      readonly contents: string;
      /** Offset of `contents[0]` in the source (or of the closing delimiter when empty). */
      readonly contentStart: number;
      /** Offset of the opening delimiter. */
      readonly start: number;
    };

/** Maps source offsets to line/column and builds error locations. */
export class SourceMap {
  readonly #lineStarts: number[] = [0];
  /**
   * Libraries (`i18n`, `tz`, `l10n`) and names (`{% load x from lib %}`) loaded so far while
   * parsing this template: their filters are only known after the `{% load %}`, as in Django.
   */
  readonly loaded = new Set<string>();

  constructor(
    readonly templateName: string,
    readonly source: string,
  ) {
    for (let i = 0; i < source.length; i++) {
      if (source.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
    }
  }

  /** The location of `offset`, with the text of its line for the error excerpt. */
  locate(offset: number): SourceLocation {
    const starts = this.#lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = starts[lo] as number;
    const next = starts[lo + 1];
    const lineEnd = next === undefined ? this.source.length : next - 1;
    return {
      templateName: this.templateName,
      line: lo + 1,
      column: offset - lineStart + 1,
      lineText: this.source.slice(lineStart, lineEnd).replace(/\r$/, ""),
    };
  }

  /** A syntax error at `offset`. */
  error(reason: string, offset: number): TemplateSyntaxError {
    return new TemplateSyntaxError(reason, this.locate(offset));
  }
}

const CLOSERS: Readonly<Record<string, string>> = { "{": "}}", "%": "%}", "#": "#}" };

/**
 * Tokenizes `source` as Django's lexer does: a tag runs from its opener to the first closer on
 * the same line; an opener without one (`{{ x %}`, `{{ x` then a newline) is plain text.
 */
export function tokenize(map: SourceMap): Token[] {
  const src = map.source;
  const tokens: Token[] = [];
  let pos = 0;
  let textStart = 0;
  const flushText = (end: number) => {
    if (end > textStart)
      tokens.push({ kind: "text", value: src.slice(textStart, end), start: textStart });
  };
  while (pos < src.length) {
    const open = src.indexOf("{", pos);
    if (open < 0 || open + 1 >= src.length) break;
    const kindChar = src[open + 1] as string;
    const closer = CLOSERS[kindChar];
    if (closer === undefined) {
      pos = open + 1;
      continue;
    }
    const close = src.indexOf(closer, open + 2);
    const newline = src.indexOf("\n", open + 2);
    if (close < 0 || (newline >= 0 && newline < close)) {
      pos = open + 1;
      continue;
    }
    flushText(open);
    const raw = src.slice(open + 2, close);
    const lead = raw.length - raw.trimStart().length;
    const contents = raw.trim();
    const contentStart = contents === "" ? close : open + 2 + lead;
    pos = close + 2;
    textStart = pos;
    if (kindChar === "#") continue;
    if (kindChar === "{") {
      tokens.push({ kind: "var", contents, contentStart, start: open });
      continue;
    }
    const word = contents.split(/\s+/, 1)[0] ?? "";
    if (word === "verbatim" || word === "comment") {
      // Both swallow everything up to their end tag, template syntax included.
      const suffix = word === "verbatim" ? contents.slice("verbatim".length).trim() : "";
      const endRe =
        word === "verbatim"
          ? new RegExp(
              `\\{%\\s*endverbatim${suffix ? "\\s+" + escapeRegExp(suffix) : ""}\\s*%\\}`,
              "g",
            )
          : /\{%\s*endcomment\s*%\}/g;
      endRe.lastIndex = pos;
      const end = endRe.exec(src);
      if (end === null) {
        throw map.error(`unclosed tag '${word}': expected 'end${word}'`, open);
      }
      if (word === "verbatim" && end.index > pos) {
        tokens.push({ kind: "text", value: src.slice(pos, end.index), start: pos });
      }
      pos = end.index + end[0].length;
      textStart = pos;
      continue;
    }
    tokens.push({ kind: "block", contents, contentStart, start: open });
  }
  flushText(src.length);
  return tokens;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A word of a block tag's contents, with its offset in the source. */
export interface Bit {
  readonly text: string;
  readonly offset: number;
}

/** Splits tag contents at whitespace, keeping quoted strings (with spaces) together. */
export function splitBits(contents: string, offset: number): Bit[] {
  const bits: Bit[] = [];
  let i = 0;
  while (i < contents.length) {
    while (i < contents.length && /\s/.test(contents[i] as string)) i++;
    if (i >= contents.length) break;
    const start = i;
    while (i < contents.length && !/\s/.test(contents[i] as string)) {
      const ch = contents[i] as string;
      if (ch === '"' || ch === "'") {
        i++;
        while (i < contents.length && contents[i] !== ch) i += contents[i] === "\\" ? 2 : 1;
      }
      i++;
    }
    i = Math.min(i, contents.length);
    bits.push({ text: contents.slice(start, i), offset: offset + start });
  }
  return bits;
}
