/**
 * What a transport attaches to a view instance: the request, the user, the session, and the
 * buffer of effects (pushed events, flashes, navigation) a handler produced. Kept under a
 * symbol key, so none of it can ever count as state.
 * @module
 */
import type { SessionData } from "../auth/session.js";
import type { User } from "../auth/user.js";
import type { ViewUploads } from "./upload-config.js";
import type { ViewStreams } from "./streams.js";
import type { ViewPresenceHooks } from "../presence/types.js";

/** Which transport runs a view. */
export type Transport = "http" | "websocket" | "longpoll" | "test";

/** The request a view is mounted for, the same shape on every transport. */
export interface LiveRequest {
  /** The page URL (for the HTTP API: the API request URL). */
  readonly url: URL;
  readonly headers: Headers;
  readonly user: User | null;
  readonly session: SessionData;
  readonly transport: Transport;
}

/** The {@link LiveRequest} of a web `Request`; its `url` is parsed on first use. */
class WebLiveRequest implements LiveRequest {
  readonly #request: Request;
  #url: URL | undefined;

  constructor(
    request: Request,
    readonly user: User | null,
    readonly session: SessionData,
    readonly transport: Transport,
  ) {
    this.#request = request;
  }

  get headers(): Headers {
    return this.#request.headers;
  }

  get url(): URL {
    return (this.#url ??= new URL(this.#request.url));
  }
}

/**
 * Builds a {@link LiveRequest} from a web request (the HTTP API, tests). The URL is parsed only
 * when a view reads `request.url`: most API calls never do.
 */
export function liveRequestFrom(
  request: Request,
  user: User | null,
  session: SessionData,
  transport: Transport,
): LiveRequest {
  return new WebLiveRequest(request, user, session, transport);
}

/** Route params, query params and injected services (`liveSession`) given to `setup`/`mount`. */
export type Params = Record<string, unknown>;

/** A navigation a handler asked for. */
export type Navigation =
  | { readonly kind: "patch"; readonly to: string; readonly replace: boolean }
  | { readonly kind: "navigate"; readonly to: string; readonly replace: boolean }
  | { readonly kind: "redirect"; readonly to: string };

/** Effects collected while a handler runs; the transport sends and then clears them. */
export interface Effects {
  events: [string, unknown][];
  flash: Record<string, string>;
  title?: string;
  navigation?: Navigation;
}

/** Hooks a transport provides for pub/sub. */
export interface PubSubHooks {
  subscribe(topic: string): void | Promise<void>;
  broadcast(topic: string, message: unknown): void | Promise<void>;
}

/** How a background task ended, as `handleAsync(name, outcome)` receives it. */
export type AsyncOutcome =
  { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: unknown };

/** Timers and background tasks of a connected view (the live transport provides them). */
export interface ViewTasks {
  sendAfter(ms: number, message: unknown): () => void;
  startAsync(name: string, task: (signal: AbortSignal) => unknown): void;
  /** Runs `loader` like a task; its outcome fills the state fields `keys`. */
  assignAsync(keys: readonly string[], loader: (signal: AbortSignal) => unknown): void;
  cancelAsync(name: string, reason?: unknown): boolean;
}

/** The `id` a view gives a component: unique per component class within the view. */
export type ComponentId = string | number;

/**
 * A LiveComponent class as `sendUpdate` takes it: told apart by the instance's `myself` (its
 * cid), so the view module need not import the component module, which imports it.
 */
export type ComponentClassRef = abstract new () => { readonly myself: number };

/** What the live layer gives views and components for `sendUpdate`. */
export interface ComponentHooks {
  /** Queues `assigns` for the component `Class`/`id` of this view, applied at its next render. */
  sendUpdate(component: ComponentClassRef, id: ComponentId, assigns: object): void;
}

/** What ties a live component instance to the view that renders it. */
export interface ComponentBinding {
  /** The component's id in the view (`myself`; `dj-target` names it). */
  readonly cid: number;
  /** The view that renders the component. */
  readonly view: object;
}

/** Everything framework-owned about one view instance. */
export interface ViewRuntime {
  request?: LiveRequest;
  httpRequest?: Request;
  connected: boolean;
  pubsub?: PubSubHooks;
  /** Timers and tasks; only a connected view has them. */
  tasks?: ViewTasks;
  /** Presence (`track`, `presenceList`); only a connected view tracks. */
  presence?: ViewPresenceHooks;
  /** The page title the view set last (kept in snapshots); `effects.title` sends a change. */
  title?: string;
  /** The uploads the view allowed (`allowUpload`); made on first use. */
  uploads?: ViewUploads;
  /** The view's streams, made on first use: most views have none. */
  streams?: ViewStreams;
  /** `sendUpdate` of a view run by the live layer (components of its page). */
  components?: ComponentHooks;
  /** Set on a live component: its cid and its view. */
  component?: ComponentBinding;
  effects: Effects;
}

/** A fresh, empty effects buffer. */
export function emptyEffects(): Effects {
  return { events: [], flash: {} };
}

/**
 * Most views sit idle between events, and most events produce no effects, so the buffer is
 * created by the first write (or read) instead of eagerly: an idle view holds none.
 */
class Runtime implements ViewRuntime {
  request?: LiveRequest = undefined;
  // Initialised so every runtime has the same shape even when a transport never sets it.
  httpRequest?: Request = undefined;
  connected = false;
  pubsub?: PubSubHooks = undefined;
  tasks?: ViewTasks = undefined;
  presence?: ViewPresenceHooks = undefined;
  title?: string = undefined;
  uploads?: ViewUploads = undefined;
  streams?: ViewStreams = undefined;
  components?: ComponentHooks = undefined;
  component?: ComponentBinding = undefined;
  #effects?: Effects = undefined;

  get effects(): Effects {
    return (this.#effects ??= emptyEffects());
  }

  set effects(effects: Effects) {
    this.#effects = effects;
  }

  /** Hands over the buffer without creating one when nothing was collected. */
  static take(runtime: Runtime): Effects {
    const effects = runtime.#effects ?? emptyEffects();
    runtime.#effects = undefined;
    return effects;
  }
}

// A symbol-keyed property rather than a WeakMap: symbols never count as state (state is
// `Object.keys`), and a WeakMap entry per HTTP API call made every scavenge pay for ephemeron
// processing. Plain assignment, not `defineProperty`: defining a non-enumerable property sent
// every new view through V8's slow path (≈ 4× the cost of constructing the view).
const RUNTIME = Symbol("djust.runtime");

function runtimeFor(view: object): Runtime {
  const holder = view as { [RUNTIME]?: Runtime };
  return (holder[RUNTIME] ??= new Runtime());
}

/** The runtime of `view`, created on first use. */
export function runtimeOf(view: object): ViewRuntime {
  return runtimeFor(view);
}

/** Returns the effects collected so far and starts a new buffer. */
export function takeEffects(view: object): Effects {
  return Runtime.take(runtimeFor(view));
}

/**
 * `setup`/`mount` params: `params` plus the injected services (seed 000, pattern 3). A function
 * service (not a class) is a factory called per view instance with the request; anything else
 * is passed as it is. Used by every transport, so services reach views the same way everywhere.
 */
export function withServices(
  params: Params,
  services: Readonly<Record<string, unknown>> | undefined,
  request: LiveRequest,
): Params {
  const out: Params = { ...params };
  if (!services) return out;
  for (const [name, service] of Object.entries(services)) {
    out[name] =
      typeof service === "function" && !isClass(service)
        ? (service as (request: LiveRequest) => unknown)(request)
        : service;
  }
  return out;
}

// A function's source never changes: read once per service, not on every mount (the text of
// a function or class is made on each `toString`).
const classes = new WeakMap<object, boolean>();

function isClass(value: unknown): boolean {
  if (typeof value !== "function") return false;
  let known = classes.get(value);
  if (known === undefined) {
    known = Function.prototype.toString.call(value).startsWith("class");
    classes.set(value, known);
  }
  return known;
}
