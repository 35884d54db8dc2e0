/**
 * Just enough HTML for the test client to find elements the way a browser would: a forgiving
 * parser of the rendered page (void and raw-text elements, the implied ends of `<p>`, `<li>`,
 * `<option>`, table rows and cells) and CSS selectors (type, `#id`, `.class`, attribute tests
 * `[a]` `[a=v]` `[a~=v]` `[a^=v]` `[a$=v]` `[a*=v]`, descendant and `>` child combinators, `,`
 * lists). Nothing from the page is evaluated.
 * @module
 */

import { htmlUnescape } from "../template/text.js";

/** An element of the parsed page. */
export interface DomElement {
  readonly tag: string;
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: readonly (DomElement | string)[];
  readonly parent: DomElement | undefined;
  /** Start and end offsets in the parsed HTML (the end is that of its closing tag). */
  readonly start: number;
  end: number;
}

interface MutableElement extends DomElement {
  readonly attrs: Map<string, string>;
  readonly children: (DomElement | string)[];
}

const VOID = new Set(
  "area base br col embed hr img input link meta param source track wbr".split(" "),
);
const RAW_TEXT = new Set(["script", "style", "textarea", "title"]);
/** An opening tag closes an open element of these kinds first (HTML's implied end tags). */
const CLOSES: Record<string, readonly string[]> = {
  li: ["li"],
  option: ["option"],
  tr: ["tr", "td", "th"],
  td: ["td", "th"],
  th: ["td", "th"],
  dt: ["dt", "dd"],
  dd: ["dt", "dd"],
};
const BLOCK = new Set(
  "address article aside blockquote div dl fieldset footer form h1 h2 h3 h4 h5 h6 header hr main nav ol p pre section table ul".split(
    " ",
  ),
);

const ATTR = /\s*([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/y;

/** Parses `html` into a root element (tag `#root`) holding the page. */
export function parseHtml(html: string): DomElement {
  const root: MutableElement = {
    tag: "#root",
    attrs: new Map(),
    children: [],
    parent: undefined,
    start: 0,
    end: html.length,
  };
  let current: MutableElement = root;
  let at = 0;
  const text = (to: number) => {
    if (to > at) current.children.push(htmlUnescape(html.slice(at, to)));
  };
  const closeUntil = (tag: string, end: number): boolean => {
    for (let el: MutableElement | undefined = current; el && el !== root;) {
      if (el.tag === tag) {
        for (let open: MutableElement = current; ; open = open.parent as MutableElement) {
          open.end = end;
          if (open === el) break;
        }
        current = el.parent as MutableElement;
        return true;
      }
      el = el.parent as MutableElement | undefined;
    }
    return false;
  };
  while (at < html.length) {
    const lt = html.indexOf("<", at);
    if (lt < 0) break;
    if (html.startsWith("<!--", lt)) {
      text(lt);
      const end = html.indexOf("-->", lt + 4);
      at = end < 0 ? html.length : end + 3;
      continue;
    }
    if (html.startsWith("<!", lt) || html.startsWith("<?", lt)) {
      text(lt);
      const end = html.indexOf(">", lt);
      at = end < 0 ? html.length : end + 1;
      continue;
    }
    const close = /^<\/([a-zA-Z][\w:-]*)\s*>/.exec(html.slice(lt, lt + 200));
    if (close) {
      text(lt);
      at = lt + close[0].length;
      closeUntil((close[1] as string).toLowerCase(), at);
      continue;
    }
    const open = /^<([a-zA-Z][\w:-]*)/.exec(html.slice(lt, lt + 200));
    if (!open) {
      // A lone "<" is text.
      text(lt + 1);
      at = lt + 1;
      continue;
    }
    text(lt);
    const tag = (open[1] as string).toLowerCase();
    const attrs = new Map<string, string>();
    let pos = lt + open[0].length;
    ATTR.lastIndex = pos;
    for (let m = ATTR.exec(html); m; m = ATTR.exec(html)) {
      const name = (m[1] as string).toLowerCase();
      if (!attrs.has(name)) attrs.set(name, htmlUnescape(m[2] ?? m[3] ?? m[4] ?? ""));
      pos = ATTR.lastIndex;
    }
    const gt = html.indexOf(">", pos);
    const tagEnd = gt < 0 ? html.length : gt + 1;
    for (const closes of CLOSES[tag] ?? []) {
      if (current.tag === closes) closeUntil(closes, lt);
    }
    if (BLOCK.has(tag) && current.tag === "p") closeUntil("p", lt);
    const element: MutableElement = {
      tag,
      attrs,
      children: [],
      parent: current,
      start: lt,
      end: tagEnd,
    };
    current.children.push(element);
    at = tagEnd;
    if (VOID.has(tag) || html[tagEnd - 2] === "/") continue;
    if (RAW_TEXT.has(tag)) {
      const endTag = html.toLowerCase().indexOf(`</${tag}`, at);
      const stop = endTag < 0 ? html.length : endTag;
      if (stop > at) {
        const raw = html.slice(at, stop);
        element.children.push(tag === "textarea" || tag === "title" ? htmlUnescape(raw) : raw);
      }
      const gtEnd = endTag < 0 ? html.length : html.indexOf(">", endTag) + 1 || html.length;
      element.end = gtEnd;
      at = gtEnd;
      continue;
    }
    current = element;
  }
  text(html.length);
  return root;
}

/** The element's text, whitespace collapsed, as a reader sees it. */
export function textOf(element: DomElement): string {
  const parts: string[] = [];
  const walk = (el: DomElement) => {
    if (el.tag === "script" || el.tag === "style") return;
    for (const child of el.children) {
      if (typeof child === "string") parts.push(child);
      else walk(child);
    }
  };
  walk(element);
  return parts.join("").replace(/\s+/g, " ").trim();
}

/** Every element under `root`, in document order. */
export function* descendants(root: DomElement): Generator<DomElement> {
  for (const child of root.children) {
    if (typeof child === "string") continue;
    yield child;
    yield* descendants(child);
  }
}

type AttrTest = { name: string; op: string; value: string };
interface Compound {
  tag?: string;
  id?: string;
  classes: string[];
  attrs: AttrTest[];
}
/** A compound, then pairs of combinator and compound (right to left when matching). */
type Complex = { compound: Compound; combinator: " " | ">" | null }[];

const COMPOUND_PART =
  /([a-zA-Z][\w-]*|\*)|#([\w-]+)|\.([\w-]+)|\[\s*([^\s~^$*|=\]]+)\s*(?:([~^$*|]?=)\s*(?:"([^"]*)"|'([^']*)'|([^\]\s]+))\s*)?\]/y;

/** Parses a selector list. @throws Error naming the selector when it is not understood. */
export function parseSelector(selector: string): Complex[] {
  const list: Complex[] = [];
  for (const part of selector.split(",")) {
    const complex: Complex = [];
    let rest = part.trim();
    let combinator: " " | ">" | null = null;
    if (!rest) throw new Error(`Unsupported selector ${JSON.stringify(selector)}`);
    while (rest) {
      const compound: Compound = { classes: [], attrs: [] };
      COMPOUND_PART.lastIndex = 0;
      let used = 0;
      for (let m = COMPOUND_PART.exec(rest); m; m = COMPOUND_PART.exec(rest)) {
        if (m[1] && used === 0) {
          if (m[1] !== "*") compound.tag = m[1].toLowerCase();
        } else if (m[1]) break;
        else if (m[2]) compound.id = m[2];
        else if (m[3]) compound.classes.push(m[3]);
        else {
          compound.attrs.push({
            name: (m[4] as string).toLowerCase(),
            op: m[5] ?? "",
            value: m[6] ?? m[7] ?? m[8] ?? "",
          });
        }
        used = COMPOUND_PART.lastIndex;
      }
      if (used === 0) throw new Error(`Unsupported selector ${JSON.stringify(selector)}`);
      complex.push({ compound, combinator });
      rest = rest.slice(used);
      const sep = /^\s*(>)?\s*/.exec(rest) as RegExpExecArray;
      if (rest && sep[0] === "")
        throw new Error(`Unsupported selector ${JSON.stringify(selector)}`);
      combinator = sep[1] ? ">" : " ";
      rest = rest.slice(sep[0].length);
    }
    list.push(complex);
  }
  return list;
}

function matchesCompound(el: DomElement, c: Compound): boolean {
  if (c.tag && el.tag !== c.tag) return false;
  if (c.id !== undefined && el.attrs.get("id") !== c.id) return false;
  if (c.classes.length) {
    const classes = (el.attrs.get("class") ?? "").split(/\s+/);
    if (!c.classes.every((name) => classes.includes(name))) return false;
  }
  for (const { name, op, value } of c.attrs) {
    const actual = el.attrs.get(name);
    if (actual === undefined) return false;
    if (op === "=" && actual !== value) return false;
    if (op === "~=" && !actual.split(/\s+/).includes(value)) return false;
    if (op === "^=" && !actual.startsWith(value)) return false;
    if (op === "$=" && !actual.endsWith(value)) return false;
    if (op === "*=" && !actual.includes(value)) return false;
    if (op === "|=" && actual !== value && !actual.startsWith(`${value}-`)) return false;
  }
  return true;
}

function matchesComplex(el: DomElement, complex: Complex, index: number): boolean {
  const { compound, combinator } = complex[index] as Complex[number];
  if (!matchesCompound(el, compound)) return false;
  if (index === 0) return true;
  if (combinator === ">") {
    return el.parent !== undefined && matchesComplex(el.parent, complex, index - 1);
  }
  for (let up = el.parent; up && up.tag !== "#root"; up = up.parent) {
    if (matchesComplex(up, complex, index - 1)) return true;
  }
  return false;
}

/** The elements under `root` matching `selector`, in document order. */
export function querySelectorAll(root: DomElement, selector: string): DomElement[] {
  const list = parseSelector(selector);
  const out: DomElement[] = [];
  for (const el of descendants(root)) {
    if (list.some((complex) => matchesComplex(el, complex, complex.length - 1))) out.push(el);
  }
  return out;
}
