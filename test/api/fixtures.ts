// Views, users and request helpers shared by the HTTP API tests.
import { z } from "zod";
import {
  LiveView,
  PermissionDenied,
  ValidationError,
  eventHandler,
  fieldValidator,
  permissionRequired,
  rateLimit,
  type LiveRequest,
  type Params,
  type User,
} from "../../src/index.js";
import { AllowAny, SessionAuth, type AuthClass } from "../../src/auth/classes.js";
import { apiResponse } from "../../src/view/api-response.js";
import { createApp, liveSession, type DjustApp, type AppOptions } from "../../src/server/index.js";
import type { Logger } from "../../src/logger.js";

export const ORIGIN = "http://localhost";
export const API = `${ORIGIN}/djust/api`;

export const USERS: Record<string, User> = {
  alice: { id: 1, permissions: new Set(["orders.change_order", "reports.view"]) },
  bob: { id: 2, permissions: [] },
};

export const TOKENS: Record<string, User> = {
  "tok-alice": USERS.alice as User,
  "tok-bob": USERS.bob as User,
};

/** Bearer-token auth for CLIs and servers; relies on the view's csrfExempt. */
export class TokenAuth implements AuthClass {
  readonly securityScheme = { bearerAuth: { type: "http", scheme: "bearer" } };
  authenticate(request: Request): User | null {
    const header = request.headers.get("authorization") ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7) : "";
    return TOKENS[token] ?? null;
  }
}

/** The same, but the auth class itself is CSRF-exempt. */
export class ExemptTokenAuth extends TokenAuth {
  readonly csrfExempt = true;
}

export class Gadget {
  constructor(readonly name: string) {}
}

export class OrderView extends LiveView {
  lastStatus = "";
  shipped: number[] = [];
  calls = 0;
  _mountedWith: Params = {};

  override mount(_request: LiveRequest, params: Params) {
    this._mountedWith = params;
  }

  @eventHandler({
    exposeApi: true,
    description: "Mark an order as shipped. Idempotent.",
    params: z.object({ order_id: z.number().int(), status: z.string() }),
    result: z.object({ order_id: z.number().int(), status: z.string() }),
  })
  update_status({ order_id, status }: { order_id: number; status: string }) {
    this.lastStatus = status;
    this.shipped.push(order_id);
    return { order_id, status };
  }

  @eventHandler({
    exposeApi: true,
    params: z.object({ order_id: z.number().int(), reason: z.string().default("") }),
  })
  @permissionRequired("orders.change_order")
  refund({ order_id, reason }: { order_id: number; reason: string }) {
    return { order_id, refunded: true, reason };
  }

  @eventHandler({ exposeApi: true })
  @rateLimit({ rate: 0.001, burst: 5 })
  burst() {
    this.calls += 1;
    return { ok: true };
  }

  @eventHandler({ exposeApi: true, params: z.object({ n: z.number() }) })
  @rateLimit({ rate: 0.001, burst: 1 })
  limited_params({ n }: { n: number }) {
    return n;
  }

  @eventHandler({ exposeApi: true })
  @permissionRequired("orders.change_order")
  @rateLimit({ rate: 0.001, burst: 1 })
  guarded_limited() {
    return "ok";
  }

  @eventHandler({ params: z.object({}) })
  internal() {
    return "never over HTTP";
  }

  @eventHandler({ exposeApi: true })
  boom(): never {
    throw new Error("database exploded");
  }

  @eventHandler({ exposeApi: true })
  deny(): never {
    throw new PermissionDenied("Orders are frozen.");
  }

  @eventHandler({ exposeApi: true, params: z.object({ order_id: z.number() }) })
  late({ order_id }: { order_id: number }): never {
    throw new ValidationError(`Order ${order_id} can no longer be changed.`, "order_id");
  }

  @eventHandler({
    exposeApi: true,
    params: z.object({ status: z.string(), note: z.string().optional() }),
  })
  set_status({ status }: { status: string }) {
    this.lastStatus = status;
  }

  @fieldValidator("status")
  checkStatus(value: unknown) {
    if (value === "lost") throw new ValidationError("Lost is not a status.");
    return String(value).toLowerCase();
  }

  @eventHandler({
    exposeApi: true,
    params: z.object({
      items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })),
    }),
  })
  add_items({ items }: { items: { sku: string; qty: number }[] }) {
    return { count: items.length };
  }

  @eventHandler({ exposeApi: true, params: z.object({ a: z.number() }).strict() })
  strict_params({ a }: { a: number }) {
    return a;
  }

  @eventHandler({ exposeApi: true, params: z.object({ metric: z.string() }) })
  chart({ metric }: { metric: string }) {
    const data = { metric, points: [1, 2, 3], at: new Date("2024-01-02T03:04:05Z") };
    if (this.httpRequest) return apiResponse({ result: data });
    this.lastStatus = metric;
    return undefined;
  }

  @eventHandler({ exposeApi: true })
  created() {
    this.calls = 99; // not diffed: apiResponse results never carry assigns
    return apiResponse({ result: { id: 7 }, status: 201 });
  }

  @eventHandler({ exposeApi: true })
  serialized_fn() {
    return apiResponse({
      result: new Gadget("sprocket"),
      serialize: (g: Gadget) => ({ gadget: g.name.toUpperCase() }),
    });
  }

  @eventHandler({ exposeApi: true })
  serialized_schema() {
    return apiResponse({
      result: { id: "5", secret: "hidden" } as { id: string; secret?: string },
      serialize: z.object({ id: z.coerce.number() }),
    });
  }

  @eventHandler({ exposeApi: true })
  serialize_fails() {
    return apiResponse({
      result: 1,
      serialize: () => {
        throw new Error("nope");
      },
    });
  }

  @eventHandler({ exposeApi: true })
  leak_gadget() {
    (this as unknown as Record<string, unknown>).gadget = new Gadget("raw");
    return null;
  }

  @eventHandler({ exposeApi: true })
  return_gadget() {
    return new Gadget("returned");
  }

  @eventHandler({ exposeApi: true })
  whoami() {
    return {
      user: this.user?.id ?? null,
      http: this.httpRequest instanceof Request,
      method: this.httpRequest?.method ?? null,
      transport: this.request?.transport ?? null,
      path: this.request?.url.pathname ?? null,
      origin: this.request?.headers.get("origin") ?? null,
      services: Object.keys(this._mountedWith).sort(),
    };
  }
}

/** Token-authenticated, CSRF-exempt at view level (the seed's example). */
export class TokenOrderView extends LiveView {
  static override apiName = "token-orders";
  static override apiAuthClasses = [TokenAuth];
  static override csrfExempt = true;

  @eventHandler({ exposeApi: true, params: z.object({ order_id: z.number().int() }) })
  @permissionRequired("orders.change_order")
  refund({ order_id }: { order_id: number }) {
    return { order_id, refunded: true };
  }
}

/** Token auth that is itself CSRF-exempt, then session auth as a fallback. */
export class MixedAuthView extends LiveView {
  static override apiAuthClasses = [ExemptTokenAuth, SessionAuth];

  @eventHandler({ exposeApi: true })
  whoami() {
    return this.user?.id ?? null;
  }
}

/** Anyone may call; anonymous callers are rate-limited by session/IP. */
export class PublicView extends LiveView {
  static override apiAuthClasses = [AllowAny];

  @eventHandler({ exposeApi: true })
  ping() {
    return "pong";
  }

  @eventHandler({ exposeApi: true, params: "any" })
  echo(params: Record<string, unknown>) {
    return {
      keys: Object.keys(params).sort(),
      plain: Object.getPrototypeOf(params) === Object.prototype,
    };
  }

  @eventHandler({ exposeApi: true })
  @rateLimit({ rate: 0.001, burst: 2 })
  limited() {
    return "ok";
  }

  @eventHandler({ exposeApi: true })
  @permissionRequired("orders.change_order")
  guarded() {
    return "ok";
  }
}

export class LoginOnlyView extends LiveView {
  static override apiAuthClasses = [AllowAny];
  static override loginRequired = true;

  @eventHandler({ exposeApi: true })
  ping() {
    return "pong";
  }
}

export class ReportsView extends LiveView {
  static override permissionRequired = "reports.view";
  mountCount = 0;

  override mount() {
    this.mountCount += 1;
  }

  @eventHandler({ exposeApi: true })
  ping() {
    return "pong";
  }
}

export class BrokenView extends LiveView {
  static override apiAuthClasses = [AllowAny];
  override mount(): void {
    throw new Error("cannot reach the metrics service");
  }

  @eventHandler({ exposeApi: true })
  ping() {
    return "pong";
  }
}

export class ServiceView extends LiveView {
  static override apiAuthClasses = [AllowAny];
  _clock?: () => string;
  _db?: { name: string };
  instanceCount = 0;

  override setup(_request: LiveRequest, params: Params) {
    this._clock = params.clock as () => string;
    this._db = params.db as { name: string };
  }

  @eventHandler({ exposeApi: true })
  now() {
    return { now: this._clock?.(), db: this._db?.name };
  }
}

export interface LogLine {
  level: string;
  message: string;
  meta?: unknown;
}

/** A logger that records what it is given. */
export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (message, meta) => void lines.push({ level: "info", message, meta }),
    warn: (message, meta) => void lines.push({ level: "warn", message, meta }),
    error: (message, meta) => void lines.push({ level: "error", message, meta }),
  };
}

/** An app with every fixture view registered. */
export function makeApp(
  options: AppOptions = {},
): DjustApp & { logger: ReturnType<typeof memoryLogger> } {
  const logger = memoryLogger();
  const app = createApp({
    secretKey: "test-secret",
    logger,
    loadUser: (id) => Object.values(USERS).find((u) => u.id === Number(id)) ?? null,
    ...options,
  });
  let n = 0;
  app.register(OrderView);
  app.register(TokenOrderView);
  app.register(MixedAuthView);
  app.register(PublicView);
  app.register(LoginOnlyView);
  app.register(ReportsView);
  app.register(BrokenView);
  app.register(
    liveSession(ServiceView, {
      clock: () => () => `tick-${++n}`,
      db: { name: "fake-db" },
    }),
  );
  return Object.assign(app, { logger });
}

export interface CallOptions {
  readonly cookie?: string;
  readonly csrf?: string;
  readonly origin?: string | null;
  readonly headers?: Record<string, string>;
  readonly method?: string;
  readonly body?: BodyInit | null;
  readonly json?: unknown;
}

/** Builds an API request (`path` relative to the API prefix). */
export function apiRequest(path: string, options: CallOptions = {}): Request {
  const headers = new Headers(options.headers);
  if (options.cookie) headers.set("cookie", options.cookie);
  if (options.csrf) headers.set("x-csrftoken", options.csrf);
  if (options.origin) headers.set("origin", options.origin);
  let body = options.body ?? null;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return new Request(`${API}/${path}`, { method: options.method ?? "POST", headers, body });
}

/** Sends an API request and returns status, headers and parsed JSON. */
export async function call(
  app: DjustApp,
  path: string,
  options: CallOptions = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await app.fetch(apiRequest(path, options));
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** Logs `user` in and returns the cookie + CSRF header of a same-origin browser call. */
export async function browser(app: DjustApp, user: User): Promise<CallOptions> {
  const { cookie, csrfToken } = await app.sessions.login(user);
  return { cookie, csrf: csrfToken, origin: ORIGIN };
}
