/**
 * HTTP API checks: exposed handlers without a params schema (A001) or without a permission on
 * a login-only view (A002), and duplicate API slugs (A003).
 * @module
 */
import { relative } from "node:path";
import ts from "typescript";
import { viewSlug } from "../view/slug.js";
import type { CheckContext } from "./context.js";
import { findStatic, isDjustDecorator, literalValue, memberName, type ViewClass } from "./views.js";

/** What an `@eventHandler` decoration says, as far as the checks need it. */
interface HandlerDecoration {
  readonly method: ts.MethodDeclaration;
  readonly name: string;
  readonly exposeApi: boolean;
  readonly hasParams: boolean;
  readonly hasPermission: boolean;
}

function objectProperty(
  options: ts.ObjectLiteralExpression,
  name: string,
): ts.ObjectLiteralElementLike | undefined {
  return options.properties.find((p) => memberName(p.name) === name);
}

function handlerOf(ctx: CheckContext, method: ts.MethodDeclaration): HandlerDecoration | undefined {
  const { checker } = ctx;
  const name = memberName(method.name);
  if (name === undefined) return undefined;
  let handler: { exposeApi: boolean; hasParams: boolean } | undefined;
  let hasPermission = false;
  for (const decorator of ts.getDecorators(method) ?? []) {
    const expression = decorator.expression;
    const callee = ts.isCallExpression(expression) ? expression.expression : expression;
    if (isDjustDecorator(checker, callee, "permissionRequired")) {
      hasPermission = true;
      continue;
    }
    if (!isDjustDecorator(checker, callee, "eventHandler")) continue;
    const options = ts.isCallExpression(expression) ? expression.arguments[0] : undefined;
    if (!options) {
      handler = { exposeApi: false, hasParams: false };
    } else if (ts.isObjectLiteralExpression(options)) {
      const expose = objectProperty(options, "exposeApi");
      const exposeValue =
        expose && ts.isPropertyAssignment(expose)
          ? literalValue(checker, expose.initializer)
          : expose && ts.isShorthandPropertyAssignment(expose)
            ? literalValue(checker, expose.name)
            : undefined;
      handler = {
        exposeApi: exposeValue === true,
        hasParams:
          objectProperty(options, "params") !== undefined ||
          options.properties.some(ts.isSpreadAssignment),
      };
    } else {
      // Options built elsewhere: read them from the type (a `const` keeps `exposeApi: true`).
      const type = checker.getTypeAtLocation(options);
      const expose = checker.getPropertyOfType(type, "exposeApi");
      const exposeType = expose && checker.getTypeOfSymbol(expose);
      handler = {
        exposeApi:
          exposeType !== undefined &&
          (exposeType.flags & ts.TypeFlags.BooleanLiteral) !== 0 &&
          checker.typeToString(exposeType) === "true",
        hasParams: checker.getPropertyOfType(type, "params") !== undefined,
      };
    }
  }
  return handler && { method, name, hasPermission, ...handler };
}

function hasViewPermission(ctx: CheckContext, view: ViewClass): boolean {
  const found = findStatic(ctx.checker, view, "permissionRequired");
  if (!found?.declaration.initializer) return false;
  const value = literalValue(ctx.checker, found.declaration.initializer);
  if (Array.isArray(value)) return value.length > 0;
  // A non-literal value (a shared constant array) is given the benefit of the doubt.
  return value !== "" && value !== false;
}

function isLoginRequired(ctx: CheckContext, view: ViewClass): boolean {
  const found = findStatic(ctx.checker, view, "loginRequired");
  return literalValue(ctx.checker, found?.declaration.initializer) === true;
}

/** Runs A001 and A002 on every view's own handlers. */
export function checkHandlers(ctx: CheckContext): void {
  for (const view of ctx.views) {
    const loginOnly = isLoginRequired(ctx, view);
    const viewPermission = hasViewPermission(ctx, view);
    for (const member of view.node.members) {
      if (!ts.isMethodDeclaration(member)) continue;
      const handler = handlerOf(ctx, member);
      if (!handler?.exposeApi) continue;
      if (!handler.hasParams && member.parameters.length > 0) {
        ctx.report({
          id: "A001",
          node: member.name,
          view: view.name,
          subject: handler.name,
          message:
            `Handler ${view.name}.${handler.name}() is exposed over the HTTP API and takes ` +
            `parameters, but its @eventHandler declares no params schema, so it receives no input.`,
          hint:
            `Add params: z.object({ ... }) to @eventHandler so the input is validated and ` +
            `documented in OpenAPI (params: "any" accepts a free-form object).`,
        });
      }
      if (loginOnly && !viewPermission && !handler.hasPermission) {
        ctx.report({
          id: "A002",
          node: member.name,
          view: view.name,
          subject: handler.name,
          message:
            `Handler ${view.name}.${handler.name}() is exposed over the HTTP API of a ` +
            `login-only view without any permission: every logged-in user can call it.`,
          hint:
            `Add @permissionRequired("app.permission") to the handler, or a static ` +
            `permissionRequired to the view; if any user may call it, suppress with ` +
            `// djust-ignore A002.`,
        });
      }
    }
  }
}

/** Views named by `app.live(path, View, { name })` (or `liveSession(View, ...)`), by class. */
function routeNames(ctx: CheckContext): Map<ts.Declaration, string> {
  const { checker } = ctx;
  const out = new Map<ts.Declaration, string>();
  const classOf = (e: ts.Expression | undefined): ts.Declaration | undefined => {
    if (!e) return undefined;
    if (
      ts.isCallExpression(e) &&
      ts.isIdentifier(e.expression) &&
      e.expression.text === "liveSession"
    ) {
      return classOf(e.arguments[0]);
    }
    let symbol = checker.getSymbolAtLocation(e);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    return symbol?.declarations?.find(ts.isClassLike);
  };
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === "live" &&
      node.arguments.length >= 3
    ) {
      const options = node.arguments[2];
      const cls = classOf(node.arguments[1]);
      if (cls && options && ts.isObjectLiteralExpression(options)) {
        const name = objectProperty(options, "name");
        const value =
          name && ts.isPropertyAssignment(name)
            ? literalValue(checker, name.initializer)
            : undefined;
        if (typeof value === "string") out.set(cls, value);
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const sf of ctx.project.sourceFiles) visit(sf);
  return out;
}

/**
 * `true` for a class declared at the top level of a module. Classes declared inside functions
 * (test cases, factories) are never registered side by side, so their slugs cannot clash.
 */
function isModuleLevel(node: ts.Node): boolean {
  for (let parent = node.parent; !ts.isSourceFile(parent); parent = parent.parent) {
    if (ts.isFunctionLike(parent) || ts.isBlock(parent) || ts.isClassLike(parent)) return false;
  }
  return true;
}

/** Runs A003: every concrete, module-level view's slug must be unique. */
export function checkSlugs(ctx: CheckContext): void {
  const routes = routeNames(ctx);
  const bySlug = new Map<string, { view: ViewClass; node: ts.Node }[]>();
  for (const view of ctx.views) {
    if (view.isAbstract || !isModuleLevel(view.node)) continue;
    const found = findStatic(ctx.checker, view, "apiName");
    let apiName: string | undefined;
    let node: ts.Node = view.node.name ?? view.node;
    if (found) {
      const value = literalValue(ctx.checker, found.declaration.initializer);
      if (typeof value !== "string") continue; // computed: unknowable statically
      apiName = value;
      if (found.owner === view.node) node = found.declaration;
    }
    const slug = viewSlug({ name: view.name, apiName }, routes.get(view.node));
    const list = bySlug.get(slug) ?? [];
    list.push({ view, node });
    bySlug.set(slug, list);
  }
  for (const [slug, list] of bySlug) {
    if (list.length < 2) continue;
    for (const entry of list) {
      const others = list
        .filter((o) => o !== entry)
        .map((o) => {
          const sf = o.node.getSourceFile();
          const line = sf.getLineAndCharacterOfPosition(o.node.getStart(sf)).line + 1;
          return `${o.view.name} (${relative(process.cwd(), sf.fileName)}:${line})`;
        });
      if (others.length > 3) others.splice(3, others.length - 3, `${others.length - 3} more`);
      ctx.report({
        id: "A003",
        node: entry.node,
        view: entry.view.name,
        subject: slug,
        message: `API slug '${slug}' of ${entry.view.name} is also used by ${others.join(", ")}.`,
        hint:
          `Give one of them a distinct static apiName (or route name): two views with one slug ` +
          `make createApp throw at startup.`,
      });
    }
  }
}
