/**
 * Parses DTL expressions: `primary|filter:arg` (a literal or a dotted variable, then filters
 * whose names and argument counts are checked here) and `{% if %}` conditions with Django's
 * operator precedence. Every error carries its source position.
 * @module
 */
import type { CompareOp, Condition, FilterCall, FilterExpr, Primary } from "./ast.js";
import { FILTER_LIBRARY, getFilter } from "./filters.js";
import type { Bit, SourceMap } from "./lexer.js";
import { markSafe } from "./safe.js";

/** How deep tags, and operators within one `if` condition, may nest. */
export const MAX_NESTING = 200;

const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/;
const IDENT_RE = /^[\p{L}\p{N}_]+(\.[\p{L}\p{N}_]+)*/u;

/** Parses a whole `primary|filter:arg...` expression; `offset` is where `text` starts. */
export function parseFilterExpr(map: SourceMap, text: string, offset: number): FilterExpr {
  let i = 0;
  const primary = parsePrimary(map, text, 0, offset);
  i = primary.end;
  const filters: FilterCall[] = [];
  for (;;) {
    let j = i;
    while (j < text.length && /\s/.test(text[j] as string)) j++;
    if (j >= text.length) {
      i = j;
      break;
    }
    if (text[j] !== "|") break;
    j++;
    while (j < text.length && /\s/.test(text[j] as string)) j++;
    const m = /^\w+/.exec(text.slice(j));
    if (m === null) throw map.error("expected a filter name after '|'", offset + j);
    const name = m[0];
    const spec = getFilter(name);
    const library = FILTER_LIBRARY[name];
    if (
      spec === undefined ||
      (library !== undefined && !map.loaded.has(library) && !map.loaded.has(name))
    )
      throw map.error(
        library === undefined
          ? `unknown filter '${name}'`
          : `unknown filter '${name}' (it needs {% load ${library} %})`,
        offset + j,
      );
    const nameAt = j;
    j += name.length;
    let arg: Primary | undefined;
    if (text[j] === ":") {
      if (j + 1 >= text.length || /\s/.test(text[j + 1] as string))
        throw map.error(`missing argument for filter '${name}'`, offset + j + 1);
      const parsed = parsePrimary(map, text, j + 1, offset);
      arg = parsed.primary;
      j = parsed.end;
    }
    if (spec.arg === "required" && arg === undefined) {
      throw map.error(`filter '${name}' requires an argument`, offset + nameAt);
    }
    if (spec.arg === "none" && arg !== undefined) {
      throw map.error(`filter '${name}' takes no argument`, offset + nameAt);
    }
    filters.push({ name, spec, arg });
    i = j;
  }
  if (i < text.length) {
    throw map.error(`could not parse the remainder: '${text.slice(i)}' from '${text}'`, offset + i);
  }
  return { primary: primary.primary, filters, pos: { map, offset } };
}

function parsePrimary(
  map: SourceMap,
  text: string,
  start: number,
  base: number,
): { primary: Primary; end: number } {
  const rest = text.slice(start);
  const q = rest[0];
  const translated = rest.startsWith("_(") ? 2 : 0;
  const quote = translated ? rest[2] : q;
  if (quote === '"' || quote === "'") {
    let j = translated + 1;
    while (j < rest.length && rest[j] !== quote) j += rest[j] === "\\" ? 2 : 1;
    if (j >= rest.length) throw map.error("unterminated string literal", base + start);
    const body = rest.slice(translated + 1, j);
    let end = j + 1;
    if (translated) {
      if (rest[end] !== ")")
        throw map.error("expected ')' after translated string", base + start + end);
      end++;
    }
    const value = body.split(`\\${quote}`).join(quote).split("\\\\").join("\\");
    // Django marks string literals in templates safe: the template author wrote them.
    return { primary: { kind: "literal", value: markSafe(value) }, end: start + end };
  }
  const num = NUMBER_RE.exec(rest);
  // Django reads a word of letters, digits and dots as a number only when all of it is one:
  // `1.2.3` is the lookup 1 → 2 → 3.
  if (num !== null && !/^[\p{L}_]|^\.[\p{L}\p{N}_]/u.test(rest.slice(num[0].length))) {
    const t = num[0];
    const value = /[.eE]/.test(t) ? Number(t) : Number.parseInt(t, 10);
    return { primary: { kind: "literal", value }, end: start + t.length };
  }
  const id = IDENT_RE.exec(rest);
  if (id === null) {
    throw map.error(
      rest === "" ? "expected a variable or a literal" : `could not parse '${rest}'`,
      base + start,
    );
  }
  const path = id[0].split(".");
  if (path.some((p) => p.startsWith("_"))) {
    throw map.error(
      `variables and attributes may not begin with underscores: '${id[0]}'`,
      base + start,
    );
  }
  const end = start + id[0].length;
  if (path.length === 1) {
    if (id[0] === "True") return { primary: { kind: "literal", value: true }, end };
    if (id[0] === "False") return { primary: { kind: "literal", value: false }, end };
    if (id[0] === "None") return { primary: { kind: "literal", value: null }, end };
  }
  return { primary: { kind: "var", path, pos: { map, offset: base + start } }, end };
}

/** Parses the words of an `if`/`elif` condition with Django's precedence. */
export function parseCondition(map: SourceMap, bits: Bit[], tag: Bit): Condition {
  interface Tok {
    readonly op: string | undefined;
    readonly bit: Bit;
  }
  const OPS = new Set(["and", "or", "not", "in", "is", "==", "!=", "<", ">", "<=", ">="]);
  const toks: Tok[] = [];
  for (let k = 0; k < bits.length; k++) {
    const bit = bits[k] as Bit;
    const next = bits[k + 1];
    if (bit.text === "not" && next?.text === "in") {
      toks.push({ op: "not in", bit });
      k++;
    } else if (bit.text === "is" && next?.text === "not") {
      toks.push({ op: "is not", bit });
      k++;
    } else toks.push({ op: OPS.has(bit.text) ? bit.text : undefined, bit });
  }
  const lbp = (op: string | undefined): number => {
    if (op === undefined) return 0;
    if (op === "or") return 6;
    if (op === "and") return 7;
    if (op === "not") return 8;
    return 10;
  };
  let k = 0;
  const endOffset = tag.offset + tag.text.length;
  let depth = 0;
  const expression = (rbp: number): Condition => {
    if (++depth > MAX_NESTING)
      throw map.error(`'${tag.text}' expression is nested too deeply`, tag.offset);
    try {
      return parseExpression(rbp);
    } finally {
      depth--;
    }
  };
  const parseExpression = (rbp: number): Condition => {
    const t = toks[k++];
    if (t === undefined)
      throw map.error(`unexpected end of expression in '${tag.text}' tag`, endOffset);
    let left: Condition;
    if (t.op === "not") left = { kind: "not", operand: expression(8) };
    else if (t.op !== undefined) {
      throw map.error(
        `not expecting '${t.op}' in this position in '${tag.text}' tag`,
        t.bit.offset,
      );
    } else left = { kind: "value", expr: parseFilterExpr(map, t.bit.text, t.bit.offset) };
    for (;;) {
      const n = toks[k];
      if (n === undefined || rbp >= lbp(n.op)) break;
      k++;
      if (n.op === "not")
        throw map.error(`not expecting 'not' as infix operator in '${tag.text}' tag`, n.bit.offset);
      const right = expression(lbp(n.op));
      if (n.op === "and" || n.op === "or") left = { kind: n.op, left, right };
      else left = { kind: "compare", op: n.op as CompareOp, left, right };
    }
    return left;
  };
  const cond = expression(0);
  const unused = toks[k];
  if (unused !== undefined) {
    throw map.error(
      `unused '${unused.bit.text}' at end of '${tag.text}' expression`,
      unused.bit.offset,
    );
  }
  return cond;
}
