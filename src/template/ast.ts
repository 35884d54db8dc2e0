/**
 * The DTL syntax tree: what the parser produces and the compiler consumes. Types only, plus
 * {@link locate} for turning a node's position into an error location.
 * @module
 */
import type { SourceLocation } from "./errors.js";
import type { FilterSpec } from "./filters.js";
import type { SourceMap } from "./lexer.js";

/** A position in a template source, resolved to line/column only when an error needs it. */
export interface Pos {
  readonly map: SourceMap;
  readonly offset: number;
}

/** A constant or a dotted variable reference. */
export type Primary =
  | { readonly kind: "literal"; readonly value: unknown }
  | { readonly kind: "var"; readonly path: readonly string[]; readonly pos: Pos };

/** One `|name:arg` step. */
export interface FilterCall {
  readonly name: string;
  readonly spec: FilterSpec;
  readonly arg: Primary | undefined;
}

/** `primary|filter|filter:arg`. */
export interface FilterExpr {
  readonly primary: Primary;
  readonly filters: readonly FilterCall[];
  readonly pos: Pos;
}

/** Comparison operators of `{% if %}`. */
export type CompareOp = "==" | "!=" | "<" | ">" | "<=" | ">=" | "in" | "not in" | "is" | "is not";

/** An `{% if %}` condition, with Django's operator precedence already applied. */
export type Condition =
  | { readonly kind: "or" | "and"; readonly left: Condition; readonly right: Condition }
  | { readonly kind: "not"; readonly operand: Condition }
  | {
      readonly kind: "compare";
      readonly op: CompareOp;
      readonly left: Condition;
      readonly right: Condition;
    }
  | { readonly kind: "value"; readonly expr: FilterExpr };

/** A `name=expr` pair of `with`/`include`. */
export interface Binding {
  readonly name: string;
  readonly expr: FilterExpr;
}

/** AST nodes. */
export type Node =
  | CustomTagNode
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "output"; readonly expr: FilterExpr; readonly pos: Pos }
  | {
      readonly kind: "if";
      readonly branches: readonly {
        readonly condition: Condition | null;
        readonly body: readonly Node[];
      }[];
      readonly pos: Pos;
    }
  | {
      readonly kind: "for";
      readonly targets: readonly string[];
      readonly iterable: FilterExpr;
      readonly reversed: boolean;
      readonly body: readonly Node[];
      readonly empty: readonly Node[] | null;
      readonly pos: Pos;
    }
  | {
      readonly kind: "with";
      readonly bindings: readonly Binding[];
      readonly body: readonly Node[];
      readonly pos: Pos;
    }
  | {
      readonly kind: "include";
      /** The template name; `""` when `nameExpr` names it at render time. */
      readonly name: string;
      readonly nameExpr?: FilterExpr;
      readonly bindings: readonly Binding[];
      readonly only: boolean;
      readonly pos: Pos;
    }
  | {
      readonly kind: "block";
      readonly name: string;
      readonly body: readonly Node[];
      readonly pos: Pos;
    }
  | { readonly kind: "csrf"; readonly pos: Pos }
  | {
      readonly kind: "firstof";
      readonly exprs: readonly FilterExpr[];
      /** `as name`: bind the result for the rest of the enclosing body instead of printing it. */
      readonly asVar: string | undefined;
      readonly pos: Pos;
    }
  | {
      readonly kind: "cycle";
      /** Identity shared by every `{% cycle name %}` that refers to one named cycle. */
      readonly state: object;
      readonly values: readonly FilterExpr[];
      readonly silent: boolean;
      /** The cycle's name: each occurrence also binds its current value to it. */
      readonly asVar: string | undefined;
      readonly pos: Pos;
    }
  | {
      readonly kind: "now";
      readonly format: string;
      readonly asVar: string | undefined;
      readonly pos: Pos;
    }
  | {
      readonly kind: "url";
      readonly name: FilterExpr;
      readonly args: readonly FilterExpr[];
      /** `name=value` arguments (Django's kwargs); never mixed with positional ones. */
      readonly kwargs: readonly Binding[];
      readonly asVar: string | undefined;
      readonly pos: Pos;
    }
  | { readonly kind: "spaceless"; readonly body: readonly Node[]; readonly pos: Pos }
  | {
      readonly kind: "widthratio";
      readonly value: FilterExpr;
      readonly max: FilterExpr;
      readonly width: FilterExpr;
      readonly asVar: string | undefined;
      readonly pos: Pos;
    }
  | {
      /** `{% filter f|g %}`: the body's text through the filters (`filters.primary` is unused). */
      readonly kind: "filter";
      readonly filters: FilterExpr;
      readonly body: readonly Node[];
      readonly pos: Pos;
    }
  | {
      readonly kind: "ifchanged";
      /** Identity of this tag, the key of its last value per loop run. */
      readonly state: object;
      /** What to watch; empty: the rendered body. */
      readonly exprs: readonly FilterExpr[];
      readonly body: readonly Node[];
      readonly otherwise: readonly Node[];
      readonly pos: Pos;
    }
  | {
      readonly kind: "regroup";
      readonly target: FilterExpr;
      /** The grouping key, an expression over each item (`item.path|filters`). */
      readonly by: FilterExpr;
      readonly asVar: string;
      readonly pos: Pos;
    }
  | {
      /** `{% cache timeout name vary… using=x %}`: the body's text, kept in a fragment cache. */
      readonly kind: "cache";
      readonly timeout: FilterExpr;
      /** The fragment's name: literal, never a variable (as in Django). */
      readonly name: string;
      readonly varyOn: readonly FilterExpr[];
      /** `using=`: the name of the cache (an expression); default the loader's default one. */
      readonly using: FilterExpr | undefined;
      readonly body: readonly Node[];
      readonly pos: Pos;
    }
  | {
      /** `{% resetcycle %}`: restarts the cycles with these identities. */
      readonly kind: "resetcycle";
      readonly states: readonly object[];
      readonly pos: Pos;
    }
  | {
      readonly kind: "static";
      readonly path: FilterExpr;
      readonly asVar: string | undefined;
      readonly pos: Pos;
    }
  | {
      /** A value the compile environment knows (`get_static_prefix`, `get_current_language`...). */
      readonly kind: "envvalue";
      readonly what:
        | "static_prefix"
        | "media_prefix"
        | "language"
        | "language_bidi"
        | "available_languages"
        | "timezone";
      readonly asVar: string | undefined;
      readonly pos: Pos;
    }
  | {
      readonly kind: "trans";
      readonly message: FilterExpr;
      readonly context: FilterExpr | undefined;
      readonly noop: boolean;
      readonly asVar: string | undefined;
      readonly pos: Pos;
    }
  | {
      readonly kind: "blocktrans";
      /** Message parts: text, or the name of a variable shown there. */
      readonly singular: readonly (string | { readonly name: string })[];
      readonly plural: readonly (string | { readonly name: string })[] | undefined;
      /** `count name=expr`: the number choosing the plural form. */
      readonly count: Binding | undefined;
      readonly bindings: readonly Binding[];
      readonly context: FilterExpr | undefined;
      readonly trimmed: boolean;
      readonly asVar: string | undefined;
      readonly pos: Pos;
    }
  | {
      /** A body compiled with another language or time zone (`language`, `timezone`, `localtime`). */
      readonly kind: "scope";
      readonly language?: string;
      readonly timeZone?: string;
      /** `{% localize on/off %}`: whether `{{ }}` localizes dates and numbers. */
      readonly localize?: boolean;
      /** A language or time zone given as a variable: known, and the body compiled, when rendering. */
      readonly languageExpr?: FilterExpr;
      readonly timeZoneExpr?: FilterExpr;
      readonly body: readonly Node[];
      readonly pos: Pos;
    }
  | {
      /** `{% get_language_info(_list) for code(s) as name %}`. */
      readonly kind: "languageinfo";
      readonly list: boolean;
      readonly code: FilterExpr;
      readonly asVar: string;
      readonly pos: Pos;
    }
  | {
      /** `{% lorem %}` whose text is made when rendering (variable count, or `random`). */
      readonly kind: "lorem";
      readonly count: FilterExpr;
      readonly method: "w" | "p" | "b";
      readonly random: boolean;
      readonly pos: Pos;
    }
  | { readonly kind: "debug"; readonly pos: Pos }
  | {
      readonly kind: "autoescape";
      readonly on: boolean;
      readonly body: readonly Node[];
      readonly pos: Pos;
    };

/** A `{% block %}` node. */
export type BlockNode = Extract<Node, { kind: "block" }>;

/** The result of parsing one template source. */
export interface ParsedTemplate {
  readonly name: string;
  readonly map: SourceMap;
  readonly nodes: readonly Node[];
  /** Set when the template starts with `{% extends "..." %}`. */
  readonly extends:
    { readonly name: string; readonly nameExpr?: FilterExpr; readonly pos: Pos } | undefined;
  /** Every `{% block %}` in the template, nested ones included. */
  readonly blocks: ReadonlyMap<string, BlockNode>;
}

/** The line/column of a position, for an error raised after parsing. */
export function locate(pos: Pos): SourceLocation {
  return pos.map.locate(pos.offset);
}

/** A custom tag (`registerTag`). */
export interface TagSpec {
  /**
   * Computes the tag's value from its positional and keyword arguments (and, with
   * `takesContext`, the context names listed in `reads`, as the first argument). A simple
   * tag's value is printed (escaped unless a `SafeString`) or bound with `as name`; an
   * inclusion tag's value is the context its template renders with.
   */
  readonly fn: (...args: any[]) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Django's `inclusion_tag(filename)`: the template rendered with the returned context. */
  readonly template?: string;
  /** Django's `takes_context`: `fn` receives `{ name: value }` of the names in `reads` first. */
  readonly takesContext?: boolean;
  /** The context names a `takesContext` tag reads (its change-tracking inputs). */
  readonly reads?: readonly string[];
  /** The value depends only on the arguments (loops may reuse unchanged rows). Default `false`. */
  readonly pure?: boolean;
  /**
   * Bare words the tag accepts as switches: `{% name arg flag %}` passes `flag=True` among the
   * keyword arguments (`{% live_render "x" id="a" sticky %}`).
   */
  readonly flags?: readonly string[];
}

/** A parsed custom tag. */
export interface CustomTagNode {
  readonly kind: "custom";
  readonly name: string;
  readonly spec: TagSpec;
  readonly args: readonly FilterExpr[];
  readonly kwargs: readonly { readonly name: string; readonly expr: FilterExpr }[];
  readonly asVar: string | undefined;
  readonly pos: Pos;
}
