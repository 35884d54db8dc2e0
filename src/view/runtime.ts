/**
 * What a transport attaches to a view instance: the request, the user, the session, and the
 * buffer of effects (pushed events, flashes, navigation) a handler produced. Kept in a
 * WeakMap, not on the instance, so none of it can ever count as state.
 * @module
 */
import type { User } from "../auth/user.js";

/** Which transport runs a view. */
export type Transport = "http" | "websocket" | "longpoll" | "test";

/** Session data shared by the page, WebSocket and HTTP transports. */
export type SessionData = Record<string, unknown>;

/** The request a view is mounted for, the same shape on every transport. */
export interface LiveRequest {
  /** The page URL (for the HTTP API: the API request URL). */
  readonly url: URL;
  readonly headers: Headers;
  readonly user: User | null;
  readonly session: SessionData;
  readonly transport: Transport;
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

/** Everything framework-owned about one view instance. */
export interface ViewRuntime {
  request?: LiveRequest;
  httpRequest?: Request;
  connected: boolean;
  pubsub?: PubSubHooks;
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

// A symbol-keyed, non-enumerable property rather than a WeakMap: symbols never count as state
// (state is `Object.keys`), and a WeakMap entry per HTTP API call made every scavenge pay for
// ephemeron processing.
const RUNTIME = Symbol("djust.runtime");

function runtimeFor(view: object): Runtime {
  const holder = view as { [RUNTIME]?: Runtime };
  let runtime = holder[RUNTIME];
  if (!runtime) {
    runtime = new Runtime();
    Object.defineProperty(view, RUNTIME, { value: runtime, enumerable: false });
  }
  return runtime;
}

/** The runtime of `view`, created on first use. */
export function runtimeOf(view: object): ViewRuntime {
  return runtimeFor(view);
}

/** Returns the effects collected so far and starts a new buffer. */
export function takeEffects(view: object): Effects {
  return Runtime.take(runtimeFor(view));
}
