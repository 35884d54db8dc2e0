/**
 * Template checks: a view's `templateName` must exist (T002) and compile (T003), and every
 * top-level name its template reads must be provided by a state field or `getContextData()`
 * (T001).
 *
 * Which names a template reads comes from the template compiler (`Template.dependencies`, the
 * same set change tracking uses). The compiler does not keep positions, so a small scanner of
 * the Django template syntax finds where each name is first read, following `{% include %}` and
 * `{% extends %}` and the names `for`, `with`, `cycle … as`, `url … as` and `now … as` bind;
 * the scanner alone decides only if the compiler fails unexpectedly.
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import ts from "typescript";
import { TemplateLoader, TemplateSyntaxError } from "../template/index.js";
// The framework's own tags (`{% live_file_input %}`, `{% live_img_preview %}`, `{% live_render %}`,
// `{% live_component %}`) are known to every template an app compiles; the checks compile without
// loading the app's views.
import "../view/upload-html.js";
import "../view/live-render.js";
import "../view/live-component.js";
import { suggestion } from "../suggest.js";
import type { CheckContext } from "./context.js";
import {
  findStatic,
  isInLiveViewFile,
  isInstanceField,
  literalValue,
  type ViewClass,
} from "./views.js";

/** One read of a top-level name in a template. */
interface TemplateRead {
  readonly name: string;
  /** Absolute path of the template file the read is in. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Names every template may use without the view providing them. */
// `flash` and `csrf_token` are added to every render context by the live runtime, `streams` to
// that of a view with streams.
const BUILTINS = new Set([
  "forloop",
  "block",
  "True",
  "False",
  "None",
  "csrf_token",
  "flash",
  "streams",
]);

const KEYWORDS = new Set([
  "and",
  "or",
  "not",
  "in",
  "is",
  "True",
  "False",
  "None",
  "reversed",
  "as",
  "only",
  "with",
  "silent",
]);

const TOKEN = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_]\w*|\d+(?:\.\d+)?|==|!=|<=|>=|\S/g;

interface Piece {
  readonly text: string;
  /** Offset in the template source. */
  readonly offset: number;
}

function pieces(contents: string, offset: number): Piece[] {
  const out: Piece[] = [];
  for (const m of contents.matchAll(TOKEN))
    out.push({ text: m[0], offset: offset + (m.index ?? 0) });
  return out;
}

function isName(text: string): boolean {
  return /^[A-Za-z_]\w*$/.test(text);
}

/** Top-level variable names in an expression such as `a.b|default:c == "x" and not d`. */
function expressionNames(list: readonly Piece[]): Piece[] {
  const out: Piece[] = [];
  let previous = "";
  for (const piece of list) {
    if (isName(piece.text) && previous !== "." && previous !== "|" && !KEYWORDS.has(piece.text)) {
      out.push(piece);
    }
    previous = piece.text;
  }
  return out;
}

function unquote(text: string): string | undefined {
  return /^(["']).*\1$/.test(text) ? text.slice(1, -1) : undefined;
}

/** Reads templates from a list of directories, resolving names like the app does. */
export class TemplateScanner {
  readonly #dirs: readonly string[];
  readonly #cache = new Map<string, TemplateRead[]>();

  constructor(dirs: readonly string[]) {
    this.#dirs = dirs;
  }

  /** The file a template name resolves to, or `undefined`. */
  find(name: string): string | undefined {
    for (const dir of this.#dirs) {
      const path = resolve(dir, name);
      if (existsSync(path)) return path;
    }
    return undefined;
  }

  /** Every file under the template directories (scripts of hooks may live in any of them). */
  allFiles(): string[] {
    const out: string[] = [];
    for (const dir of this.#dirs) {
      for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) out.push(resolve(entry.parentPath, entry.name));
      }
    }
    return out;
  }

  /** Every top-level name read by template `name` and the templates it includes/extends. */
  reads(name: string): TemplateRead[] {
    const cached = this.#cache.get(name);
    if (cached) return cached;
    const out: TemplateRead[] = [];
    this.#cache.set(name, out); // before scanning: an include cycle then ends here
    this.#scan(name, [], out, new Set());
    return out;
  }

  #scan(name: string, outer: readonly string[], out: TemplateRead[], active: Set<string>): void {
    const file = this.find(name);
    if (!file || active.has(file)) return;
    active.add(file);
    const source = readFileSync(file, "utf8");
    const lineStarts = [0];
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) lineStarts.push(i + 1);
    const locate = (offset: number): { line: number; column: number } => {
      let line = 0;
      while (line + 1 < lineStarts.length && (lineStarts[line + 1] as number) <= offset) line++;
      return { line: line + 1, column: offset - (lineStarts[line] as number) + 1 };
    };
    // A stack of binding scopes; the bottom one holds `outer` (names an include was given).
    const scopes: { tag: string; names: Set<string> }[] = [{ tag: "", names: new Set(outer) }];
    const bound = (n: string): boolean => BUILTINS.has(n) || scopes.some((s) => s.names.has(n));
    const read = (list: readonly Piece[]): void => {
      for (const p of expressionNames(list)) {
        if (!bound(p.text)) out.push({ name: p.text, file, ...locate(p.offset) });
      }
    };
    const bindAs = (list: Piece[]): Piece[] => {
      const as = list.findIndex((p) => p.text === "as");
      if (as < 0) return list;
      const target = list[as + 1];
      if (target) scopes[scopes.length - 1]?.names.add(target.text);
      return list.slice(0, as);
    };

    const tag = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}|\{#[\s\S]*?#\}/g;
    let skipUntil: RegExp | undefined;
    for (const m of source.matchAll(tag)) {
      const start = m.index ?? 0;
      if (skipUntil) {
        if (m[2] !== undefined && skipUntil.test(m[2].trim())) skipUntil = undefined;
        continue;
      }
      if (m[1] !== undefined) {
        read(pieces(m[1], start + 2));
        continue;
      }
      if (m[2] === undefined) continue;
      const list = pieces(m[2], start + 2);
      const word = list[0]?.text ?? "";
      const args = list.slice(1);
      switch (word) {
        case "comment":
          skipUntil = /^endcomment$/;
          break;
        case "verbatim":
          skipUntil = /^endverbatim\b/;
          break;
        case "if":
        case "elif":
        case "firstof":
          read(args);
          break;
        case "for": {
          const inAt = args.findIndex((p) => p.text === "in");
          read(args.slice(inAt + 1));
          const targets = args.slice(0, Math.max(inAt, 0)).filter((p) => isName(p.text));
          scopes.push({ tag: "for", names: new Set(targets.map((p) => p.text)) });
          break;
        }
        case "with": {
          const names = new Set<string>();
          const as = args.findIndex((p) => p.text === "as");
          if (as >= 0) {
            read(args.slice(0, as));
            const target = args[as + 1];
            if (target) names.add(target.text);
          } else {
            for (let i = 0; i < args.length; i++) {
              const key = args[i] as Piece;
              if (args[i + 1]?.text === "=" && isName(key.text)) {
                names.add(key.text);
                const valueEnd = args.findIndex((p, j) => j > i + 2 && args[j + 1]?.text === "=");
                read(args.slice(i + 2, valueEnd < 0 ? args.length : valueEnd));
                i = valueEnd < 0 ? args.length : valueEnd - 1;
              }
            }
          }
          scopes.push({ tag: "with", names });
          break;
        }
        case "endfor":
        case "endwith":
          if (scopes.length > 1 && scopes[scopes.length - 1]?.tag === word.slice(3)) scopes.pop();
          break;
        case "cycle":
        case "url":
        case "now": {
          const rest = bindAs(args.filter((p) => p.text !== "silent"));
          read(word === "now" ? [] : rest.slice(word === "url" ? 1 : 0));
          if (word === "url" && rest[0] && unquote(rest[0].text) === undefined)
            read(rest.slice(0, 1));
          break;
        }
        case "include":
        case "extends": {
          const target = args[0];
          if (!target) break;
          const included = unquote(target.text);
          if (included === undefined) read([target]);
          const withAt = args.findIndex((p) => p.text === "with");
          const given = new Set<string>();
          if (withAt >= 0) {
            for (let i = withAt + 1; i < args.length; i++) {
              if (args[i + 1]?.text === "=") {
                given.add((args[i] as Piece).text);
                read(args.slice(i + 2, i + 3));
              }
            }
          }
          if (included === undefined) break;
          const only = args.some((p) => p.text === "only");
          const visible = only ? [...given] : [...given, ...scopes.flatMap((s) => [...s.names])];
          if (only) {
            // Reads of anything not given are not context reads at all (Django passes nothing).
            const inner: TemplateRead[] = [];
            this.#scan(included, visible, inner, active);
          } else {
            this.#scan(included, visible, out, active);
          }
          break;
        }
        default:
          break;
      }
    }
    active.delete(file);
  }
}

/** Top-level names a view makes visible to its template: public fields and context keys. */
function providedNames(ctx: CheckContext, view: ViewClass): Set<string> | undefined {
  const { checker } = ctx;
  const names = new Set<string>();
  for (const property of checker.getPropertiesOfType(view.type)) {
    if (!(property.flags & ts.SymbolFlags.Property)) continue;
    if (property.name.startsWith("_") || property.name.startsWith("__#")) continue;
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    if (declaration && (isInLiveViewFile(declaration) || !isInstanceField(declaration))) continue;
    names.add(property.name);
  }
  const extra = contextDataKeys(ctx, view);
  if (extra === undefined) return undefined;
  for (const key of extra) names.add(key);
  return names;
}

/**
 * Keys returned by the view's `getContextData()`: from the return type when it lists them,
 * else from the object literals its `return` statements build (following
 * `...super.getContextData()` into the parent's method). `undefined` when they cannot be known
 * (a computed object), in which case T001 stays silent for the view.
 */
function contextDataKeys(ctx: CheckContext, view: ViewClass): Set<string> | undefined {
  const method = ctx.checker.getPropertyOfType(view.type, "getContextData");
  return methodKeys(ctx, method?.valueDeclaration, 0);
}

function methodKeys(
  ctx: CheckContext,
  declaration: ts.Declaration | undefined,
  depth: number,
): Set<string> | undefined {
  const { checker } = ctx;
  if (!declaration || isInLiveViewFile(declaration)) return new Set();
  if (depth > 16 || !ts.isMethodDeclaration(declaration)) return undefined;
  const signature = checker.getSignatureFromDeclaration(declaration);
  const returned = signature && checker.getAwaitedType(checker.getReturnTypeOfSignature(signature));
  if (returned && checker.getIndexInfosOfType(returned).length === 0) {
    return new Set(checker.getPropertiesOfType(returned).map((p) => p.name));
  }
  if (!declaration.body) return undefined;
  const keys = new Set<string>();
  let known = true;
  const add = (more: Set<string> | undefined) => {
    if (more === undefined) known = false;
    else for (const key of more) keys.add(key);
  };
  const visit = (node: ts.Node): void => {
    if (!known || (ts.isFunctionLike(node) && node !== declaration)) return;
    if (ts.isReturnStatement(node) && node.expression) {
      let e = node.expression;
      while (
        ts.isParenthesizedExpression(e) ||
        ts.isAsExpression(e) ||
        ts.isSatisfiesExpression(e)
      ) {
        e = e.expression;
      }
      if (!ts.isObjectLiteralExpression(e)) {
        known = false;
        return;
      }
      for (const p of e.properties) {
        if (ts.isSpreadAssignment(p)) {
          if (isSuperCall(p.expression)) {
            const callee = checker.getSymbolAtLocation(p.expression.expression.name);
            add(methodKeys(ctx, callee?.valueDeclaration, depth + 1));
            continue;
          }
          const spread = checker.getTypeAtLocation(p.expression);
          add(
            checker.getIndexInfosOfType(spread).length > 0
              ? undefined
              : new Set(checker.getPropertiesOfType(spread).map((q) => q.name)),
          );
        } else if (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) {
          keys.add(p.name.text);
        } else {
          known = false;
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(declaration.body);
  return known ? keys : undefined;
}

function isSuperCall(
  e: ts.Expression,
): e is ts.CallExpression & { expression: ts.PropertyAccessExpression } {
  return (
    ts.isCallExpression(e) &&
    ts.isPropertyAccessExpression(e.expression) &&
    e.expression.expression.kind === ts.SyntaxKind.SuperKeyword
  );
}

/**
 * The names template `name` reads, each with the position of its first read: from the
 * compiler when it can compile the template, else from the scanner alone.
 * @throws TemplateSyntaxError when the template does not compile.
 */
function templateReads(
  loader: TemplateLoader,
  scanner: TemplateScanner,
  name: string,
): TemplateRead[] {
  const scanned = scanner.reads(name);
  let dependencies: ReadonlySet<string>;
  try {
    dependencies = loader.get(name).dependencies;
  } catch (error) {
    if (error instanceof TemplateSyntaxError) throw error;
    return scanned; // a compiler bug must not hide the check
  }
  const file = scanner.find(name) as string;
  return [...dependencies]
    .filter((n) => !BUILTINS.has(n))
    .map((n) => scanned.find((r) => r.name === n) ?? { name: n, file, line: 1, column: 1 });
}

/** Runs T001, T002 and T003 on every view with a `static templateName`. */
export function checkTemplates(ctx: CheckContext): void {
  if (ctx.templateDirs.length === 0) return;
  const scanner = new TemplateScanner(ctx.templateDirs);
  const loader = new TemplateLoader({ dirs: ctx.templateDirs });
  const dirs = ctx.templateDirs.map((d) => relative(process.cwd(), d) || ".").join(", ");
  const broken = new Set<string>();
  for (const view of ctx.views) {
    const found = findStatic(ctx.checker, view, "templateName");
    if (!found) continue;
    const name = literalValue(ctx.checker, found.declaration.initializer);
    if (typeof name !== "string") continue;
    if (!scanner.find(name)) {
      if (found.owner === view.node) {
        ctx.report({
          id: "T002",
          node: found.declaration.initializer ?? found.declaration,
          view: view.name,
          subject: name,
          message: `${view.name}.templateName '${name}' is not found in the template dirs (${dirs}).`,
          hint: `Create the template, fix the name, or pass its directory with --templates <dir>.`,
        });
      }
      continue;
    }
    let reads: TemplateRead[];
    try {
      reads = templateReads(loader, scanner, name);
    } catch (error) {
      const e = error as TemplateSyntaxError;
      const file = scanner.find(e.templateName) ?? (scanner.find(name) as string);
      const key = `${file}:${e.line}:${e.column}`;
      if (!broken.has(key)) {
        broken.add(key);
        ctx.report({
          id: "T003",
          file,
          line: Math.max(e.line, 1),
          column: Math.max(e.column, 1),
          view: view.name,
          subject: name,
          message: `Template '${name}' of ${view.name} does not compile: ${e.reason}.`,
          hint: `Fix the template syntax; the page would fail to render with the same error.`,
        });
      }
      continue;
    }
    const provided = providedNames(ctx, view);
    if (!provided) continue;
    const reported = new Set<string>();
    for (const read of reads) {
      if (provided.has(read.name) || reported.has(read.name)) continue;
      reported.add(read.name);
      const close = suggestion(read.name, provided);
      ctx.report({
        id: "T001",
        file: read.file,
        line: read.line,
        column: read.column,
        view: view.name,
        subject: read.name,
        message:
          `Template '${name}' of ${view.name} reads '${read.name}', which no state field, ` +
          `getContextData() key or template variable provides.`,
        hint:
          (close ? `Did you mean '${close}'? ` : "") +
          `Add a public field '${read.name}' to ${view.name}, return it from getContextData(), ` +
          `or fix the name.`,
      });
    }
  }
}
