/**
 * The `LiveView` base class.
 * @module
 */
import "../polyfill.js";
// Registers `{% live_file_input %}` and `{% live_img_preview %}` with every app's templates
// (`{% live_render %}` and `{% live_component %}` come with the live layer's renderer, which
// uses their modules).
import "./upload-html.js";
import type { AuthClassEntry } from "../auth/classes.js";
import type { User } from "../auth/user.js";
import type { Rendered, RenderContext } from "../render/tree.js";
import {
  runtimeOf,
  type AsyncOutcome,
  type ComponentClassRef,
  type ComponentId,
  type LiveRequest,
  type Params,
  type PubSubHooks,
} from "./runtime.js";
import type { SessionData } from "../auth/session.js";
import type { JsonObject } from "../state/serializable.js";
import { asyncLoading, isAsyncResult } from "./async-result.js";
import {
  ViewUploads,
  type AllowUploadOptions,
  type ExternalUploadMeta,
  type UploadConfig,
  type UploadedFile,
  type UploadEntry,
} from "./upload-config.js";
import {
  ViewStreams,
  type LiveStream,
  type StreamConfig,
  type StreamInsertOptions,
  type StreamOptions,
} from "./streams.js";

/**
 * A server-rendered, stateful view. Subclass it; its public fields (names not starting with
 * `_`) are its state, which must be serializable; `_name` and `#name` fields are private.
 *
 * Lifecycle: `setup(request, params)` runs on every new instance (page load, WebSocket join,
 * restore, HTTP API call) to wire private services; `mount(request, params)` sets the initial
 * state once per view lifetime and is skipped when the view is restored from a snapshot.
 *
 * Framework members (`request`, `user`, `pushEvent`, `pageTitle`, …) live on the prototype
 * and never count as state.
 */
export abstract class LiveView {
  /** Template file, looked up in the app's template dirs. Or define {@link render}. */
  static templateName?: string;
  /** API slug override (default: route name, else the kebab-cased class name). */
  static apiName?: string;
  /** Auth classes tried in order by the HTTP API; default `[SessionAuth]`. */
  static apiAuthClasses?: readonly AuthClassEntry[];
  /** Requires a logged-in user on every transport. */
  static loginRequired = false;
  /** Permissions required on every transport (all of them). */
  static permissionRequired?: string | readonly string[];
  /** Disables CSRF checks for this view's HTTP API calls (for token-authenticated clients). */
  static csrfExempt = false;
  /**
   * The view's streams and how each names its items in the page: `{ songs: { domId: (s) =>
   * `song-${s.id}` } }`. A stream used without being declared here must be started with
   * {@link stream} first. @default {} (each item's DOM id is `${name}-${item.id}`)
   */
  static streams?: Readonly<Record<string, StreamConfig>>;
  /**
   * Fields set back to these defaults after every render (a copy each time), as Phoenix's
   * temporary assigns: `{ messages: [] }` sends new messages once and then holds none. The
   * reset is no change (nothing re-renders for it) and snapshots hold the default.
   * @default undefined (none)
   */
  static temporaryAssigns?: Readonly<Record<string, unknown>>;

  /** Wires private services; runs on every new instance. Optional. */
  setup?(request: LiveRequest, params: Params): void | Promise<void>;
  /**
   * Sets the initial state, once per view lifetime. Optional. A restore runs it again only for
   * what a snapshot cannot hold (streams, uploads, temporary assigns…), then applies the
   * snapshot's state over it.
   */
  mount?(request: LiveRequest, params: Params): void | Promise<void>;
  /** Renders with html``; used when the class has no `templateName`. */
  render?(assigns: RenderContext): Rendered;
  /** Receives pub/sub messages for topics this view subscribed to. */
  handleInfo?(message: unknown): void | Promise<void>;
  /** Runs after mount and on every `pushPatch`/live patch with the URL's params. */
  handleParams?(params: Params, url: URL): void | Promise<void>;
  /**
   * Runs each time the view joins a connection (WebSocket, long-poll, test client), after
   * `mount` or a restore: the place to start timers ({@link sendAfter}) and background work
   * ({@link startAsync}). A page load mounts during the dead render, where there are no
   * timers, and the join restores that state, mounting again only in some cases (streams,
   * uploads, temporary assigns; docs/lifecycle.md).
   */
  joined?(): void | Promise<void>;
  /** Receives the outcome of a {@link startAsync} task, in the view's queue like an event. */
  handleAsync?(name: string, outcome: AsyncOutcome): void | Promise<void>;
  /**
   * Runs when a connected view ends: `"leave"` (the browser navigated away), `"closed"` (the
   * connection closed or the app shut down; the view's snapshot is kept for a reconnect). Its
   * timers and tasks are already cancelled.
   */
  unmount?(reason: "leave" | "closed"): void | Promise<void>;

  /**
   * Extra template values computed just before each render (the JIT pattern of seed 000).
   * Returned keys are added to the context; they are not state.
   */
  getContextData(): Record<string, unknown> {
    return {};
  }

  /** The request this view was mounted for. */
  get request(): LiveRequest | undefined {
    return runtimeOf(this).request;
  }

  /** The web `Request` while a handler runs over the HTTP API; `undefined` over WebSocket. */
  get httpRequest(): Request | undefined {
    return runtimeOf(this).httpRequest;
  }

  /** The current user, or `null`. */
  get user(): User | null {
    return runtimeOf(this).request?.user ?? null;
  }

  /** The session data of the current request. */
  get session(): SessionData {
    return runtimeOf(this).request?.session ?? {};
  }

  /** `true` while connected over WebSocket/long-poll (false during the dead render). */
  get connected(): boolean {
    return runtimeOf(this).connected;
  }

  /** The page title; setting it updates `<title>` in the browser. */
  get pageTitle(): string | undefined {
    return runtimeOf(this).title;
  }
  set pageTitle(title: string | undefined) {
    const runtime = runtimeOf(this);
    runtime.title = title;
    if (title === undefined) delete runtime.effects.title;
    else runtime.effects.title = title;
  }

  /** Sends a client-side event (`this.handleEvent(name, ...)` in a hook, or `window` listeners). */
  pushEvent(name: string, payload: unknown = {}): void {
    runtimeOf(this).effects.events.push([name, payload]);
  }

  /** Shows a flash message of `kind` (`"info"`, `"error"`, …). */
  putFlash(kind: string, message: string): void {
    runtimeOf(this).effects.flash[kind] = message;
  }

  /** Changes the URL without remounting; `handleParams` runs with the new params. */
  pushPatch(to: string, options: { replace?: boolean } = {}): void {
    runtimeOf(this).effects.navigation = { kind: "patch", to, replace: options.replace ?? false };
  }

  /** Navigates to another live view in the same session without a full page load. */
  pushNavigate(to: string, options: { replace?: boolean } = {}): void {
    runtimeOf(this).effects.navigation = {
      kind: "navigate",
      to,
      replace: options.replace ?? false,
    };
  }

  /** Full-page redirect. */
  redirect(to: string): void {
    runtimeOf(this).effects.navigation = { kind: "redirect", to };
  }

  /**
   * The view's streams, as templates see them (`streams.songs`); html`` views render one with
   * `this.streams.songs.map((domId, song) => html`<li id=${domId}>…</li>`)` inside an element
   * with `dj-update="stream"`. Not state.
   */
  get streams(): Readonly<Record<string, LiveStream>> {
    return streamsOf(this).forTemplate(this.constructor.name);
  }

  /**
   * Sends `items` to the stream `name` at the next render (and starts the stream if needed);
   * they are forgotten once sent, never kept in memory or snapshots. `reset: true` first removes
   * everything the stream shows. A view restored from a snapshot runs `mount` again to fill its
   * streams (see docs/live-views.md, "Streams").
   */
  stream(name: string, items: Iterable<unknown>, options: StreamOptions = {}): void {
    const stream = streamsOf(this).get(name, true, this.constructor.name);
    if (options.reset) stream.reset();
    const insert = {
      at: options.at ?? -1,
      ...(options.limit !== undefined && { limit: options.limit }),
    };
    for (const item of items) stream.insert(item, insert);
  }

  /**
   * Inserts or updates `item` in the stream `name` at the next render.
   * @throws UnknownStream when the view has no stream `name`
   */
  streamInsert(name: string, item: unknown, options: StreamInsertOptions = {}): void {
    streamsOf(this).get(name, false, this.constructor.name).insert(item, options);
  }

  /**
   * Removes `item` (found by its DOM id) from the stream `name` at the next render.
   * @throws UnknownStream when the view has no stream `name`
   */
  streamDelete(name: string, item: unknown): void {
    const stream = streamsOf(this).get(name, false, this.constructor.name);
    stream.deleteDomId(stream.domIdOf(item));
  }

  /**
   * Removes the child with DOM id `id` from the stream `name` at the next render.
   * @throws UnknownStream when the view has no stream `name`
   */
  streamDeleteByDomId(name: string, id: string): void {
    streamsOf(this).get(name, false, this.constructor.name).deleteDomId(id);
  }

  /**
   * Queues `assigns` for the component `Class` with `id` on this view's page: its `update`
   * receives them at the end of the current step (after the render of this view, as Phoenix's
   * `send_update`), and it re-renders if they changed it. A component that is not on the page
   * is reported in the log and nothing else happens. Nothing happens outside a live view (an
   * HTTP API call has no page).
   */
  sendUpdate(
    component: ComponentClassRef,
    id: ComponentId,
    assigns: Readonly<Record<string, unknown>> = {},
  ): void {
    runtimeOf(this).components?.sendUpdate(component, id, assigns);
  }

  /**
   * Delivers `message` to {@link handleInfo} after `ms` milliseconds (a periodic refresh sends
   * itself the next one from there). Returns a function that cancels it. Only a connected view
   * has timers: during the dead render (which logs the first such call of each view class) and
   * an HTTP API call this does nothing, so start timers in {@link joined}. A view's timers end
   * with it.
   */
  sendAfter(ms: number, message: unknown): () => void {
    return runtimeOf(this).tasks?.sendAfter(ms, message) ?? noop;
  }

  /**
   * Runs `task` in the background without holding the view's queue, and delivers its outcome
   * to {@link handleAsync}(name, outcome) — a rejection is a failed outcome, never an unhandled
   * one. A task of the same name replaces the running one; `task` gets an `AbortSignal` that
   * fires on {@link cancelAsync}, on replacement and when the view ends. Connected views only
   * (like Phoenix's `start_async`).
   */
  startAsync(name: string, task: (signal: AbortSignal) => unknown): void {
    runtimeOf(this).tasks?.startAsync(name, task);
  }

  /**
   * Loads state fields in the background: each field in `keys` becomes a loading
   * `AsyncResult` now, and once `loader` settles holds `{ ok: true, result }` (its value
   * for that key) or `failed` — the error is logged, never an unhandled rejection; the template
   * renders each state as it comes. A new `assignAsync` of the same keys replaces the running
   * one; the loader's `signal` fires when it is replaced or the view ends. Only a connected view
   * runs loaders (as Phoenix's `assign_async`): during the dead render the fields just show
   * `loading`, and the join starts the loader (a restore with fields still loading runs `mount`
   * again — see docs/lifecycle.md).
   */
  assignAsync<K extends keyof this & string>(
    keys: K | readonly K[],
    loader: (signal: AbortSignal) => Record<K, unknown> | Promise<Record<K, unknown>>,
  ): void {
    const list: readonly string[] = typeof keys === "string" ? [keys] : [...(keys as readonly K[])];
    const fields = this as unknown as Record<string, unknown>;
    for (const key of list) {
      const previous = fields[key];
      fields[key] = asyncLoading(isAsyncResult(previous) ? previous : undefined);
    }
    runtimeOf(this).tasks?.assignAsync(list, loader);
  }

  /** Cancels the running task `name` (its outcome is never delivered); `false` when none runs. */
  cancelAsync(name: string, reason?: unknown): boolean {
    return runtimeOf(this).tasks?.cancelAsync(name, reason) ?? false;
  }

  /**
   * Tracks this view's presence on `topic` under `key` (a user id, say) with `meta` (JSON:
   * a name, when they arrived). Every view subscribed to `topic`, on every node, gets a
   * `presence_diff` in {@link handleInfo}, and `presenceList(view, topic)` lists it. Tracking
   * the same key again replaces its meta. The entry leaves when the view ends (on a killed
   * node: within the app's `presenceTimeoutMs`). Only a connected view tracks — track in
   * {@link joined} (every join, restores included; the dead render logs a `track` it gets).
   * `false` when refused: not connected, or over `limits.presencesPerView` /
   * `limits.presencesPerTopic`.
   */
  track(topic: string, key: string, meta: JsonObject = {}): boolean {
    if (typeof topic !== "string" || typeof key !== "string" || topic === "" || key === "") {
      throw new TypeError("track(topic, key, meta): topic and key must be non-empty strings");
    }
    return runtimeOf(this).presence?.track(topic, key, meta) ?? false;
  }

  /** Removes this view's presence on `topic` (only `key`'s, when given). */
  untrack(topic: string, key?: string): void {
    runtimeOf(this).presence?.untrack(topic, key);
  }

  /**
   * Receives messages broadcast on `topic` in {@link handleInfo}. Harmless in a view that runs
   * for one HTTP API call or the dead render: the join of the connected view subscribes.
   */
  subscribe(topic: string): Promise<void> {
    return Promise.resolve(hooksOf(this).subscribe(topic));
  }

  /**
   * Sends `message` to every view subscribed to `topic` (on every node with a shared pub/sub),
   * from any transport. Never rejects: a failing pub/sub is logged.
   */
  broadcast(topic: string, message: unknown): Promise<void> {
    return Promise.resolve(hooksOf(this).broadcast(topic, message));
  }

  /**
   * Allows an upload named `name` (call it in `mount`): the template places its input with
   * `{% live_file_input uploads.<name> %}` / `liveFileInput(this.uploads.<name>)`. Files go over
   * the WebSocket in chunks to a temp file (or straight to storage with `external`), checked
   * against `accept`, `maxEntries` and `maxFileSize` while they stream.
   * @throws TypeError for invalid options; Error when the upload still has entries.
   */
  allowUpload(name: string, options: AllowUploadOptions): UploadConfig {
    const runtime = runtimeOf(this);
    return (runtime.uploads ??= new ViewUploads()).allow(name, options);
  }

  /** The uploads allowed so far, by name (not state; templates read it as `uploads`). */
  get uploads(): Readonly<Record<string, UploadConfig>> {
    return runtimeOf(this).uploads?.byName ?? NO_UPLOADS;
  }

  /**
   * Hands each completed entry of upload `name` to `fn` — `{ path }` of its temp file (or
   * `{ path: "", meta }` for an external upload) and the entry — and returns what `fn` returned,
   * in order. The entries are then dropped and their temp files deleted, even when `fn` throws:
   * copy or move the file inside `fn`.
   * @throws Error when the upload was never allowed or entries are still uploading.
   */
  async consumeUploadedEntries<T>(
    name: string,
    fn: (file: UploadedFile & { meta?: ExternalUploadMeta }, entry: UploadEntry) => T | Promise<T>,
  ): Promise<T[]> {
    const uploads = uploadsOf(this);
    try {
      return await uploads.get(name).consume(fn);
    } finally {
      uploads.changed = true;
    }
  }

  /** Cancels entry `ref` of upload `name` (deleting what it wrote); unknown refs are ignored. */
  async cancelUpload(name: string, ref: string): Promise<void> {
    const uploads = uploadsOf(this);
    await uploads.get(name).cancel(ref);
    uploads.changed = true;
  }

  /** Upload `name`'s entries, split into completed and still uploading. */
  uploadedEntries(name: string): { completed: UploadEntry[]; inProgress: UploadEntry[] } {
    return uploadsOf(this).get(name).uploaded();
  }
}

const NO_UPLOADS: Readonly<Record<string, UploadConfig>> = Object.freeze({});

function uploadsOf(view: LiveView): ViewUploads {
  const uploads = runtimeOf(view).uploads;
  if (!uploads) throw new Error(`${view.constructor.name} allowed no uploads (call allowUpload)`);
  return uploads;
}

const noop = (): void => undefined;

/**
 * Whether `view` computes values of its own for its render (`getContextData()`): they may
 * depend on anything, and its render may write state.
 */
export function hasOwnContextData(view: LiveView): boolean {
  return view.getContextData !== LiveView.prototype.getContextData;
}

/** The streams of `view`, made on first use. */
export function streamsOf(view: LiveView): ViewStreams {
  const runtime = runtimeOf(view);
  return (runtime.streams ??= new ViewStreams(view.constructor as typeof LiveView));
}

/** The pub/sub a transport attached; a view not run by an app has none. */
function hooksOf(view: LiveView): PubSubHooks {
  const pubsub = runtimeOf(view).pubsub;
  if (!pubsub)
    throw new Error(`${view.constructor.name} is not run by an app (no pub/sub attached)`);
  return pubsub;
}

/** A concrete LiveView class. */
export type LiveViewClass<V extends LiveView = LiveView> = (new () => V) & typeof LiveView;
