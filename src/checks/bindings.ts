/**
 * Wiring checks between templates and handlers: every `dj-*` event binding of a view's
 * template (a Django template file or the `html` tagged templates of its `render()`) must name
 * one of the view's `@eventHandler`s (T004), and every handler should be called by a binding
 * or a hook's `pushEvent` (T005; handlers exposed over the HTTP API are exempt).
 *
 * The bindings that send an event are those of the Phoenix LiveView client with the `dj-`
 * prefix. A binding whose value is computed (`{{ … }}`, `{% … %}` or `${…}`), or an element
 * with `dj-target` (the event goes to another view), is not checked; a JS command list
 * (`dj-click='[["push",{"event":"save"}]]'`) is checked for the events it pushes.
 * @module
 */
import { readFileSync } from "node:fs";
import ts from "typescript";
import type { CheckContext } from "./context.js";
import { suggestion } from "../suggest.js";
import { SourceMap } from "../template/lexer.js";
import { TemplateScanner } from "./templates.js";
import {
  baseClassDeclarations,
  findStatic,
  isDjustDecorator,
  isLiveViewDeclaration,
  literalValue,
  memberName,
  type ViewClass,
} from "./views.js";

/**
 * The `dj-*` attributes whose value names a server event, as the Phoenix LiveView 1.x client
 * reads them (`phx-` replaced by djust's `dj-` prefix).
 */
export const EVENT_BINDINGS: ReadonlySet<string> = new Set([
  "click",
  "click-away",
  "submit",
  "change",
  "blur",
  "focus",
  "keydown",
  "keyup",
  "window-blur",
  "window-focus",
  "window-keydown",
  "window-keyup",
  "viewport-top",
  "viewport-bottom",
  "auto-recover",
]);

/** Events the runtime handles itself. */
const BUILTIN_EVENTS: ReadonlySet<string> = new Set(["lv:clear-flash"]);

/** One event a template sends, at a position in a file. */
interface Binding {
  readonly attribute: string;
  readonly event: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** What a view's templates send: the bindings, or `dynamic` when some cannot be known. */
interface ViewBindings {
  readonly bindings: readonly Binding[];
  /** A computed binding value or include: the set of events sent is not fully known. */
  readonly dynamic: boolean;
}

const ATTRIBUTE = /(?<=[\s"'])dj-([a-z][a-z-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/g;
const HOOK_CALL =
  /\bpushEvent(?:To)?\(\s*(?:(?:"[^"]*"|'[^']*'|[\w.$]+)\s*,\s*)?["'`]([^"'`]+)["'`]/g;

/** The text of the tag around `offset` (from its `<` to its `>`). */
function enclosingTag(text: string, offset: number): string {
  const start = text.lastIndexOf("<", offset);
  const end = text.indexOf(">", offset);
  return text.slice(start < 0 ? 0 : start, end < 0 ? text.length : end);
}

/** The events a JS command list pushes (`[["push",{"event":"x"}], …]`), or `undefined`. */
function pushedEvents(value: string): string[] | undefined {
  try {
    const commands = JSON.parse(value) as unknown;
    if (!Array.isArray(commands)) return undefined;
    const out: string[] = [];
    for (const command of commands) {
      if (!Array.isArray(command) || command[0] !== "push") continue;
      const event = (command[1] as { event?: unknown } | undefined)?.event;
      if (typeof event === "string") out.push(event);
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * The event bindings in `text` (a template, or an `html` template with its `${…}` parts masked
 * by NUL characters). `isDynamic` tells whether a value is computed.
 */
function scanBindings(
  text: string,
  file: string,
  base: number,
  locate: (offset: number) => { line: number; column: number },
  isDynamic: (value: string) => boolean,
): ViewBindings {
  const bindings: Binding[] = [];
  let dynamic = false;
  for (const m of text.matchAll(ATTRIBUTE)) {
    const attribute = m[1] as string;
    if (!EVENT_BINDINGS.has(attribute)) continue;
    const value = (m[2] ?? m[3] ?? m[4] ?? "").trim();
    const offset = m.index ?? 0;
    if (isDynamic(value)) {
      dynamic = true;
      continue;
    }
    if (value === "" || /\sdj-target\s*=/.test(enclosingTag(text, offset))) continue;
    const events = value.startsWith("[") ? pushedEvents(value) : [value];
    if (!events) {
      dynamic = true;
      continue;
    }
    const valueAt = offset + m[0].indexOf(value, m[0].indexOf("=") + 1);
    for (const event of events) {
      bindings.push({ attribute: `dj-${attribute}`, event, file, ...locate(base + valueAt) });
    }
  }
  return { bindings, dynamic };
}

/** Bindings of template `name` and the templates it includes or extends. */
function templateBindings(scanner: TemplateScanner, name: string): ViewBindings {
  const bindings: Binding[] = [];
  let dynamic = false;
  const seen = new Set<string>();
  const visit = (template: string): void => {
    const file = scanner.find(template);
    if (!file) {
      dynamic = true;
      return;
    }
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    const map = new SourceMap(file, source);
    const found = scanBindings(
      source,
      file,
      0,
      (o) => map.locate(o),
      (v) => /\{[{%]/.test(v),
    );
    bindings.push(...found.bindings);
    dynamic ||= found.dynamic;
    for (const m of source.matchAll(/\{%-?\s*(?:include|extends)\s+(\S+)/g)) {
      const target = m[1] as string;
      const literal = /^(["'])(.*)\1$/.exec(target);
      if (literal) visit(literal[2] as string);
      else dynamic = true;
    }
  };
  visit(name);
  return { bindings, dynamic };
}

/** Bindings of the `html` tagged templates in a `render()` method. */
function renderBindings(method: ts.MethodDeclaration): ViewBindings {
  const sf = method.getSourceFile();
  const locate = (offset: number) => {
    const pos = sf.getLineAndCharacterOfPosition(offset);
    return { line: pos.line + 1, column: pos.character + 1 };
  };
  const bindings: Binding[] = [];
  let dynamic = false;
  const visit = (node: ts.Node): void => {
    if (
      ts.isTaggedTemplateExpression(node) &&
      ts.isIdentifier(node.tag) &&
      node.tag.text === "html"
    ) {
      const template = node.template;
      const start = template.getStart(sf);
      let text = sf.text.slice(start, template.end);
      if (ts.isTemplateExpression(template)) {
        // Mask each `${…}` so its text cannot look like markup and values using it are dynamic.
        for (const span of template.templateSpans) {
          const from = span.expression.getFullStart() - 2 - start;
          const to = span.literal.getStart(sf) + 1 - start;
          text = text.slice(0, from) + "\0".repeat(to - from) + text.slice(to);
        }
      }
      const found = scanBindings(text, sf.fileName, start, locate, (v) => v.includes("\0"));
      bindings.push(...found.bindings);
      dynamic ||= found.dynamic;
    }
    ts.forEachChild(node, visit);
  };
  if (method.body) visit(method.body);
  return { bindings, dynamic };
}

/** The classes of a view up to (not including) `LiveView`, or `undefined` past the project. */
function viewChain(ctx: CheckContext, view: ViewClass): ts.ClassLikeDeclaration[] | undefined {
  const chain: ts.ClassLikeDeclaration[] = [view.node];
  for (const cls of baseClassDeclarations(ctx.checker, view.type)) {
    if (isLiveViewDeclaration(cls)) return chain;
    // A base view from a compiled package has lost its decorators: its handlers are unknown.
    if (cls.getSourceFile().isDeclarationFile) return undefined;
    chain.push(cls);
  }
  return chain;
}

/** A handler a class declares: its client-visible name and whether it is exposed. */
interface DeclaredHandler {
  readonly name: string;
  readonly method: ts.MethodDeclaration;
  readonly exposeApi: boolean;
}

/** The `@eventHandler` methods `cls` declares; `undefined` when a name is computed. */
function declaredHandlers(
  ctx: CheckContext,
  cls: ts.ClassLikeDeclaration,
): DeclaredHandler[] | undefined {
  const { checker } = ctx;
  const out: DeclaredHandler[] = [];
  for (const member of cls.members) {
    if (!ts.isMethodDeclaration(member)) continue;
    const methodName = memberName(member.name);
    for (const decorator of ts.getDecorators(member) ?? []) {
      const expression = decorator.expression;
      const callee = ts.isCallExpression(expression) ? expression.expression : expression;
      if (!isDjustDecorator(checker, callee, "eventHandler")) continue;
      const options = ts.isCallExpression(expression) ? expression.arguments[0] : undefined;
      let name: string | undefined = methodName;
      let exposeApi = false;
      if (options) {
        const type = checker.getTypeAtLocation(options);
        const nameProperty = checker.getPropertyOfType(type, "name");
        if (nameProperty) {
          const nameType = checker.getTypeOfSymbol(nameProperty);
          name = nameType.isStringLiteral() ? nameType.value : undefined;
        }
        const expose = checker.getPropertyOfType(type, "exposeApi");
        exposeApi =
          expose !== undefined && checker.typeToString(checker.getTypeOfSymbol(expose)) !== "false";
        if (ts.isObjectLiteralExpression(options)) {
          const literal = options.properties.find((p) => memberName(p.name) === "exposeApi");
          if (literal && ts.isPropertyAssignment(literal)) {
            exposeApi = literalValue(checker, literal.initializer) !== false;
          }
        }
      }
      if (name === undefined) return undefined;
      out.push({ name, method: member, exposeApi });
    }
  }
  return out;
}

/** What a view's templates send, or `undefined` when the view has no template to read. */
function viewBindings(
  ctx: CheckContext,
  scanner: TemplateScanner | undefined,
  view: ViewClass,
  chain: readonly ts.ClassLikeDeclaration[],
): ViewBindings | undefined {
  const found = findStatic(ctx.checker, view, "templateName");
  if (found) {
    const name = literalValue(ctx.checker, found.declaration.initializer);
    if (typeof name !== "string" || !scanner?.find(name)) return undefined;
    return templateBindings(scanner, name);
  }
  for (const cls of chain) {
    const render = cls.members.find(
      (m): m is ts.MethodDeclaration =>
        ts.isMethodDeclaration(m) && memberName(m.name) === "render" && m.body !== undefined,
    );
    if (render) return renderBindings(render);
  }
  return undefined;
}

/** Event names that hooks and scripts push (`pushEvent("name", …)`), anywhere in the project. */
function hookEvents(ctx: CheckContext, scanner: TemplateScanner | undefined): Set<string> {
  const names = new Set<string>();
  const add = (text: string) => {
    for (const m of text.matchAll(HOOK_CALL)) names.add(m[1] as string);
  };
  for (const sf of ctx.project.sourceFiles) add(sf.text);
  if (scanner) for (const file of scanner.allFiles()) add(readFileSync(file, "utf8"));
  return names;
}

/** Runs T004 (a binding naming no handler) and T005 (a handler nothing calls). */
export function checkBindings(ctx: CheckContext): void {
  const scanner = ctx.templateDirs.length > 0 ? new TemplateScanner(ctx.templateDirs) : undefined;
  interface Info {
    readonly view: ViewClass;
    readonly chain: readonly ts.ClassLikeDeclaration[];
    readonly handlers: ReadonlyMap<ts.ClassLikeDeclaration, readonly DeclaredHandler[]>;
    readonly sent: ViewBindings | undefined;
  }
  const infos: Info[] = [];
  for (const view of ctx.views) {
    const chain = viewChain(ctx, view);
    if (!chain) continue;
    const handlers = new Map<ts.ClassLikeDeclaration, readonly DeclaredHandler[]>();
    let known = true;
    for (const cls of chain) {
      const declared = declaredHandlers(ctx, cls);
      if (!declared) known = false;
      else handlers.set(cls, declared);
    }
    if (!known) continue;
    infos.push({ view, chain, handlers, sent: viewBindings(ctx, scanner, view, chain) });
  }

  const reported = new Set<string>();
  for (const { view, handlers, sent } of infos) {
    if (!sent) continue;
    const names = new Set([...handlers.values()].flat().map((h) => h.name));
    for (const b of sent.bindings) {
      if (names.has(b.event) || BUILTIN_EVENTS.has(b.event)) continue;
      const key = `${view.name}|${b.file}|${b.line}|${b.column}|${b.event}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const close = suggestion(b.event, names);
      ctx.report({
        id: "T004",
        file: b.file,
        line: b.line,
        column: b.column,
        view: view.name,
        subject: b.event,
        message:
          `${b.attribute}="${b.event}" names no event handler of ${view.name}` +
          (names.size > 0 ? ` (handlers: ${[...names].sort().join(", ")}).` : " (it has none)."),
        hint:
          (close ? `Did you mean '${close}'? ` : "") +
          `Fix the name, or add an @eventHandler method '${b.event}' to ${view.name}; ` +
          `the browser would get an unknown_event error.`,
      });
    }
  }

  const hooks = hookEvents(ctx, scanner);
  for (const { view, handlers } of infos) {
    const own = handlers.get(view.node) ?? [];
    if (own.length === 0) continue;
    // The views that can send this view's events: itself and every view extending it.
    const family = infos.filter((i) => i.chain.includes(view.node));
    if (family.some((i) => !i.sent || i.sent.dynamic)) continue;
    const called = new Set(family.flatMap((i) => i.sent?.bindings.map((b) => b.event) ?? []));
    for (const handler of own) {
      if (handler.exposeApi || called.has(handler.name) || hooks.has(handler.name)) continue;
      ctx.report({
        id: "T005",
        node: handler.method.name,
        view: view.name,
        subject: handler.name,
        message:
          `Handler ${view.name}.${handler.name}() is not called by any dj-* binding of the ` +
          `view's templates nor by a hook's pushEvent().`,
        hint:
          `Bind it (dj-click="${handler.name}"), remove it, or, when another client calls it, ` +
          `suppress with // djust-ignore T005.`,
      });
    }
  }
}
