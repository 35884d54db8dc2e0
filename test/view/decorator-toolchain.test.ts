// Decorators compiled the wrong way fail at class definition with an error that names the fix:
// legacy `experimentalDecorators` (TypeScript and esbuild/tsx), and a missing Symbol.metadata.
// The view modules are compiled here with each toolchain, as a user's build would, and run.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { transform } from "esbuild";
import ts from "typescript";
import {
  DecoratorError,
  eventHandler,
  fieldValidator,
  permissionRequired,
  rateLimit,
} from "../../src/index.js";

const DJUST = pathToFileURL(resolve(import.meta.dirname, "../../src/index.ts")).href;

const LEGACY = (decorator: string) =>
  `${decorator} was called as a legacy decorator (target, key, descriptor): the code was ` +
  `compiled with "experimentalDecorators", but djust uses standard decorators. Remove ` +
  `"experimentalDecorators" (and "emitDecoratorMetadata") from compilerOptions in tsconfig.json ` +
  `(tsx, esbuild and Vite read it too) and compile with "target": "ES2022" or later.`;

const NO_METADATA = (decorator: string) =>
  `${decorator} received no decorator metadata: Symbol.metadata was missing when the class was ` +
  `defined. Import "djust" (it installs Symbol.metadata) before any view class is evaluated, or ` +
  `run Symbol.metadata ??= Symbol.for("Symbol.metadata") first; a bundler must compile ` +
  `decorators with metadata (TypeScript 5.2+, esbuild 0.21+).`;

const dir = mkdtempSync(join(tmpdir(), "djust-decorators-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** Writes compiled JavaScript to a fresh module and imports it. */
async function run(js: string): Promise<unknown> {
  const file = join(dir, `view-${++counter}.mjs`);
  writeFileSync(file, js);
  return import(pathToFileURL(file).href);
}

function view(decorators: string): string {
  return `import { LiveView, eventHandler, permissionRequired, rateLimit, fieldValidator } from ${JSON.stringify(DJUST)};
export class OrderView extends LiveView {
  ${decorators}
  ship(params: { order_id: number }) { return params; }
}
`;
}

function tsc(source: string, options: ts.CompilerOptions): string {
  return ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, ...options },
  }).outputText;
}

const isError = (message: string) => (error: unknown) => {
  assert.ok(error instanceof DecoratorError, String(error));
  assert.equal(error.message, message);
  return true;
};

describe("legacy decorators (experimentalDecorators)", () => {
  const cases: [string, string][] = [
    ["@eventHandler({})", "@eventHandler"],
    ["@eventHandler", "@eventHandler"],
    ['@permissionRequired("orders.ship")', "@permissionRequired"],
    ["@rateLimit({ rate: 1, burst: 2 })", "@rateLimit"],
    ['@fieldValidator("order_id")', "@fieldValidator"],
  ];
  for (const [decorator, name] of cases) {
    it(`TypeScript: ${decorator} names the tsconfig fix`, async () => {
      const js = tsc(view(decorator), {
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
      });
      assert.match(js, /__decorate/, "compiled the legacy way");
      await assert.rejects(run(js), isError(LEGACY(name)));
    });
  }

  it("esbuild / tsx with experimentalDecorators in tsconfig: the same message", async () => {
    const { code } = await transform(view("@eventHandler({ exposeApi: true })"), {
      loader: "ts",
      format: "esm",
      target: "es2022",
      tsconfigRaw: { compilerOptions: { experimentalDecorators: true } },
    });
    await assert.rejects(run(code), isError(LEGACY("@eventHandler")));
  });

  it("called by hand with (target, key, descriptor)", () => {
    const descriptor = { value() {}, writable: true, enumerable: false, configurable: true };
    const legacy = (decorator: (...args: unknown[]) => unknown, name: string) =>
      assert.throws(() => decorator({}, "ship", descriptor), isError(LEGACY(name)));
    legacy(eventHandler as (...args: unknown[]) => unknown, "@eventHandler");
    legacy(eventHandler({}) as (...args: unknown[]) => unknown, "@eventHandler");
    legacy(permissionRequired("a.b") as (...args: unknown[]) => unknown, "@permissionRequired");
    legacy(rateLimit({ rate: 1, burst: 1 }) as (...args: unknown[]) => unknown, "@rateLimit");
    legacy(fieldValidator("x") as (...args: unknown[]) => unknown, "@fieldValidator");
  });
});

describe("standard decorators", () => {
  it("compiled by TypeScript and esbuild, they register the handler", async () => {
    const fromTsc = (await run(tsc(view("@eventHandler({ exposeApi: true })"), {}))) as {
      OrderView: new () => object;
    };
    const { handlersOf } = await import("../../src/index.js");
    assert.equal(handlersOf(fromTsc.OrderView).get("ship")?.exposeApi, true);
    const { code } = await transform(view("@rateLimit({ rate: 1, burst: 2 }) @eventHandler"), {
      loader: "ts",
      format: "esm",
      target: "es2022",
    });
    const fromEsbuild = (await run(code)) as { OrderView: new () => object };
    assert.deepEqual(handlersOf(fromEsbuild.OrderView).get("ship")?.rateLimit, {
      rate: 1,
      burst: 2,
    });
  });

  it("without Symbol.metadata at class definition: the error says how to install it", async () => {
    const js = tsc(view('@eventHandler({}) @permissionRequired("a.b")'), {});
    const symbol = Symbol as { metadata?: symbol };
    const saved = symbol.metadata;
    delete symbol.metadata;
    try {
      await assert.rejects(run(js), isError(NO_METADATA("@permissionRequired")));
    } finally {
      symbol.metadata = saved;
    }
  });
});
