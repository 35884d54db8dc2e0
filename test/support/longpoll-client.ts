/**
 * A Phoenix long-poll client for tests, request by request like `phoenix/longpoll.js`: one poll
 * in flight at a time, one POST in flight at a time (frames pushed meanwhile go in the next
 * batch), the status read from the JSON body. Each request goes to the next of `bases` in turn,
 * as behind a round-robin load balancer without sticky sessions.
 */
import { request } from "node:http";
import type { Msg, PageInfo } from "../live/helpers.js";
import { nextLoopback } from "../live/helpers.js";

/** A long-poll answer. */
export interface PollBody {
  status: number;
  token?: string;
  messages?: string[];
  error?: string;
  message?: string;
}

/** How the session ended: the server said it is gone (410), or a request failed. */
export type SessionEnd = { kind: "gone" } | { kind: "failed"; error: string };

/** One HTTP request with Node's client (so that it can leave from a loopback address of its own). */
export function longPollRequest(
  url: string,
  options: { method: "GET" | "POST"; cookie: string; body?: string; localAddress?: string },
): Promise<{ status: number; body: PollBody }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: options.method,
        headers: {
          cookie: options.cookie,
          origin: target.origin,
          accept: "application/json",
          ...(options.body !== undefined && { "content-type": "application/x-ndjson" }),
        },
        ...(options.localAddress && { localAddress: options.localAddress }),
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as PollBody });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A long-poll session of one browser, spread over `bases` in turn. */
export class LongPollClient {
  /** Frames received and not yet taken by {@link next}. */
  readonly received: Msg[] = [];
  /** Which base served each request, in order (the test checks the alternation). */
  readonly served: string[] = [];
  token: string | null = null;
  /** Set once the session ended; the poll loop stops. */
  ended?: SessionEnd;
  bases: string[];
  readonly #cookie: string;
  readonly #localAddress: string | undefined;
  #turn = 0;
  #ref = 0;
  #waiters: { match: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  #endWaiters: ((end: SessionEnd) => void)[] = [];
  #batch: string[] = [];
  #sending = false;
  #stopped = false;
  /** Counts sessions: the poll loop of an earlier session stops instead of using the new token. */
  #generation = 0;

  constructor(bases: string[], cookie: string) {
    this.bases = bases;
    this.#cookie = cookie;
    const loopback = bases.every((b) => new URL(b).hostname === "127.0.0.1");
    // An anonymous caller's rate-limit bucket is its address: one address per client.
    this.#localAddress = loopback ? nextLoopback() : undefined;
  }

  /** The base the next request goes to. */
  #nextBase(): string {
    const base = this.bases[this.#turn++ % this.bases.length]!;
    this.served.push(base);
    return base;
  }

  #url(base: string): string {
    const token = this.token === null ? "" : `&token=${encodeURIComponent(this.token)}`;
    return `${base}/djust/live/longpoll?vsn=2.0.0${token}`;
  }

  /** Opens a session (GET without a token: 410 and a token) on the next base, and starts polling. */
  async open(): Promise<void> {
    this.token = null;
    this.ended = undefined;
    this.#stopped = false;
    const { body } = await this.#request("GET");
    if (body.status !== 410 || !body.token) throw new Error(`open: ${JSON.stringify(body)}`);
    this.token = body.token;
    void this.#pollLoop(++this.#generation);
  }

  #request(method: "GET" | "POST", body?: string) {
    return longPollRequest(this.#url(this.#nextBase()), {
      method,
      cookie: this.#cookie,
      ...(body !== undefined && { body }),
      ...(this.#localAddress && { localAddress: this.#localAddress }),
    });
  }

  async #pollLoop(generation: number): Promise<void> {
    const current = () => generation === this.#generation && !this.#stopped && !this.ended;
    while (current()) {
      let body: PollBody;
      try {
        ({ body } = await this.#request("GET"));
      } catch (error) {
        if (current()) this.#end({ kind: "failed", error: (error as Error).message });
        return;
      }
      if (!current()) return;
      if (body.status === 200) {
        this.token = body.token ?? this.token;
        for (const text of body.messages ?? []) this.#deliver(text);
      } else if (body.status === 204) {
        this.token = body.token ?? this.token;
      } else if (body.status === 410) {
        this.#end({ kind: "gone" });
      } else {
        this.#end({ kind: "failed", error: JSON.stringify(body) });
      }
    }
  }

  #deliver(text: string): void {
    const [joinRef, ref, topic, event, payload] = JSON.parse(text) as [
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
  }

  #end(end: SessionEnd): void {
    if (this.ended) return;
    this.ended = end;
    for (const resolve of this.#endWaiters.splice(0)) resolve(end);
  }

  /** Resolves when the session ends (410 or a failed request). */
  whenEnded(): Promise<SessionEnd> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => this.#endWaiters.push(resolve));
  }

  /** Sends a frame (batched like the official client) and resolves with its `phx_reply`. */
  push(topic: string, event: string, payload: unknown, joinRef: string | null = "1"): Promise<Msg> {
    const ref = String(++this.#ref);
    const reply = this.next((m) => m.ref === ref && m.event === "phx_reply");
    this.#batch.push(JSON.stringify([joinRef, ref, topic, event, payload]));
    void this.#flush();
    return reply;
  }

  /** POSTs the frames pushed so far, one POST at a time (the client waits for each batch). */
  async #flush(): Promise<void> {
    if (this.#sending || this.#batch.length === 0) return;
    this.#sending = true;
    const frames = this.#batch.splice(0);
    try {
      const { body } = await this.#request("POST", frames.join("\n"));
      if (body.status !== 200)
        this.#end(
          body.status === 410 ? { kind: "gone" } : { kind: "failed", error: JSON.stringify(body) },
        );
    } catch (error) {
      this.#end({ kind: "failed", error: (error as Error).message });
    } finally {
      this.#sending = false;
    }
    if (!this.ended) void this.#flush();
  }

  /** Joins the page's view (its dead render's token). */
  join(page: PageInfo, baseUrl: string): Promise<Msg> {
    return this.push(`lv:${page.id}`, "phx_join", {
      url: `${baseUrl}/`,
      params: { _csrf_token: page.csrf, _mounts: 0 },
      session: page.token,
      static: null,
    });
  }

  /** Sends a browser event and resolves with its reply. */
  event(page: PageInfo, type: string, event: string, value: unknown): Promise<Msg> {
    return this.push(`lv:${page.id}`, "event", { type, event, value });
  }

  /** The next frame matching `match` (one already received included). */
  next(match: (m: Msg) => boolean, timeoutMs = 30_000): Promise<Msg> {
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

  /** Stops polling (the poll in flight is left to finish). */
  stop(): void {
    this.#stopped = true;
  }
}
