/**
 * A raw Phoenix Channels V2 client over `ws`, for checking the frames djust sends.
 */
import WebSocket from "ws";
import type { Logger } from "../../src/logger.js";

/** A decoded frame. */
export interface Msg {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

/** What a dead render gave the browser. */
export interface PageInfo {
  status: number;
  html: string;
  cookie: string;
  token: string;
  id: string;
  csrf: string;
}

/** A logger that keeps messages (tests assert on warnings). */
export function memoryLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    info: (message) => lines.push({ level: "info", message }),
    warn: (message) => lines.push({ level: "warn", message }),
    error: (message) => lines.push({ level: "error", message }),
  };
}

/** GETs a live page and extracts what the client would join with. */
export async function loadPage(url: string, cookie = ""): Promise<PageInfo> {
  const res = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: "manual" });
  const html = await res.text();
  const set = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return {
    status: res.status,
    html,
    cookie: [cookie, set].filter(Boolean).join("; "),
    token: /data-phx-session="([^"]+)"/.exec(html)?.[1] ?? "",
    id: /<div id="(phx-[^"]+)"/.exec(html)?.[1] ?? "",
    csrf: /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? "",
  };
}

let loopbackCount = 0;

/** A fresh loopback address (`127.0.x.y`) for one more test client. */
export function nextLoopback(): string {
  loopbackCount++;
  return `127.0.${Math.floor(loopbackCount / 250) % 250}.${(loopbackCount % 250) + 2}`;
}

/** A raw channel client. */
export class RawClient {
  readonly ws: WebSocket;
  readonly received: Msg[] = [];
  closeCode?: number;
  #ref = 0;
  #waiters: { match: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  #closed: Promise<number>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data) => {
      const [joinRef, ref, topic, event, payload] = JSON.parse(String(data)) as [
        string | null,
        string | null,
        string,
        string,
        Record<string, unknown>,
      ];
      const msg = { joinRef, ref, topic, event, payload };
      this.received.push(msg);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
    this.#closed = new Promise((resolve) =>
      ws.on("close", (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  /**
   * Opens a socket to `baseUrl` (http://…) with the page's cookie and a same-site Origin. An
   * anonymous caller's rate-limit bucket is its address, so each client connects from a loopback
   * address of its own (`127.0.0.2`, …) unless `localAddress` names one (several sockets of one
   * client).
   */
  static async connect(
    baseUrl: string,
    options: { cookie?: string; origin?: string | null; localAddress?: string } = {},
  ): Promise<RawClient> {
    const headers: Record<string, string> = {};
    if (options.cookie) headers.cookie = options.cookie;
    if (options.origin !== null) headers.origin = options.origin ?? baseUrl;
    const loopback = new URL(baseUrl).hostname === "127.0.0.1";
    const localAddress = options.localAddress ?? (loopback ? nextLoopback() : undefined);
    const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/djust/live/websocket?vsn=2.0.0`, {
      headers,
      ...(localAddress && { localAddress }),
    });
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return client;
  }

  /** Sends a frame and resolves with its `phx_reply`. */
  push(topic: string, event: string, payload: unknown, joinRef: string | null = "1"): Promise<Msg> {
    const ref = String(++this.#ref);
    const reply = this.next((m) => m.ref === ref && m.event === "phx_reply");
    this.ws.send(JSON.stringify([joinRef, ref, topic, event, payload]));
    return reply;
  }

  /** Sends raw text. */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** Joins the page's view. */
  join(page: PageInfo, baseUrl: string, extra: Record<string, unknown> = {}): Promise<Msg> {
    return this.push(`lv:${page.id}`, "phx_join", {
      url: `${baseUrl}/`,
      params: { _csrf_token: page.csrf, _mounts: 0 },
      session: page.token,
      static: null,
      ...extra,
    });
  }

  /** The next message matching `match` (already received ones included). */
  next(match: (m: Msg) => boolean, timeoutMs = 3000): Promise<Msg> {
    const seen = this.received.find(match);
    if (seen) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for a frame")), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          this.received.splice(this.received.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }

  /** Sends a browser event and resolves with the reply. */
  event(page: PageInfo, type: string, event: string, value: unknown, meta?: unknown) {
    const payload: Record<string, unknown> = { type, event, value };
    if (meta !== undefined) payload.meta = meta;
    return this.push(`lv:${page.id}`, "event", payload);
  }

  /** Resolves with the close code. */
  closed(): Promise<number> {
    return this.#closed;
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * The error of a refused or failed event: DESIGN §10 replies `ok` with the error as a
 * `djust:error` client event in the diff. `undefined` when the reply carries none.
 */
export function eventError(msg: Msg): Record<string, unknown> | undefined {
  const diff = response(msg).diff as { e?: [string, Record<string, unknown>][] } | undefined;
  return diff?.e?.find(([name]) => name === "djust:error")?.[1];
}

/** The `response` of a reply. */
export function response(msg: Msg): Record<string, unknown> {
  return (msg.payload.response ?? {}) as Record<string, unknown>;
}
