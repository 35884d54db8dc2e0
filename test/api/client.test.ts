// The document drives a real generated client: openapi-typescript → types, openapi-fetch →
// calls against a running app, tsc --noEmit clean on the client code.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import openapiTS, { astToString } from "openapi-typescript";
import type { RunningServer } from "../../src/server/index.js";
import { USERS, makeApp } from "./fixtures.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");

// Written next to the repo (ignored .tmp/) so the client resolves openapi-fetch from node_modules.
const CLIENT = `import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

export async function callApi(baseUrl: string, cookie: string, csrfToken: string) {
  const client = createClient<paths>({ baseUrl });
  const shipped = await client.POST("/order/update_status/", {
    body: { order_id: 42, status: "shipped" },
    headers: { cookie, "X-CSRFToken": csrfToken },
  });
  // The declared result schema makes these typed, not unknown.
  const orderId: number | undefined = shipped.data?.result.order_id;
  const status: string | undefined = shipped.data?.result.status;

  const refund = await client.POST("/token-orders/refund/", {
    body: { order_id: 7 },
    headers: { Authorization: "Bearer tok-alice" },
  });
  const invalid = await client.POST("/order/update_status/", {
    // @ts-expect-error order_id must be a number: the generated types know the body schema
    body: { order_id: "42", status: "x" },
    headers: { cookie, "X-CSRFToken": csrfToken },
  });
  const errorKind: string | undefined = invalid.error?.error;
  return {
    shipped: { status: shipped.response.status, orderId, result: status, assigns: shipped.data?.assigns },
    refund: { status: refund.response.status, result: refund.data?.result },
    invalid: { status: invalid.response.status, error: errorKind, details: invalid.error?.details },
  };
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    lib: ["ES2023", "DOM"],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  },
  include: ["*.ts"],
};

describe("generated client (openapi-typescript + openapi-fetch)", () => {
  let dir: string;
  let server: RunningServer;
  const app = makeApp();

  before(async () => {
    await mkdir(join(ROOT, ".tmp"), { recursive: true });
    dir = await mkdtemp(join(ROOT, ".tmp", "api-client-"));
    server = await app.listen(0, "127.0.0.1");
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("generates types, type-checks the client with tsc, and calls the running app", async () => {
    const doc = await (await fetch(`${server.url}/djust/api/openapi.json`)).json();
    const types = astToString(await openapiTS(doc));
    assert.match(types, /"\/order\/update_status\/"/);
    await writeFile(join(dir, "schema.ts"), types);
    await writeFile(join(dir, "client.ts"), CLIENT);
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));

    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    try {
      await run(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { cwd: dir });
    } catch (error) {
      const { stdout, stderr } = error as { stdout: string; stderr: string };
      assert.fail(`tsc --noEmit failed on the generated client:\n${stdout}${stderr}`);
    }

    const { callApi } = (await import(pathToFileURL(join(dir, "client.ts")).href)) as {
      callApi(baseUrl: string, cookie: string, csrf: string): Promise<Record<string, unknown>>;
    };
    const { cookie, csrfToken } = await app.sessions.login(USERS.alice!);
    const outcome = await callApi(`${server.url}/djust/api`, cookie, csrfToken);
    assert.deepEqual(outcome, {
      shipped: {
        status: 200,
        orderId: 42,
        result: "shipped",
        assigns: { lastStatus: "shipped", shipped: [42] },
      },
      refund: { status: 200, result: { order_id: 7, refunded: true } },
      invalid: {
        status: 400,
        error: "validation_error",
        details: { order_id: ["Invalid input: expected number, received string"] },
      },
    });
  });
});
