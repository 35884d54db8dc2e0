/**
 * What the security tests share: a small app with the views the attacks aim at, a raw page
 * load, and a child-process server whose memory the tests read (in-process figures would mix
 * the attacker's memory with the server's).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { apiResponse, eventHandler, LiveView, rateLimit } from "../../src/index.js";
import { AllowAny } from "../../src/auth/classes.js";
import { PermissionDenied } from "../../src/errors.js";
import type { Rendered } from "../../src/render/tree.js";
import { createApp, type AppOptions, type DjustApp } from "../../src/server/index.js";
import { html } from "../../src/template/html.js";

/** What handlers saw, for assertions on prototype injection. */
export const seen: { protoOfOpts: unknown[]; isAdmin: unknown[]; slow: number } = {
  protoOfOpts: [],
  isAdmin: [],
  slow: 0,
};

export class CounterView extends LiveView {
  static override apiAuthClasses = [AllowAny];
  count = 0;

  override render(): Rendered {
    return html`<p id="count">${this.count}</p>`;
  }

  @eventHandler
  inc() {
    this.count++;
    return this.count;
  }

  @eventHandler({ params: "any" })
  configure(params: Record<string, unknown>) {
    const opts = params.opts as Record<string, unknown> | undefined;
    seen.protoOfOpts.push(opts === undefined ? undefined : Object.getPrototypeOf(opts));
    seen.isAdmin.push(opts?.isAdmin);
  }

  /** Over the API too: the depth limit holds on both transports. */
  @eventHandler({ params: "any", exposeApi: true })
  echo(params: Record<string, unknown>) {
    return { keys: Object.keys(params) };
  }

  @eventHandler
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 300));
    seen.slow++;
    this.count = 1000;
    return { done: true };
  }

  @eventHandler({ exposeApi: true })
  leak() {
    return apiResponse({
      result: 1,
      serialize: () => {
        throw new Error("SECRET-INTERNAL-DETAIL");
      },
    });
  }
}

/** A view whose page is large: each join reply carries `size` bytes. */
export class BigView extends LiveView {
  blob = "x".repeat(200_000);
  override render(): Rendered {
    return html`<pre>${this.blob}</pre>`;
  }
}

export class ForbiddenMountView extends LiveView {
  override mount(): void {
    throw new PermissionDenied("Members only.");
  }
  override render(): Rendered {
    return html`<p>never</p>`;
  }
}

export class LimitedApiView extends LiveView {
  static override apiAuthClasses = [AllowAny];

  override render(): Rendered {
    return html`<p>limited</p>`;
  }

  @eventHandler({ exposeApi: true, params: z.object({}).optional() })
  @rateLimit({ rate: 0.001, burst: 2 })
  ping() {
    return { pong: true };
  }
}

/** The security test app: every view the attacks aim at. */
export function securityApp(options: AppOptions = {}): DjustApp {
  const app = createApp({
    secretKey: "security-test",
    logger: { info() {}, warn() {}, error() {} },
    ...options,
  });
  app
    .live("/", CounterView)
    .live("/big/", BigView)
    .live("/forbidden/", ForbiddenMountView)
    .register(LimitedApiView);
  return app;
}

/** A GET of a live page: the cookies it set, its view id, token and CSRF token. */
export interface Page {
  status: number;
  headers: Headers;
  cookie: string;
  id: string;
  token: string;
  csrf: string;
}

export async function getPage(base: string, path = "/", cookie = ""): Promise<Page> {
  const res = await fetch(`${base}${path}`, { headers: cookie ? { cookie } : {} });
  const text = await res.text();
  const set = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return {
    status: res.status,
    headers: res.headers,
    cookie: [cookie, set].filter(Boolean).join("; "),
    id: /<div id="(phx-[^"]+)"/.exec(text)?.[1] ?? "",
    token: /data-phx-session="([^"]+)"/.exec(text)?.[1] ?? "",
    csrf: /name="csrf-token" content="([^"]+)"/.exec(text)?.[1] ?? "",
  };
}

/** The `phx_join` payload of a page. */
export function joinPayload(base: string, page: Page, path = "/"): Record<string, unknown> {
  return {
    url: `${base}${path}`,
    params: { _csrf_token: page.csrf, _mounts: 0 },
    session: page.token,
    static: null,
  };
}

/** A server in a child process; `rss()` is its resident memory after a full GC, in MB. */
export interface ChildServer {
  readonly base: string;
  rss(): Promise<number>;
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL("./server-child.ts", import.meta.url));

/** Starts {@link securityApp} in a child process with `limits`. */
export async function childServer(limits: Record<string, number> = {}): Promise<ChildServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", CHILD, JSON.stringify(limits)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on("line", (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const base = await next();
  return {
    base,
    async rss() {
      const reply = next();
      child.stdin!.write("rss\n");
      return Number(await reply);
    },
    async close() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin!.end();
      child.kill();
      await exited;
    },
  };
}
