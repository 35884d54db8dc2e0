/**
 * Parses lexed DTL tokens into the AST of `ast.ts`: the node structure and every tag's words.
 * Expressions within tags are parsed by `expression.ts`. Every syntax error surfaces at compile
 * time with its position.
 * @module
 */
import type {
  BlockNode,
  Binding,
  Condition,
  FilterExpr,
  Node,
  ParsedTemplate,
  Pos,
} from "./ast.js";
import type { TemplateSyntaxError } from "./errors.js";
import { MAX_NESTING, parseCondition, parseFilterExpr } from "./expression.js";
import { SourceMap, splitBits, tokenize, type Bit, type Token } from "./lexer.js";
import type { CustomTagNode, TagSpec } from "./ast.js";
import { getTag } from "./custom-tags.js";
import { lorem } from "./lorem.js";
import { isTimeZone } from "./dateformat.js";
import { unwrap } from "./values.js";
import { querystringTag } from "./builtin-tags.js";

const END_TAGS = new Set([
  "elif",
  "else",
  "endif",
  "empty",
  "endfor",
  "endwith",
  "endblock",
  "endspaceless",
  "endautoescape",
  "endverbatim",
  "endcomment",
  "endfilter",
  "endifchanged",
  "endcache",
  "plural",
  "endblocktrans",
  "endblocktranslate",
  "endlanguage",
  "endlocalize",
  "endlocaltime",
  "endtimezone",
]);

/** The block tags the parser knows (their end and middle tags included). */
const TAGS = new Set([
  ...END_TAGS,
  "if",
  "for",
  "with",
  "include",
  "extends",
  "block",
  "csrf_token",
  "load",
  "firstof",
  "cycle",
  "now",
  "url",
  "spaceless",
  "autoescape",
  "verbatim",
  "comment",
  "widthratio",
  "templatetag",
  "ifchanged",
  "regroup",
  "filter",
  "lorem",
  "resetcycle",
  "static",
  "get_static_prefix",
  "get_media_prefix",
  "trans",
  "translate",
  "blocktrans",
  "blocktranslate",
  "language",
  "get_current_language",
  "get_current_language_bidi",
  "get_available_languages",
  "localize",
  "localtime",
  "timezone",
  "get_current_timezone",
  "get_language_info",
  "get_language_info_list",
  "debug",
  "querystring",
  "cache",
]);

const TEMPLATETAG: Readonly<Record<string, string>> = {
  openblock: "{%",
  closeblock: "%}",
  openvariable: "{{",
  closevariable: "}}",
  openbrace: "{",
  closebrace: "}",
  opencomment: "{#",
  closecomment: "#}",
};

/** Names of the block tags templates can use. */
export function tagNames(): string[] {
  return [...TAGS];
}

/** Parses `source` into an AST. Throws only {@link TemplateSyntaxError}. */
export function parseTemplate(source: string, name: string): ParsedTemplate {
  const map = new SourceMap(name, source);
  return new Parser(map, tokenize(map)).parseTemplate();
}

class Parser {
  #i = 0;
  #depth = 0;
  #sawTag = false;
  #extends: { name: string; nameExpr?: FilterExpr; pos: Pos } | undefined;
  readonly #blocks = new Map<string, BlockNode>();
  // A `{% cycle name %}` reference is the named cycle itself, as in Django (one counter, the
  // definition's `silent` flag).
  readonly #namedCycles = new Map<
    string,
    { readonly state: object; readonly values: readonly FilterExpr[]; readonly silent: boolean }
  >();
  #lastCycle: object | undefined;

  constructor(
    readonly map: SourceMap,
    readonly tokens: readonly Token[],
  ) {}

  parseTemplate(): ParsedTemplate {
    const { nodes } = this.parseUntil([], undefined);
    return {
      name: this.map.templateName,
      map: this.map,
      nodes,
      extends: this.#extends,
      blocks: this.#blocks,
    };
  }

  error(reason: string, offset: number): TemplateSyntaxError {
    return this.map.error(reason, offset);
  }

  pos(offset: number): Pos {
    return { map: this.map, offset };
  }

  /**
   * Parses nodes until a block tag whose first word is in `ends`; returns that tag too.
   * `opener` names the tag being closed, for the "unclosed" error.
   */
  parseUntil(
    ends: readonly string[],
    opener: { tag: string; offset: number } | undefined,
  ): { nodes: Node[]; end: { word: string; bits: Bit[]; token: Token } | undefined } {
    const nodes: Node[] = [];
    // Deep enough for any real template; deeper input would exhaust the stack while compiling.
    if (opener !== undefined && ++this.#depth > MAX_NESTING) {
      throw this.error(`tags nested more than ${MAX_NESTING} levels deep`, opener.offset);
    }
    try {
      return this.#parseNodes(nodes, ends, opener);
    } finally {
      if (opener !== undefined) this.#depth--;
    }
  }

  #parseNodes(
    nodes: Node[],
    ends: readonly string[],
    opener: { tag: string; offset: number } | undefined,
  ): { nodes: Node[]; end: { word: string; bits: Bit[]; token: Token } | undefined } {
    while (this.#i < this.tokens.length) {
      const token = this.tokens[this.#i++] as Token;
      if (token.kind === "text") {
        const last = nodes[nodes.length - 1];
        if (last?.kind === "text")
          nodes[nodes.length - 1] = { kind: "text", text: last.text + token.value };
        else nodes.push({ kind: "text", text: token.value });
        continue;
      }
      if (token.kind === "var") {
        this.#sawTag = true;
        if (token.contents === "") throw this.error("empty variable tag '{{ }}'", token.start);
        nodes.push({
          kind: "output",
          expr: parseFilterExpr(this.map, token.contents, token.contentStart),
          pos: this.pos(token.start),
        });
        continue;
      }
      if (token.contents === "") throw this.error("empty block tag '{% %}'", token.start);
      const bits = splitBits(token.contents, token.contentStart);
      const word = (bits[0] as Bit).text;
      if (ends.includes(word)) return { nodes, end: { word, bits, token } };
      if (word !== "extends") this.#sawTag = true;
      const node = this.parseTag(word, bits, token, ends, opener);
      if (node !== undefined) nodes.push(node);
    }
    if (opener !== undefined) {
      throw this.error(
        `unclosed tag '${opener.tag}': expected ${ends.map((e) => `'${e}'`).join(", ")}`,
        opener.offset,
      );
    }
    return { nodes, end: undefined };
  }

  parseTag(
    word: string,
    bits: Bit[],
    token: Token,
    ends: readonly string[],
    opener: { tag: string; offset: number } | undefined,
  ): Node | undefined {
    const at = token.start;
    switch (word) {
      case "if":
        return this.parseIf(bits, at);
      case "for":
        return this.parseFor(bits, at);
      case "with":
        return this.parseWith(bits, at);
      case "include":
        return this.parseInclude(bits, at);
      case "extends":
        return this.parseExtends(bits, at);
      case "block":
        return this.parseBlock(bits, at);
      case "csrf_token":
        this.noArgs(bits);
        return { kind: "csrf", pos: this.pos(at) };
      case "load": {
        // `{% load lib ... %}` or `{% load name ... from lib %}`: makes the library's filters
        // known from here on. Unknown libraries are accepted (tags and filters are global).
        const words = bits.slice(1).map((b) => b.text);
        const from = words.length >= 3 && words[words.length - 2] === "from";
        for (const w of from ? words.slice(0, -2) : words) this.map.loaded.add(w);
        return undefined;
      }
      case "firstof":
        return this.parseFirstof(bits, at);
      case "cycle":
        return this.parseCycle(bits, at);
      case "now":
        return this.parseNow(bits, at);
      case "url":
        return this.parseUrl(bits, at);
      case "widthratio":
        return this.parseWidthratio(bits, at);
      case "templatetag": {
        const arg = bits[1];
        const text = arg === undefined || bits.length !== 2 ? undefined : TEMPLATETAG[arg.text];
        if (text === undefined) {
          throw this.error(
            `'templatetag' takes one of: ${Object.keys(TEMPLATETAG).join(", ")}`,
            (arg ?? (bits[0] as Bit)).offset,
          );
        }
        return { kind: "text", text };
      }
      case "lorem":
        return this.parseLorem(bits, at);
      case "filter":
        return this.parseFilterTag(bits, at);
      case "ifchanged":
        return this.parseIfchanged(bits, at);
      case "cache":
        return this.parseCache(bits, at);
      case "regroup":
        return this.parseRegroup(bits, at);
      case "resetcycle":
        return this.parseResetcycle(bits, at);
      case "static": {
        const { args, asVar } = this.splitAs(bits.slice(1));
        const path = args[0];
        if (path === undefined || args.length !== 1)
          throw this.error("'static' takes at least one argument (path to file)", at);
        return {
          kind: "static",
          path: parseFilterExpr(this.map, path.text, path.offset),
          asVar,
          pos: this.pos(at),
        };
      }
      case "get_static_prefix":
      case "get_media_prefix":
        return this.parseEnvValue(
          bits,
          at,
          word === "get_static_prefix" ? "static_prefix" : "media_prefix",
          false,
        );
      case "get_current_language":
        return this.parseEnvValue(bits, at, "language", true);
      case "get_current_language_bidi":
        return this.parseEnvValue(bits, at, "language_bidi", true);
      case "get_available_languages":
        return this.parseEnvValue(bits, at, "available_languages", true);
      case "get_current_timezone":
        return this.parseEnvValue(bits, at, "timezone", true);
      case "get_language_info":
      case "get_language_info_list": {
        // Django: `{% get_language_info for code as name %}`, `..._list for codes as name`.
        if (bits.length !== 5 || (bits[1] as Bit).text !== "for" || (bits[3] as Bit).text !== "as")
          throw this.error(
            `'${word}' requires 'for ${word === "get_language_info" ? "string" : "sequence"} as variable' (got ${JSON.stringify(bits.slice(1).map((b) => b.text))})`,
            at,
          );
        const code = bits[2] as Bit;
        return {
          kind: "languageinfo",
          list: word === "get_language_info_list",
          code: parseFilterExpr(this.map, code.text, code.offset),
          asVar: this.asName(bits[4] as Bit),
          pos: this.pos(at),
        };
      }
      case "querystring": {
        const parsed = this.parseCustom("querystring", querystringTag(false, false), bits, at);
        if (parsed.args.length > 1)
          throw this.error(
            "'querystring' takes at most one positional argument (a query dict)",
            at,
          );
        return {
          ...parsed,
          spec: querystringTag(parsed.args.length === 1, parsed.kwargs.length > 0),
        };
      }
      case "debug":
        this.noArgs(bits);
        return { kind: "debug", pos: this.pos(at) };
      case "trans":
      case "translate":
        return this.parseTrans(bits, at);
      case "blocktrans":
      case "blocktranslate":
        return this.parseBlocktrans(word, bits, at);
      case "language": {
        const arg = bits[1];
        if (arg === undefined || bits.length !== 2)
          throw this.error("'language' takes one argument (language)", at);
        const lang = this.literalOrExpr(arg);
        const { nodes } = this.parseUntil(["endlanguage"], { tag: "language", offset: at });
        return typeof lang === "string"
          ? { kind: "scope", language: lang, body: nodes, pos: this.pos(at) }
          : { kind: "scope", languageExpr: lang, body: nodes, pos: this.pos(at) };
      }
      case "localize": {
        const arg = bits[1];
        if (bits.length > 2 || (arg !== undefined && arg.text !== "on" && arg.text !== "off"))
          throw this.error("'localize' takes either 'on' or 'off'", at);
        const { nodes } = this.parseUntil(["endlocalize"], { tag: "localize", offset: at });
        return { kind: "scope", localize: arg?.text !== "off", body: nodes, pos: this.pos(at) };
      }
      case "localtime": {
        const arg = bits[1];
        if (bits.length > 2 || (arg !== undefined && arg.text !== "on" && arg.text !== "off"))
          throw this.error("'localtime' takes either 'on' or 'off'", at);
        const { nodes } = this.parseUntil(["endlocaltime"], { tag: "localtime", offset: at });
        // Off: dates keep their own zone, which for a JS Date is UTC.
        return arg?.text === "off"
          ? { kind: "scope", timeZone: "UTC", body: nodes, pos: this.pos(at) }
          : { kind: "scope", body: nodes, pos: this.pos(at) };
      }
      case "timezone": {
        const arg = bits[1];
        if (arg === undefined || bits.length !== 2)
          throw this.error("'timezone' takes one argument (timezone)", at);
        const tz = this.literalOrExpr(arg);
        if (typeof tz === "string" && !isTimeZone(tz))
          throw this.error(`'timezone': unknown time zone '${tz}'`, arg.offset);
        const { nodes } = this.parseUntil(["endtimezone"], { tag: "timezone", offset: at });
        return typeof tz === "string"
          ? { kind: "scope", timeZone: tz, body: nodes, pos: this.pos(at) }
          : { kind: "scope", timeZoneExpr: tz, body: nodes, pos: this.pos(at) };
      }
      case "spaceless": {
        this.noArgs(bits);
        const { nodes } = this.parseUntil(["endspaceless"], { tag: "spaceless", offset: at });
        return { kind: "spaceless", body: nodes, pos: this.pos(at) };
      }
      case "autoescape": {
        const arg = bits[1];
        if (bits.length !== 2 || arg === undefined || (arg.text !== "on" && arg.text !== "off")) {
          throw this.error(
            "'autoescape' argument should be 'on' or 'off'",
            (arg ?? (bits[0] as Bit)).offset,
          );
        }
        const { nodes } = this.parseUntil(["endautoescape"], { tag: "autoescape", offset: at });
        return { kind: "autoescape", on: arg.text === "on", body: nodes, pos: this.pos(at) };
      }
      default: {
        const custom = getTag(word);
        if (custom !== undefined) return this.parseCustom(word, custom, bits, at);
        if (END_TAGS.has(word) && opener !== undefined) {
          throw this.error(
            `invalid block tag '${word}' inside '${opener.tag}': expected ${ends.map((e) => `'${e}'`).join(", ")}`,
            at,
          );
        }
        if (END_TAGS.has(word))
          throw this.error(`unexpected '${word}' without a matching opening tag`, at);
        throw this.error(`unknown tag '${word}'`, at);
      }
    }
  }

  /** `{% name arg key=value ... as var %}` of a tag registered with registerTag. */
  parseCustom(name: string, spec: TagSpec, bits: Bit[], at: number): CustomTagNode {
    const { args, asVar } = this.splitAs(bits.slice(1));
    const positional: FilterExpr[] = [];
    const kwargs: { name: string; expr: FilterExpr }[] = [];
    for (const bit of args) {
      const m = /^(\w+)=(.+)$/s.exec(bit.text);
      if (spec.flags?.includes(bit.text) === true) {
        kwargs.push({ name: bit.text, expr: parseFilterExpr(this.map, "True", bit.offset) });
      } else if (m !== null) {
        const key = m[1] as string;
        kwargs.push({
          name: key,
          expr: parseFilterExpr(this.map, m[2] as string, bit.offset + key.length + 1),
        });
      } else if (kwargs.length > 0) {
        throw this.error(
          `'${name}' got a positional argument after a keyword argument`,
          bit.offset,
        );
      } else positional.push(parseFilterExpr(this.map, bit.text, bit.offset));
    }
    return { kind: "custom", name, spec, args: positional, kwargs, asVar, pos: this.pos(at) };
  }

  noArgs(bits: Bit[]): void {
    const extra = bits[1];
    if (extra !== undefined)
      throw this.error(`'${(bits[0] as Bit).text}' takes no arguments`, extra.offset);
  }

  parseIf(bits: Bit[], at: number): Node {
    const branches: { condition: Condition | null; body: Node[] }[] = [];
    let condition: Condition | null = parseCondition(this.map, bits.slice(1), bits[0] as Bit);
    let opener = { tag: "if", offset: at };
    for (;;) {
      const { nodes, end } = this.parseUntil(
        condition === null ? ["endif"] : ["elif", "else", "endif"],
        opener,
      );
      branches.push({ condition, body: nodes });
      const e = end as NonNullable<typeof end>;
      if (e.word === "endif") {
        this.noArgs(e.bits);
        break;
      }
      opener = { tag: e.word, offset: e.token.start };
      if (e.word === "elif")
        condition = parseCondition(this.map, e.bits.slice(1), e.bits[0] as Bit);
      else {
        this.noArgs(e.bits);
        condition = null;
      }
    }
    return { kind: "if", branches, pos: this.pos(at) };
  }

  parseFor(bits: Bit[], at: number): Node {
    const head = bits[0] as Bit;
    if (bits.length < 4) {
      throw this.error("'for' statements should have at least four words: for x in y", head.offset);
    }
    const isReversed = (bits[bits.length - 1] as Bit).text === "reversed";
    const inIndex = bits.length - (isReversed ? 3 : 2);
    const inBit = bits[inIndex] as Bit;
    if (inBit.text !== "in") {
      throw this.error(
        `'for' statements should use the format 'for x in y': found '${inBit.text}'`,
        inBit.offset,
      );
    }
    const targetBits = bits.slice(1, inIndex);
    const targets = targetBits
      .map((b) => b.text)
      .join(" ")
      .split(/ *, */);
    for (const target of targets) {
      if (!/^[\p{L}\p{N}_]+$/u.test(target) || target.startsWith("_")) {
        throw this.error(
          `'for' tag received an invalid argument: '${target}'`,
          (targetBits[0] as Bit).offset,
        );
      }
    }
    const iterBit = bits[inIndex + 1] as Bit;
    const iterable = parseFilterExpr(this.map, iterBit.text, iterBit.offset);
    const first = this.parseUntil(["empty", "endfor"], { tag: "for", offset: at });
    let empty: Node[] | null = null;
    const end = first.end as NonNullable<typeof first.end>;
    this.noArgs(end.bits);
    if (end.word === "empty") {
      const rest = this.parseUntil(["endfor"], { tag: "empty", offset: end.token.start });
      this.noArgs((rest.end as NonNullable<typeof rest.end>).bits);
      empty = rest.nodes;
    }
    return {
      kind: "for",
      targets,
      iterable,
      reversed: isReversed,
      body: first.nodes,
      empty,
      pos: this.pos(at),
    };
  }

  /** `a=b c=d` (or, when `legacy`, `b as a and d as c`) into bindings. */
  parseBindings(bits: Bit[], legacy: boolean): Binding[] {
    if (legacy && bits.length >= 3 && (bits[1] as Bit).text === "as") {
      const out: Binding[] = [];
      for (let k = 0; ; k += 4) {
        const [value, as, name, and] = bits.slice(k, k + 4);
        if (value === undefined || as?.text !== "as" || name === undefined)
          throw this.error("expected 'value as name'", (value ?? (bits[k - 1] as Bit)).offset);
        if (!/^[\p{L}\p{N}_]+$/u.test(name.text) || name.text.startsWith("_")) {
          throw this.error(`invalid variable name '${name.text}'`, name.offset);
        }
        out.push({ name: name.text, expr: parseFilterExpr(this.map, value.text, value.offset) });
        if (and === undefined) return out;
        if (and.text !== "and") throw this.error(`expected 'and', got '${and.text}'`, and.offset);
      }
    }
    const out: Binding[] = [];
    for (const bit of bits) {
      const m = /^([\p{L}\p{N}_]+)=/u.exec(bit.text);
      if (m === null || (m[1] as string).startsWith("_")) {
        throw this.error(`expected 'name=value', got '${bit.text}'`, bit.offset);
      }
      const name = m[1] as string;
      if (bit.text.length === m[0].length)
        throw this.error(`missing value for '${name}'`, bit.offset + m[0].length);
      out.push({
        name,
        expr: parseFilterExpr(this.map, bit.text.slice(m[0].length), bit.offset + m[0].length),
      });
    }
    return out;
  }

  parseWith(bits: Bit[], at: number): Node {
    if (bits.length < 2) throw this.error("'with' expected at least one variable assignment", at);
    const bindings = this.parseBindings(bits.slice(1), true);
    const { nodes, end } = this.parseUntil(["endwith"], { tag: "with", offset: at });
    this.noArgs((end as NonNullable<typeof end>).bits);
    return { kind: "with", bindings, body: nodes, pos: this.pos(at) };
  }

  literalName(bit: Bit | undefined, tag: string, at: number): string {
    if (bit === undefined) throw this.error(`'${tag}' takes one argument: the template name`, at);
    const m = /^(["'])(.*)\1$/s.exec(bit.text);
    if (m === null) {
      throw this.error(
        `'${tag}' needs a quoted template name; variable template names are not supported`,
        bit.offset,
      );
    }
    const name = m[2] as string;
    if (name === "") throw this.error(`'${tag}' got an empty template name`, bit.offset);
    return name;
  }

  /** A template name given as a variable or filtered expression (Django resolves it when rendering). */
  templateNameExpr(bit: Bit | undefined): FilterExpr | undefined {
    if (bit === undefined) return undefined;
    const expr = parseFilterExpr(this.map, bit.text, bit.offset);
    // A bare string literal is compiled in; `'name'|cut:' '` is resolved like a variable.
    if (expr.filters.length === 0 && expr.primary.kind === "literal" && /^["']/.test(bit.text))
      return undefined;
    return expr;
  }

  parseInclude(bits: Bit[], at: number): Node {
    const nameExpr = this.templateNameExpr(bits[1]);
    const name = nameExpr === undefined ? this.literalName(bits[1], "include", at) : "";
    let bindings: Binding[] = [];
    let only = false;
    const seen = new Set<string>();
    const rest = bits.slice(2);
    while (rest.length > 0) {
      const option = rest.shift() as Bit;
      if (seen.has(option.text))
        throw this.error(`the '${option.text}' option was specified more than once`, option.offset);
      seen.add(option.text);
      if (option.text === "with") {
        const kw: Bit[] = [];
        while (rest.length > 0 && /^[\p{L}\p{N}_]+=/u.test((rest[0] as Bit).text))
          kw.push(rest.shift() as Bit);
        if (kw.length === 0)
          throw this.error(
            "'with' in 'include' tag needs at least one keyword argument",
            option.offset,
          );
        bindings = this.parseBindings(kw, false);
      } else if (option.text === "only") {
        only = true;
      } else {
        throw this.error(`unknown argument for 'include' tag: '${option.text}'`, option.offset);
      }
    }
    return nameExpr === undefined
      ? { kind: "include", name, bindings, only, pos: this.pos(at) }
      : { kind: "include", name, nameExpr, bindings, only, pos: this.pos(at) };
  }

  parseExtends(bits: Bit[], at: number): undefined {
    if (this.#sawTag || this.#extends !== undefined) {
      throw this.error("'extends' must be the first tag in the template", at);
    }
    this.#sawTag = true;
    if (bits.length !== 2)
      throw this.error("'extends' takes one argument: the parent template name", at);
    const nameExpr = this.templateNameExpr(bits[1]);
    this.#extends =
      nameExpr === undefined
        ? { name: this.literalName(bits[1], "extends", at), pos: this.pos(at) }
        : { name: "", nameExpr, pos: this.pos(at) };
    return undefined;
  }

  parseBlock(bits: Bit[], at: number): Node {
    const nameBit = bits[1];
    if (bits.length !== 2 || nameBit === undefined)
      throw this.error("'block' tag takes exactly one argument: its name", at);
    const name = nameBit.text;
    if (!/^[\p{L}\p{N}_-]+$/u.test(name))
      throw this.error(`invalid block name '${name}'`, nameBit.offset);
    if (this.#blocks.has(name))
      throw this.error(`'block' tag with name '${name}' appears more than once`, at);
    // Registered before parsing the body so a nested duplicate is caught too.
    const placeholder: BlockNode = { kind: "block", name, body: [], pos: this.pos(at) };
    this.#blocks.set(name, placeholder);
    const { nodes, end } = this.parseUntil(["endblock"], { tag: "block", offset: at });
    const e = end as NonNullable<typeof end>;
    const endName = e.bits[1];
    if (endName !== undefined && (endName.text !== name || e.bits.length > 2)) {
      throw this.error(`mismatched 'endblock': expected 'endblock ${name}'`, endName.offset);
    }
    const node: BlockNode = { kind: "block", name, body: nodes, pos: this.pos(at) };
    this.#blocks.set(name, node);
    return node;
  }

  /** A bare string literal's text, or the expression to evaluate when rendering. */
  literalOrExpr(bit: Bit): string | FilterExpr {
    const expr = parseFilterExpr(this.map, bit.text, bit.offset);
    const v = expr.primary.kind === "literal" ? unwrap(expr.primary.value) : undefined;
    return expr.filters.length === 0 && typeof v === "string" ? v : expr;
  }

  /** The name after `as`, which must be a plain variable name (Django accepts anything). */
  asName(bit: Bit): string {
    if (!/^[\p{L}\p{N}_]+$/u.test(bit.text) || bit.text.startsWith("_")) {
      throw this.error(`invalid variable name '${bit.text}'`, bit.offset);
    }
    return bit.text;
  }

  /** Splits a trailing `as name` off `args` (used by `firstof`, `cycle` and `url`). */
  splitAs(args: Bit[]): { args: Bit[]; asVar: string | undefined } {
    if (args.length >= 2 && (args[args.length - 2] as Bit).text === "as") {
      return { args: args.slice(0, -2), asVar: this.asName(args[args.length - 1] as Bit) };
    }
    return { args, asVar: undefined };
  }

  parseFirstof(bits: Bit[], at: number): Node {
    if (bits.length < 2) throw this.error("'firstof' expects at least one argument", at);
    // Django's test: `as` second to last, so `{% firstof as x %}` binds "" to x.
    const { args, asVar } = this.splitAs(bits.slice(1));
    return {
      kind: "firstof",
      exprs: args.map((b) => parseFilterExpr(this.map, b.text, b.offset)),
      asVar,
      pos: this.pos(at),
    };
  }

  parseCycle(bits: Bit[], at: number): Node {
    if (bits.length < 2) throw this.error("'cycle' tag requires at least one argument", at);
    if (bits.length === 2) {
      const ref = bits[1] as Bit;
      const named = this.#namedCycles.get(ref.text);
      if (named === undefined)
        throw this.error(`no named cycle '${ref.text}' is defined before this point`, ref.offset);
      return { kind: "cycle", ...named, asVar: ref.text, pos: this.pos(at) };
    }
    // Django's rules, word for word: the `as` forms need more than four words, so
    // `{% cycle 'a' as b %}` cycles through 'a', `as` and `b`.
    let args = bits;
    let silent = false;
    let asVar: string | undefined;
    if (args.length > 4) {
      const third = args[args.length - 3] as Bit;
      const last = args[args.length - 1] as Bit;
      if (third.text === "as") {
        if (last.text !== "silent") {
          throw this.error(
            `only 'silent' is allowed after the cycle's name, not '${last.text}'`,
            last.offset,
          );
        }
        silent = true;
        args = args.slice(0, -1);
      }
      ({ args, asVar } = this.splitAs(args));
    }
    const values = args.slice(1).map((b) => parseFilterExpr(this.map, b.text, b.offset));
    const state = {};
    this.#lastCycle = state;
    if (asVar !== undefined) this.#namedCycles.set(asVar, { state, values, silent });
    return { kind: "cycle", state, values, silent, asVar, pos: this.pos(at) };
  }

  parseNow(bits: Bit[], at: number): Node {
    let asVar: string | undefined;
    if (bits.length === 4 && (bits[2] as Bit).text === "as") asVar = this.asName(bits[3] as Bit);
    const fmt = bits[1];
    if ((bits.length !== 2 && asVar === undefined) || fmt === undefined)
      throw this.error("'now' takes one argument: a quoted format string", at);
    const m = /^(["'])(.*)\1$/s.exec(fmt.text);
    if (m === null) throw this.error("'now' needs a quoted format string", fmt.offset);
    return { kind: "now", format: m[2] as string, asVar, pos: this.pos(at) };
  }

  parseUrl(bits: Bit[], at: number): Node {
    const nameBit = bits[1];
    if (nameBit === undefined)
      throw this.error("'url' takes at least one argument: the route name", at);
    const { args: argBits, asVar } = this.splitAs(bits.slice(2));
    const args: FilterExpr[] = [];
    const kwargBits: Bit[] = [];
    for (const bit of argBits) {
      if (/^[\p{L}\p{N}_]+=/u.test(bit.text)) kwargBits.push(bit);
      else args.push(parseFilterExpr(this.map, bit.text, bit.offset));
    }
    const kwargs = this.parseBindings(kwargBits, false);
    return {
      kind: "url",
      name: parseFilterExpr(this.map, nameBit.text, nameBit.offset),
      args,
      kwargs,
      asVar,
      pos: this.pos(at),
    };
  }

  parseWidthratio(bits: Bit[], at: number): Node {
    let args = bits.slice(1);
    let asVar: string | undefined;
    if (args.length === 5 && (args[3] as Bit).text === "as") {
      asVar = this.asName(args[4] as Bit);
      args = args.slice(0, 3);
    }
    if (args.length !== 3) throw this.error("widthratio takes at least three arguments", at);
    const [value, max, width] = args.map((b) => parseFilterExpr(this.map, b.text, b.offset)) as [
      FilterExpr,
      FilterExpr,
      FilterExpr,
    ];
    return { kind: "widthratio", value, max, width, asVar, pos: this.pos(at) };
  }

  parseLorem(bits: Bit[], at: number): Node {
    const args = bits.slice(1).map((b) => b.text);
    let random = false;
    if (args[args.length - 1] === "random") {
      random = true;
      args.pop();
    }
    let method = "b";
    const last = args[args.length - 1];
    if (last === "w" || last === "p" || last === "b") {
      method = last;
      args.pop();
    }
    if (args.length > 1) throw this.error("Incorrect format for 'lorem' tag", at);
    const countText = args[0] ?? "1";
    // A literal count without `random` is known now; otherwise the text is made when rendering
    // (Django resolves the count then, and one that is not an integer counts as 1).
    if (/^\d+$/.test(countText) && !random)
      return { kind: "text", text: lorem(Number(countText), method as "w" | "p" | "b", true) };
    const countBit = bits[1 + bits.slice(1).findIndex((b) => b.text === countText)] as Bit;
    return {
      kind: "lorem",
      count:
        args[0] === undefined
          ? { primary: { kind: "literal", value: 1 }, filters: [], pos: this.pos(at) }
          : parseFilterExpr(this.map, countText, countBit.offset),
      method: method as "w" | "p" | "b",
      random,
      pos: this.pos(at),
    };
  }

  parseFilterTag(bits: Bit[], at: number): Node {
    const head = bits[0] as Bit;
    const rest = bits.slice(1);
    if (rest.length === 0) throw this.error("'filter' tag requires a filter", at);
    const text = rest.map((b) => b.text).join(" ");
    const start = (rest[0] as Bit).offset;
    // Parsed as `x|f|g` with the placeholder just before the first filter.
    const filters = parseFilterExpr(this.map, "x|" + text, start - 2);
    for (const f of filters.filters) {
      if (f.name === "escape" || f.name === "safe") {
        throw this.error(
          `"filter ${f.name}" is not permitted.  Use the "autoescape" tag instead.`,
          head.offset,
        );
      }
    }
    const { nodes } = this.parseUntil(["endfilter"], { tag: "filter", offset: at });
    return { kind: "filter", filters, body: nodes, pos: this.pos(at) };
  }

  /** `{% cache timeout name [vary ...] [using="cache"] %}…{% endcache %}` (Django's `do_cache`). */
  parseCache(bits: Bit[], at: number): Node {
    if (bits.length < 3) throw this.error("'cache' tag requires at least 2 arguments.", at);
    let args = bits.slice(1);
    let using: FilterExpr | undefined;
    const last = args[args.length - 1] as Bit;
    if (args.length > 2 && last.text.startsWith("using=")) {
      using = parseFilterExpr(this.map, last.text.slice(6), last.offset + 6);
      args = args.slice(0, -1);
    }
    const [timeout, name, ...varyOn] = args as [Bit, Bit, ...Bit[]];
    const { nodes } = this.parseUntil(["endcache"], { tag: "cache", offset: at });
    return {
      kind: "cache",
      timeout: parseFilterExpr(this.map, timeout.text, timeout.offset),
      name: name.text,
      varyOn: varyOn.map((b) => parseFilterExpr(this.map, b.text, b.offset)),
      using,
      body: nodes,
      pos: this.pos(at),
    };
  }

  parseIfchanged(bits: Bit[], at: number): Node {
    const exprs = bits.slice(1).map((b) => parseFilterExpr(this.map, b.text, b.offset));
    const first = this.parseUntil(["else", "endifchanged"], { tag: "ifchanged", offset: at });
    let otherwise: Node[] = [];
    const end = first.end as NonNullable<typeof first.end>;
    this.noArgs(end.bits);
    if (end.word === "else") {
      const rest = this.parseUntil(["endifchanged"], { tag: "else", offset: end.token.start });
      this.noArgs((rest.end as NonNullable<typeof rest.end>).bits);
      otherwise = rest.nodes;
    }
    return { kind: "ifchanged", state: {}, exprs, body: first.nodes, otherwise, pos: this.pos(at) };
  }

  parseRegroup(bits: Bit[], at: number): Node {
    if (bits.length !== 6) throw this.error("'regroup' tag takes five arguments", at);
    if ((bits[2] as Bit).text !== "by")
      throw this.error("second argument to 'regroup' tag must be 'by'", (bits[2] as Bit).offset);
    if ((bits[4] as Bit).text !== "as")
      throw this.error(
        "next-to-last argument to 'regroup' tag must be 'as'",
        (bits[4] as Bit).offset,
      );
    const target = bits[1] as Bit;
    const by = bits[3] as Bit;
    return {
      kind: "regroup",
      target: parseFilterExpr(this.map, target.text, target.offset),
      // Django looks the key up as `<as name>.<by>`, with the name bound to each item.
      by: parseFilterExpr(
        this.map,
        `${(bits[5] as Bit).text}.${by.text}`,
        by.offset - (bits[5] as Bit).text.length - 1,
      ),
      asVar: this.asName(bits[5] as Bit),
      pos: this.pos(at),
    };
  }

  parseResetcycle(bits: Bit[], at: number): Node {
    if (bits.length > 2) throw this.error("'resetcycle' takes at most one argument", at);
    const name = bits[1];
    if (name === undefined) {
      if (this.#lastCycle === undefined) throw this.error("No cycles in template.", at);
      return { kind: "resetcycle", states: [this.#lastCycle], pos: this.pos(at) };
    }
    const named = this.#namedCycles.get(name.text);
    if (named === undefined)
      throw this.error(`Named cycle '${name.text}' does not exist.`, name.offset);
    return { kind: "resetcycle", states: [named.state], pos: this.pos(at) };
  }

  parseEnvValue(
    bits: Bit[],
    at: number,
    what: Extract<Node, { kind: "envvalue" }>["what"],
    needsAs: boolean,
  ): Node {
    const word = (bits[0] as Bit).text;
    if (bits.length === 1 && !needsAs)
      return { kind: "envvalue", what, asVar: undefined, pos: this.pos(at) };
    if (bits.length !== 3 || (bits[1] as Bit).text !== "as")
      throw this.error(
        `'${word}' requires 'as variable' (got ${JSON.stringify(bits.slice(1).map((b) => b.text))})`,
        at,
      );
    return { kind: "envvalue", what, asVar: this.asName(bits[2] as Bit), pos: this.pos(at) };
  }

  parseTrans(bits: Bit[], at: number): Node {
    const word = (bits[0] as Bit).text;
    const msg = bits[1];
    if (msg === undefined) throw this.error(`'${word}' takes at least one argument`, at);
    let noop = false;
    let asVar: string | undefined;
    let context: FilterExpr | undefined;
    const seen = new Set<string>();
    for (let i = 2; i < bits.length; i++) {
      const option = bits[i] as Bit;
      if (seen.has(option.text))
        throw this.error(
          `The '${option.text}' option was specified more than once.`,
          option.offset,
        );
      seen.add(option.text);
      if (option.text === "noop") noop = true;
      else if (option.text === "context") {
        const v = bits[++i];
        if (v === undefined)
          throw this.error("No argument provided to the 'context' option.", option.offset);
        if (v.text === "as" || v.text === "noop")
          throw this.error(
            `Invalid argument '${v.text}' provided to the '${word}' tag for the context option`,
            v.offset,
          );
        context = parseFilterExpr(this.map, v.text, v.offset);
      } else if (option.text === "as") {
        const v = bits[++i];
        if (v === undefined)
          throw this.error("No argument provided to the 'as' option.", option.offset);
        asVar = this.asName(v);
      } else {
        throw this.error(`Unknown argument for '${word}' tag: '${option.text}'.`, option.offset);
      }
    }
    return {
      kind: "trans",
      message: parseFilterExpr(this.map, msg.text, msg.offset),
      context,
      noop,
      asVar,
      pos: this.pos(at),
    };
  }

  parseBlocktrans(word: string, bits: Bit[], at: number): Node {
    let bindings: Binding[] = [];
    let count: Binding | undefined;
    let context: FilterExpr | undefined;
    let trimmed = false;
    let asVar: string | undefined;
    const seen = new Set<string>();
    const rest = bits.slice(1);
    while (rest.length > 0) {
      const option = rest.shift() as Bit;
      if (seen.has(option.text))
        throw this.error(
          `The '${option.text}' option was specified more than once.`,
          option.offset,
        );
      seen.add(option.text);
      if (option.text === "with") {
        const kw: Bit[] = [];
        while (rest.length > 0 && /^[\p{L}\p{N}_]+=/u.test((rest[0] as Bit).text))
          kw.push(rest.shift() as Bit);
        if (kw.length === 0) {
          // The legacy `with value as name` form.
          if (rest.length >= 3 && (rest[1] as Bit).text === "as") {
            kw.push(...rest.splice(0, 3));
            while (
              rest.length >= 4 &&
              (rest[0] as Bit).text === "and" &&
              (rest[2] as Bit).text === "as"
            )
              kw.push(...rest.splice(0, 4));
          } else
            throw this.error(
              `"with" in '${word}' tag needs at least one keyword argument.`,
              option.offset,
            );
          bindings = this.parseBindings(kw, true);
        } else bindings = this.parseBindings(kw, false);
      } else if (option.text === "count") {
        const kw: Bit[] = [];
        if (rest.length > 0 && /^[\p{L}\p{N}_]+=/u.test((rest[0] as Bit).text))
          kw.push(rest.shift() as Bit);
        else if (rest.length >= 3 && (rest[1] as Bit).text === "as") kw.push(...rest.splice(0, 3));
        const parsed = kw.length === 0 ? [] : this.parseBindings(kw, kw.length === 3);
        if (parsed.length !== 1)
          throw this.error(
            `"count" in '${word}' tag expected exactly one keyword argument.`,
            option.offset,
          );
        count = parsed[0];
      } else if (option.text === "context") {
        const v = rest.shift();
        if (v === undefined)
          throw this.error(
            `"context" in '${word}' tag expected exactly one argument.`,
            option.offset,
          );
        context = parseFilterExpr(this.map, v.text, v.offset);
      } else if (option.text === "trimmed") {
        trimmed = true;
      } else if (option.text === "asvar") {
        const v = rest.shift();
        if (v === undefined)
          throw this.error(
            `No argument provided to the '${word}' tag for the asvar option.`,
            option.offset,
          );
        asVar = this.asName(v);
      } else {
        throw this.error(`Unknown argument for '${word}' tag: '${option.text}'.`, option.offset);
      }
    }
    const endWord = "end" + word;
    const parts = (nodes: readonly Node[]): (string | { name: string })[] =>
      nodes.map((n) => {
        if (n.kind === "text") return n.text;
        if (n.kind === "output" && n.expr.primary.kind === "var" && n.expr.filters.length === 0)
          return { name: n.expr.primary.path.join(".") };
        throw this.error(`'${word}' doesn't allow other block tags (seen ${n.kind}) inside it`, at);
      });
    const first = this.parseUntil(count === undefined ? [endWord] : ["plural", endWord], {
      tag: word,
      offset: at,
    });
    const end = first.end as NonNullable<typeof first.end>;
    let plural: (string | { name: string })[] | undefined;
    if (end.word === "plural") {
      const second = this.parseUntil([endWord], { tag: "plural", offset: end.token.start });
      plural = parts(second.nodes);
    } else if (count !== undefined) {
      throw this.error(`'${word}' doesn't allow other block tags inside it`, at);
    }
    return {
      kind: "blocktrans",
      singular: parts(first.nodes),
      plural,
      count,
      bindings,
      context,
      trimmed,
      asVar,
      pos: this.pos(at),
    };
  }
}
