/**
 * Lifecycle checks: a view's `mount` calling what only a connected view does (a timer, a
 * background task, presence). A page load runs `mount` in the dead render, where these do
 * nothing, and its join restores the snapshot without running `mount` again (docs/lifecycle.md),
 * so the call only works when the view happens to mount on its join: after live navigation, a
 * lost snapshot — or never, on the common path. `joined()` runs on every join.
 * @module
 */
import ts from "typescript";
import type { CheckContext } from "./context.js";
import { isInLiveViewFile, memberName } from "./views.js";

/** The calls of djust's `LiveView` that only a connected view makes, and what each starts. */
const CONNECTED_ONLY: ReadonlyMap<string, string> = new Map([
  ["sendAfter", "timer"],
  ["startAsync", "task"],
  ["track", "presence"],
]);

/** Reports V009 for each connected-only call in the `mount` of a view declared in the project. */
export function checkMountCalls(ctx: CheckContext): void {
  for (const view of ctx.views) {
    for (const member of view.node.members) {
      if (!ts.isMethodDeclaration(member) || memberName(member.name) !== "mount" || !member.body) {
        continue;
      }
      const visit = (node: ts.Node): void => {
        // A function inside mount runs whenever it is called (a handler, a callback): not ours.
        if (ts.isFunctionLike(node)) return;
        const call = connectedOnlyCall(ctx.checker, node);
        if (call) {
          ctx.report({
            id: "V009",
            node,
            view: view.name,
            subject: call,
            message:
              `${view.name}.mount() calls this.${call}(): a page load runs mount without a ` +
              "connection, and its join restores the view without running mount again, so " +
              `this ${CONNECTED_ONLY.get(call) ?? "call"} only starts when the view mounts on its join.`,
            hint: `Call this.${call}() in joined(), which runs on every join (restores included).`,
          });
        }
        ts.forEachChild(node, visit);
      };
      ts.forEachChild(member.body, visit);
    }
  }
}

/** The name of the connected-only `LiveView` method `node` calls on `this`, if it does. */
function connectedOnlyCall(checker: ts.TypeChecker, node: ts.Node): string | undefined {
  if (!ts.isCallExpression(node)) return undefined;
  const callee = node.expression;
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  if (callee.expression.kind !== ts.SyntaxKind.ThisKeyword) return undefined;
  const name = callee.name.text;
  if (!CONNECTED_ONLY.has(name)) return undefined;
  const declaration = checker.getSymbolAtLocation(callee.name)?.declarations?.[0];
  return declaration && isInLiveViewFile(declaration) ? name : undefined;
}
