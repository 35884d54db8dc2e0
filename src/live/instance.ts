/**
 * One live view instance, independent of any transport: create (`setup`), `mount` or restore
 * from a snapshot, then one step at a time — events, pub/sub messages, URL patches — through the
 * shared dispatch pipeline, each followed by the render step (`render.ts`), with snapshots
 * written before the reply or behind it (`snapshot.ts`) and pub/sub topics (`topics.ts`). The WebSocket and long-poll
 * channels, the dead render and `LiveViewTestClient` all drive this class, so they cannot
 * disagree.
 * @module
 */
import { errorText } from "../logger.js";
import { isAuthenticated, type User } from "../auth/user.js";
import { DjustError, SerializeError, ServiceUnavailable, ValidationError } from "../errors.js";
import type { WireRendered } from "../render/diff.js";
import { renderToString, type StreamHtml } from "../render/html.js";
import type { ComponentRef, Rendered, Template } from "../render/tree.js";
import type { StoredView } from "../state/backends/types.js";
import type { SerializationPolicy } from "../state/codec.js";
import { addEdits, addStep, type DeltaOp } from "../state/delta.js";
import { stateKeys, StateTracker } from "../state/tracker.js";
import { dispatch, type DispatchOutcome } from "../pipeline/dispatch.js";
import { startView, type StartedView } from "../pipeline/lifecycle.js";
import { publish } from "../pipeline/pubsub.js";
import type { LiveView, LiveViewClass } from "../view/live-view.js";
import { handlersOf } from "../view/registry.js";
import {
  runtimeOf,
  takeEffects,
  type Effects,
  type LiveRequest,
  type Navigation,
  type Params,
} from "../view/runtime.js";
import { ViewComponents } from "./components.js";
import type { Flash } from "./flash.js";
import { ChildViews, type PendingChild, type ViewPlace } from "./nested.js";
import { browserBinding } from "./view-token.js";
import type { ChildRenderer } from "../view/live-render.js";
import type { LiveEnv, LiveRoute, TemplateSource } from "./host.js";
import { stripFormMeta } from "./params.js";
import { RenderLog } from "./render-log.js";
import { safeUrl } from "./routes.js";
import { CLEAR_FLASH_EVENT } from "./protocol.js";
import {
  decorate,
  hasDecoration,
  renderFull,
  renderPage,
  replyValue,
  rerender,
  type RenderSource,
} from "./render.js";
import {
  componentEdits,
  componentField,
  logSaveFailure,
  noteSaved,
  saveLater,
  type DeltaLog,
  extrasMatch,
  snapshotOf,
  writeSnapshot,
  type SnapshotSource,
  type Unsaved,
} from "./snapshot.js";
import {
  activateTopic,
  findTopic,
  topicEntries,
  topicNames,
  unsubscribeAll,
  ViewPubSub,
  withTopic,
  type TopicEntry,
  type TopicOwner,
} from "./topics.js";
import { traced, tracing, type TraceContext } from "../telemetry.js";
import { EarlyTasks, settleAsync, Tasks } from "./tasks.js";
import { asyncFailed, loadingFields, type AsyncResult } from "../view/async-result.js";
import { PageLoadPresence, PageLoadTasks } from "./page-load.js";
import { EarlyPresence, ViewPresence } from "./presence.js";
import type { PresenceList, ViewPresenceHooks } from "../presence/types.js";
import type { JsonObject } from "../state/serializable.js";
import type { AsyncOutcome, ViewTasks } from "../view/runtime.js";
import type { UploadConfig, UploadErrorKind, ViewUploads } from "../view/upload-config.js";
import type {
  ComponentId,
  ComponentPlacer,
  LiveComponent,
  LiveComponentClass,
} from "../view/live-component.js";
import type { ComponentHooks } from "../view/runtime.js";

/** Who is running the view: the user, the session and the rate-limit caller key. */
export interface Caller {
  readonly user: User | null;
  /** `user:<id>`, else `session:<id>`, else `ip:<addr>`. */
  readonly key: string;
}

/** The effects of one step, in wire terms, for the transport to send. */
export interface StepResult {
  /** The rendered diff with `e`/`t`/`r` added; `null` when there is nothing to send. */
  readonly diff: WireRendered | null;
  readonly navigation?: Navigation;
  /** The flash to carry to the next page, with a `navigate` or `redirect` navigation. */
  readonly flash?: Flash;
}

/** The outcome of one event. */
export interface EventResult extends StepResult {
  /** Set when the event was refused or failed; any diff is still in {@link diff}. */
  readonly error?: DjustError;
}

/** Route params plus the URL's query params (first value of each), route params winning. */
export function urlParams(url: URL, routeParams: Params): Params {
  const out: Params = {};
  // Most URLs have no query: `searchParams` would make (and keep on the URL) an empty object.
  if (url.search !== "") {
    for (const [key, value] of url.searchParams) if (!(key in out)) out[key] = value;
  }
  return Object.assign(out, routeParams);
}

/**
 * Whether `now` is elsewhere than the snapshot's URL `stored`. Path and query only: the browser
 * may know the host by another name than the server (a proxy), and adds fragments the server
 * never sees. The same text is the same place (a join on the page's own URL: no second parse).
 */
function movedSince(stored: string | undefined, now: URL): boolean {
  if (stored === undefined || stored === now.href) return false;
  const before = safeUrl(stored);
  return before !== undefined && before.pathname + before.search !== now.pathname + now.search;
}

/** Options of {@link LiveInstance.start}. */
export interface StartOptions {
  readonly env: LiveEnv;
  readonly route: LiveRoute;
  readonly request: LiveRequest;
  /** Route params (query params are read from `request.url`). */
  readonly routeParams: Params;
  readonly caller: Caller;
  /** The view id (`data-phx-session` names it; the key of its snapshot). */
  readonly id: string;
  /** `true` for WebSocket/long-poll/test joins, `false` for the dead render. */
  readonly connected: boolean;
  /** A snapshot to restore instead of mounting; ignored unless it was taken of `route.view`. */
  readonly stored?: StoredView | null;
  /** The CSRF token of the page, offered to templates as `csrf_token`. */
  readonly csrfToken?: string;
  /** Flash carried over from the previous page (`pushNavigate`, `redirect`). */
  readonly flash?: Flash | undefined;
  /** Called with a diff produced outside a request/reply (pub/sub messages). */
  readonly onPush?: (result: StepResult) => void;
  /**
   * Called with each re-render's tree before the diff drops its stream items, which only a
   * model of the page needs (the test client's): the kept {@link LiveInstance.tree} has none.
   */
  readonly onRender?: (rendered: Rendered) => void;
  /**
   * Where the view's container is, when not the main view's own (`data-phx-main`, whose
   * container id is {@link id}): a main view after live navigation, or a nested view.
   */
  readonly place?: ViewPlace;
  /**
   * A nested view (`liveRender`): `routeParams` are its session, and it has no URL of its own
   * (no query params, no `handleParams`; Phoenix allows `handle_params` only at the root).
   */
  readonly nested?: boolean;
}

// Every connected view holds its instance for as long as the browser tab is open, so what an
// idle view keeps is the framework's memory cost per user. The shared empty values below stand
// in for per-view structures that most views never fill (private fields, flash), and are
// replaced by a view's own copy on first write; topics and the save timer exist only once used.
const IDLE: Promise<unknown> = Promise.resolve();
/** A step that changed nothing and sends nothing. */
const NOTHING: StepResult = { diff: null };
const ignore = (): undefined => undefined;
const NO_FIELDS: readonly string[] = Object.freeze([]);
const NO_UNSAVED: ReadonlyMap<string, DeltaOp[] | null> = new Map();
const NO_FLASH: Readonly<Record<string, string>> = Object.freeze({});
const NO_TOPICS: ReadonlySet<string> = new Set();
const NO_PARAMS: Params = Object.freeze({});

/**
 * The instance's serialization policy. The set of warned-about fields exists only once a field
 * was actually found non-serializable, which a healthy view never does.
 */
class ViewPolicy implements SerializationPolicy {
  #warned?: Set<string>;

  constructor(
    readonly strict: boolean,
    readonly logger: LiveEnv["logger"],
    readonly view: string,
  ) {}

  get warned(): Set<string> {
    return (this.#warned ??= new Set());
  }
}

/**
 * A mounted (or restored) live view: one step at a time (events, pub/sub messages, URL
 * patches), each rendered by the render step, saved behind by the snapshots, listening through
 * its topics.
 */
export class LiveInstance
  implements RenderSource, TopicOwner, ViewTasks, ViewPresenceHooks, ComponentPlacer, ComponentHooks
{
  readonly view: LiveView;
  readonly route: LiveRoute;
  readonly id: string;
  readonly env: LiveEnv;
  readonly tracker: StateTracker;
  /** How the view came to be: mounted now, or restored from a snapshot. */
  restored = false;
  #caller: Caller;
  /** The tree the client shows (the base of the next diff). */
  #tree?: Rendered;
  /** Timers and tasks, made on first use: most views have none. */
  #tasks?: Tasks;
  /** Presence entries, made on the first `track`. */
  #presence?: ViewPresence;
  /** The compiled template {@link #tree} came from. */
  #template?: Template;
  /** What the renders know of the rows edited in place (loops re-render only those). */
  readonly #renderLog = new RenderLog();
  /** {@link NO_FLASH} until a message arrives; never mutated while shared. */
  #flash: Readonly<Record<string, string>> = NO_FLASH;
  #flashChanged = false;
  /** The fields a failed render changed: the client lacks them until a render succeeds. */
  #unshown?: readonly string[];
  #privateFields: readonly string[] = NO_FIELDS;
  /** Topics in subscription order, each with its live subscription once activated. */
  #topics?: TopicEntry[];
  /**
   * The current URL as text: a parsed `URL` costs some 300 bytes per idle view, and is only
   * needed when the view patches or navigates.
   */
  #href: string;
  #routeParams: Params;
  #csrfToken?: string;
  #queue: Promise<unknown> = IDLE;
  #onPush?: (result: StepResult) => void;
  #onRender?: (rendered: Rendered) => void;
  #closed = false;
  /** {@link close} was called: what it does, once. */
  #closing?: Promise<void>;
  /** Set while changes wait for their snapshot to be written (`durability: "behind"`). */
  #saveTimer?: ReturnType<typeof setTimeout>;
  /**
   * What the stored snapshot lacks: `"all"` until the first write, then the top-level fields
   * changed since the last write (an empty set when only the URL, flash or topics did);
   * `undefined` when the snapshot is up to date.
   */
  #unsaved?: Unsaved = "all";
  /** When the stored snapshot was last written or its lifetime extended (epoch ms). */
  #storedAt = 0;
  /** What the store holds of each field beyond its last whole encoding (made on first write). */
  #deltaLog?: DeltaLog;
  #connected: boolean;
  #pendingEffects?: Effects;
  /** The client events a dead render's mount pushed, kept in its snapshot for the join. */
  #heldEvents?: [string, unknown][];
  /** Set unless the container is the main view's own and its id is {@link id}. */
  #place?: ViewPlace;
  #nested: boolean;
  /** Its nested views, made by the first `liveRender` it renders. */
  #children?: ChildViews;
  /** The view's LiveComponents, made by the first placement (or a restore that had some). */
  #components?: ViewComponents;
  /** Its trackers record the edits of each step (for incremental writes and row renders). */
  readonly #keepsEdits: boolean;

  private constructor(options: StartOptions, view: LiveView) {
    this.view = view;
    this.route = options.route;
    this.id = options.id;
    this.env = options.env;
    this.#caller = options.caller;
    this.#href = options.request.url.href;
    const routeParams = options.routeParams;
    this.#routeParams = hasKeys(routeParams) ? routeParams : NO_PARAMS;
    this.#csrfToken = options.csrfToken;
    if (options.flash) this.#flash = { ...options.flash };
    this.#onPush = options.onPush;
    this.#onRender = options.onRender;
    this.#connected = options.connected;
    this.#place = options.place;
    this.#nested = options.nested === true;
    // A connected view's snapshots are written incrementally where the backend can patch.
    this.#keepsEdits = options.connected && options.env.stateBackend.patch !== undefined;
    this.tracker = new StateTracker(
      new ViewPolicy(options.env.strictSerialization, options.env.logger, options.route.view.name),
      { deltas: this.#keepsEdits },
    );
  }

  /** How non-serializable state is reported for this view (warned once per field). */
  get policy(): SerializationPolicy {
    return this.tracker.policy;
  }

  /**
   * Creates the view: `setup`, then either restores `stored` or runs `mount` + `handleParams`.
   * Navigation asked for during mount is returned in `navigation` (the caller redirects).
   * @throws AccessDenied when the caller may not see the view; anything `setup`/`mount` throws.
   */
  static async start(options: StartOptions): Promise<{
    instance: LiveInstance;
    navigation?: Navigation;
    flash?: Flash;
  }> {
    const { route, request } = options;
    const params =
      options.nested === true
        ? { ...options.routeParams }
        : urlParams(request.url, options.routeParams);
    // `mount` may subscribe before the instance exists (and a failed restore makes a second
    // view): topics are collected here and handed to the instance.
    const mountTopics: string[] = [];
    const early = options.connected ? new EarlyTasks() : undefined;
    const env = options.env;
    const earlyPresence = options.connected
      ? new EarlyPresence(env.presence, env.presencesPerView, env.logger, route.view.name)
      : undefined;
    // A connected view may receive presence diffs: this node listens to the others.
    if (options.connected) void env.presence.start();
    const started: StartedView = await startView({
      View: route.view,
      request,
      params,
      services: route.services,
      onMount: route.onMount,
      connected: options.connected,
      stored: options.stored,
      logger: options.env.logger,
      onRemount: () => {
        mountTopics.length = 0;
        early?.discard();
        earlyPresence?.discard();
      },
      tasks: early ?? new PageLoadTasks(route.view.name, env.logger),
      presence:
        earlyPresence ?? new PageLoadPresence(route.view.name, env.logger, env.presence.listOnly),
      pubsub: {
        subscribe(topic) {
          if (!mountTopics.includes(topic)) mountTopics.push(topic);
        },
        broadcast: (topic, message) =>
          publish(options.env.pubsub, options.env.logger, route.view.name, topic, message),
      },
    });
    const { view, restoredFrom, mountedAgain = false, refilled = false } = started;
    const instance = new LiveInstance(options, view);
    runtimeOf(view).pubsub = new ViewPubSub(instance);
    runtimeOf(view).components = instance;
    // Saved components come back as the first render places them again.
    if (restoredFrom?.components) instance.#componentTable(restoredFrom.components);
    if (early) {
      runtimeOf(view).tasks = instance;
      early.replay(instance);
    }
    if (earlyPresence) {
      runtimeOf(view).presence = instance;
      earlyPresence.replay(instance);
    }
    instance.#privateFields = started.privateFields;
    const topics = restoredFrom ? restoredFrom.topics.concat(mountTopics) : mountTopics;
    if (topics.length > 0) instance.#topics = topicEntries(topics);
    // What a restore changes (handleParams, joined) is all its stored snapshot lacks.
    if (restoredFrom) instance.tracker.reset(view, started.restoredState);
    if (restoredFrom) await instance.#restored(restoredFrom, request, refilled);
    else if (!instance.#nested) await view.handleParams?.(params, request.url);
    // Mount ran during the dead render (not connected) and a join restores: timers and
    // background work start here, on every join.
    if (options.connected) await view.joined?.();
    if (restoredFrom?.loading && options.connected) instance.#interrupted(restoredFrom.loading);
    if (restoredFrom) {
      instance.#storedAt = restoredFrom.savedAt;
      instance.#unsavedSinceRestore(restoredFrom);
    }
    // A dead render's view is rendered, stored whole and dropped: it has no change to track
    // (a check asked of it binds the tracker then), but strict mode refuses its state as it
    // would refuse the live view's.
    else if (options.connected) instance.tracker.reset(view);
    else instance.tracker.refuseUnserializable(view);
    const effects = takeEffects(view);
    // The dead render's pushes go out with the join's reply, before those of `joined` (unless
    // mount ran again and pushed them anew).
    if (restoredFrom?.events && !mountedAgain) {
      effects.events.unshift(...pushedEvents(restoredFrom.events));
    }
    instance.#absorbFlash(effects);
    instance.#pendingEffects = effects;
    for (const entry of instance.#topics ?? []) await activateTopic(entry, instance);
    // Written soon (after the join's reply), not at the next event: a restore of the stored
    // record, on another node after a crash say, would send its events again. Armed once the
    // start can no longer fail (a refused join must not overwrite the page's record).
    if (restoredFrom?.events && options.connected) instance.#saveTimer ??= saveLater(instance);
    const navigation = effects.navigation;
    if (!navigation) return { instance };
    return { instance, navigation, ...instance.#carriedFlash(navigation) };
  }

  /** The flash a navigation away from this view takes along (Phoenix keeps it). */
  #carriedFlash(navigation: Navigation): { flash?: Flash } {
    return navigation.kind !== "patch" && hasKeys(this.#flash) ? { flash: this.#flash } : {};
  }

  /**
   * A restored field still `loading` whose loader ran when the view was saved (`loading`, as
   * stored) and did not start again (a handler's reload, not `mount`'s or `joined`'s) fails as
   * `"interrupted"`: no loader will ever fill it.
   */
  #interrupted(loading: readonly string[]): void {
    if (!Array.isArray(loading)) return;
    const fields = this.view as unknown as Record<string, unknown>;
    const restarted = this.#tasks?.loading() ?? NO_FIELDS;
    const keys = stateKeys(this.view).filter((k) => loading.includes(k) && !restarted.includes(k));
    for (const key of loadingFields(this.view, keys)) {
      fields[key] = asyncFailed("interrupted", fields[key] as AsyncResult);
    }
  }

  /** Brings back what a snapshot holds beyond the view's state: flash, and the URL. */
  async #restored(stored: StoredView, request: LiveRequest, refilled: boolean): Promise<void> {
    if (hasKeys(stored.flash)) this.#flash = { ...stored.flash };
    if (stored.title !== undefined) runtimeOf(this.view).title = stored.title;
    this.restored = true;
    // The browser patched the URL since the snapshot: bring the state in line with it. A view
    // whose mount refilled its streams or temporary assigns runs it in any case: they are often
    // filled from the URL's params (the join reply must carry what the page shows;
    // docs/streams.md). Other views whose mount ran again keep the snapshot's state.
    if (this.#nested) return;
    if (refilled || movedSince(stored.url, request.url)) {
      await this.view.handleParams?.(urlParams(request.url, this.#routeParams), request.url);
    }
  }

  /**
   * After a restore the stored snapshot is current but for what the restore changed, so an
   * idle view writes nothing when it closes (a drain of thousands of views would otherwise
   * rewrite every one of them).
   */
  #unsavedSinceRestore(stored: StoredView): void {
    const changed = this.#changes();
    this.#unsaved = undefined;
    if (changed.length > 0) this.#touch(changed);
    else if (!extrasMatch(stored, this.#source())) this.#touch();
  }

  /** The view's components, once one was placed. */
  get components(): ViewComponents | undefined {
    return this.#components;
  }

  /** The render places its components through the instance (the table is made on first use). */
  get placer(): ComponentPlacer {
    return this;
  }

  #componentTable(stored?: StoredView["components"]): ViewComponents {
    return (this.#components ??= new ViewComponents(
      this.view,
      {
        templates: this.env.templates,
        registry: this.env.components,
        policy: this.policy,
        logger: this.env.logger,
        viewName: this.route.view.name,
        edits: this.#keepsEdits,
      },
      stored,
    ));
  }

  placeComponent(
    Class: LiveComponentClass,
    assigns: Readonly<Record<string, unknown>>,
  ): ComponentRef {
    return this.#componentTable().placeComponent(Class, assigns);
  }

  placeComponentByName(name: string, assigns: Readonly<Record<string, unknown>>): ComponentRef {
    return this.#componentTable().placeComponentByName(name, assigns);
  }

  /** `sendUpdate` of the view and its components. */
  sendUpdate(Class: abstract new () => object, id: string | number, assigns: object): void {
    this.#componentTable().sendUpdate(Class, id, assigns);
  }

  /**
   * The component with cid `cid`, to run one of its events (and the test client's checks).
   * @throws NotFound when the view has no such component.
   */
  componentTarget(cid: number): ReturnType<ViewComponents["target"]> {
    return this.#componentTable().target(cid);
  }

  /** The component `Class`/`id` on the view's page, if any (tests). */
  component<C extends LiveComponent>(Class: LiveComponentClass<C>, id: ComponentId): C | undefined {
    return this.#components?.find(Class, id) as C | undefined;
  }

  /**
   * HTML of `tree` (default: what the client shows), its components included; `streams` gives
   * the children of each stream container, which the kept tree lacks.
   */
  html(tree: Rendered | undefined = this.#tree, streams?: StreamHtml): string {
    if (!tree) throw new Error("the view has not rendered yet");
    const components = this.#components;
    return renderToString(tree, components && ((cid) => components.html(cid)), streams);
  }

  /**
   * `cids_will_destroy`: the page stopped showing these components (in the queue, after the
   * steps that rendered them).
   */
  componentsWillDestroy(cids: readonly number[]): Promise<void> {
    return this.#serial(async () => this.#components?.willDestroy(cids));
  }

  /** `cids_destroyed`: deletes the components still gone; resolves to their cids. */
  componentsDestroyed(cids: readonly number[]): Promise<number[]> {
    return this.#serial(async () => {
      const destroyed = this.#components?.destroyed(cids) ?? [];
      if (this.#touchComponents()) await this.#store();
      return destroyed;
    });
  }

  /** The current URL of the view (changes with patches); a fresh `URL` on every read. */
  get url(): URL {
    return new URL(this.#href);
  }

  /** Current flash messages. */
  get flash(): Readonly<Record<string, string>> {
    return this.#flash;
  }

  /** The view's class (what it renders with). */
  get viewClass(): LiveViewClass {
    return this.route.view;
  }

  /** The app's templates. */
  get templates(): TemplateSource | undefined {
    return this.env.templates;
  }

  /** The page's CSRF token, offered to templates as `csrf_token`. */
  get csrfToken(): string | undefined {
    return this.#csrfToken;
  }

  /** Pub/sub topics this view listens to. */
  get topics(): ReadonlySet<string> {
    return this.#topics ? topicNames(this.#topics) : NO_TOPICS;
  }

  /** Whether its topics' messages are wanted: connected and not closed. */
  get listening(): boolean {
    return this.#connected && !this.#closed;
  }

  /** The tree the client shows (after {@link renderFull}). */
  get tree(): Rendered | undefined {
    return this.#tree;
  }

  /** The user the view runs for. */
  get caller(): Caller {
    return this.#caller;
  }

  /** Where its container is on the page. */
  get place(): ViewPlace {
    return this.#place ?? { domId: this.id, pageId: this.id, depth: 0 };
  }

  /** Starts a render's `liveRender`s (see {@link RenderSource.openChildren}). */
  get openChildren(): () => ChildRenderer {
    const nest = this.env.nest;
    if (!nest) return withoutNest;
    return () =>
      (this.#children ??= new ChildViews(nest, () => {
        const user = this.#caller.user;
        return {
          key: this.id,
          place: this.place,
          connected: this.#connected,
          href: this.#href,
          binding: browserBinding(this.#csrfToken ?? ""),
          uid: isAuthenticated(user) ? user.id : null,
          viewName: this.route.view.name,
        };
      })).begin();
  }

  /** The children the dead render placed in its last render, to start and render inline. */
  takePendingChildren(): PendingChild[] {
    return this.#children?.takePending() ?? [];
  }

  /**
   * Renders every slot and returns the full wire tree, with the events/title collected since
   * the view started (mount's `pushEvent`, `pageTitle`).
   */
  renderFull(): { tree: Rendered; wire: WireRendered; title?: string } {
    const { tree, template, wire, kept } = traced(
      tracing.render,
      () => this.#traceContext(),
      () => {
        this.#renderLog.full();
        return renderFull(this, this.#template);
      },
    );
    this.#tree = kept;
    const effects = this.#rendered(template);
    decorate(wire, effects);
    return effects.title === undefined ? { tree, wire } : { tree, wire, title: effects.title };
  }

  /**
   * Renders every slot of a dead render for its HTML (the page is all it sends): the tree and
   * the title, without the wire tree a join sends.
   */
  renderPage(): { tree: Rendered; title?: string } {
    const { tree, template } = traced(
      tracing.render,
      () => this.#traceContext(),
      () => renderPage(this, this.#template),
    );
    this.#tree = tree;
    const { title, events } = this.#rendered(template);
    if (events.length > 0) this.#heldEvents = this.#storable(events);
    return title === undefined ? { tree } : { tree, title };
  }

  /**
   * The dead render's events that its snapshot can hold: one whose payload is not JSON (a
   * `BigInt`, a cycle) could not be sent either, and would make the whole snapshot unstorable.
   */
  #storable(events: [string, unknown][]): [string, unknown][] {
    return events.filter(([name, payload]) => {
      try {
        JSON.stringify(payload);
        return true;
      } catch (error) {
        this.env.logger.warn(
          `${this.route.view.name} pushed "${name}" during the page load with a payload that ` +
            `is not JSON (${errorText(error).split("\n")[0]}): it is dropped`,
          { view: this.route.view.name },
        );
        return false;
      }
    });
  }

  /** What follows a whole render; returns the effects collected since the view started. */
  #rendered(template: Template | undefined): Effects {
    this.#template = template;
    this.#afterRender();
    const uploads = runtimeOf(this.view).uploads;
    if (uploads) uploads.changed = false;
    const effects = this.#pendingEffects ?? takeEffects(this.view);
    this.#pendingEffects = undefined;
    return effects;
  }

  /** Resolves when every step queued so far has finished. */
  async whenIdle(): Promise<void> {
    await this.#queue;
  }

  /** Runs `fn` after every step queued before it: one step at a time per view, like Phoenix. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(ignore);
    return next;
  }

  /**
   * Runs event `name` with `params` through the dispatch pipeline and renders what changed.
   * `coerceStrings` for browser-originated strings (forms, `dj-value-*`).
   */
  event(
    name: string,
    params: Record<string, unknown>,
    coerceStrings: boolean,
    uploads?: unknown,
    cid?: unknown,
  ): Promise<EventResult> {
    return this.#serial(() =>
      cid === undefined
        ? this.#event(name, params, coerceStrings, uploads)
        : this.#componentEvent(cid, name, params, coerceStrings),
    );
  }

  /**
   * An event for one of the view's components (`dj-target`): the same pipeline as the view's
   * own events, run on the component (its handlers, permissions, rate limits — per caller, view
   * slug + component name and handler — and validation), then only that component renders.
   */
  async #componentEvent(
    cid: unknown,
    name: string,
    raw: Record<string, unknown>,
    coerceStrings: boolean,
  ): Promise<EventResult> {
    if (typeof cid !== "number" || !Number.isSafeInteger(cid) || cid < 0) {
      return {
        diff: null,
        error: new ValidationError("cid must be a non-negative integer.", "cid"),
      };
    }
    let target: ReturnType<ViewComponents["target"]>;
    try {
      target = this.componentTarget(cid);
    } catch (error) {
      if (!(error instanceof DjustError)) throw error;
      return { diff: null, error };
    }
    const spec = handlersOf(target.component.constructor as new () => object).get(name);
    const params = spec?.params === "any" ? raw : stripFormMeta(raw);
    const outcome: DispatchOutcome = await dispatch(target.component, name, params, {
      transport: this.#transportName(),
      user: this.#caller.user,
      caller: this.#caller.key,
      slug: `${this.route.slug}/${target.slug}`,
      rateLimits: this.env.rateLimits,
      tracker: target.tracker,
      coerceStrings,
      inputDepth: this.env.inputDepth,
    });
    // What it edited in place of an object the view gave it, the view's tracking did not see:
    // the fields reaching it are stored whole and render at this step (the components know
    // which objects).
    const held = this.#components?.changed(cid, outcome.changed) ?? NO_FIELDS;
    if (held.length > 0) {
      this.#touch(held, new Map(held.map((field) => [field, null])), false);
      this.#unshown = [...(this.#unshown ?? NO_FIELDS), ...held];
    }
    const fields = this.#changes();
    // Sharing it made (one of the view's objects put at a second place by its edit, or, through
    // `this.view`, an object it was given stored in the view's state, which the view's tracking
    // takes for a new one) is found anew.
    if (held.length > 0 || (fields.length > 0 && this.#components?.given(cid))) {
      this.tracker.relinkShared();
    }
    return this.#settle(outcome, fields);
  }

  async #event(
    name: string,
    raw: Record<string, unknown>,
    coerceStrings: boolean,
    uploads?: unknown,
  ) {
    if (name === CLEAR_FLASH_EVENT) return this.#clearFlash(raw);
    // A form event lists the files chosen in its upload inputs: entries before the handler.
    if (uploads !== undefined) runtimeOf(this.view).uploads?.putListed(uploads);
    const spec = handlersOf(this.route.view).get(name);
    // Handlers with a schema get the fields only; "any" handlers also see the client's
    // `_target`/`_unused_*` form metadata (the forms helper reads it).
    const params = spec?.params === "any" ? raw : stripFormMeta(raw);
    const outcome: DispatchOutcome = await dispatch(this.view, name, params, {
      transport: this.#transportName(),
      user: this.#caller.user,
      caller: this.#caller.key,
      slug: this.route.slug,
      rateLimits: this.env.rateLimits,
      tracker: this.tracker,
      coerceStrings,
      inputDepth: this.env.inputDepth,
    });
    return this.#settle(outcome, outcome.changed);
  }

  /** A dispatched event's reply value, render and error; `changed` = the view's fields. */
  async #settle(outcome: DispatchOutcome, changed: readonly string[]): Promise<EventResult> {
    let reply: unknown;
    if (outcome.ok && outcome.result !== undefined) {
      try {
        reply = await replyValue(outcome.result, this.policy);
      } catch (error) {
        const failure =
          error instanceof DjustError
            ? error
            : new SerializeError("The handler result could not be serialized.", error);
        return { ...(await this.#afterChange(changed)), error: failure };
      }
    }
    const step = await this.#afterChange(changed, reply);
    if (!outcome.ok) return { ...step, error: outcome.error };
    return step;
  }

  /**
   * Notes what the stored snapshot lacks: `fields` (with the edits the tracker found for them,
   * or `deltas`), or only the URL/flash/topics. `toComponents`: the components learn which
   * objects the edits reach (unless they know already).
   */
  #touch(
    fields: readonly string[] = NO_FIELDS,
    deltas: ReadonlyMap<string, readonly DeltaOp[] | null> = this.tracker.takeDeltas(),
    toComponents = true,
  ): void {
    this.#renderLog.note(fields, deltas);
    if (toComponents) this.#components?.viewChanged(fields, deltas);
    let unsaved = this.#unsaved;
    if (unsaved === "all") return;
    if (unsaved === undefined) this.#unsaved = unsaved = new Map();
    addStep(unsaved, fields, deltas);
  }

  /**
   * Notes the components the stored snapshot lacks or holds and should not (placed, changed
   * or removed since the last call); whether there were any.
   */
  #touchComponents(): boolean {
    const changes = this.#components?.takeSnapshotChanges();
    if (!changes) return false;
    let unsaved = this.#unsaved;
    if (unsaved === "all") return true;
    if (unsaved === undefined) this.#unsaved = unsaved = new Map();
    for (const [cid, change] of changes) {
      addEdits(unsaved, componentField(cid), componentEdits(change, this.policy));
    }
    return true;
  }

  #clearFlash(raw: Record<string, unknown>): Promise<EventResult> {
    const key = raw.key;
    if (typeof key === "string") {
      if (Object.hasOwn(this.#flash, key)) {
        const { [key]: _cleared, ...rest } = this.#flash;
        this.#flash = hasKeys(rest) ? rest : NO_FLASH;
        this.#flashChanged = true;
        this.#touch();
      }
    } else if (hasKeys(this.#flash)) {
      this.#flash = NO_FLASH;
      this.#flashChanged = true;
      this.#touch();
    }
    return this.#afterChange([]);
  }

  /** The upload the view allowed under config ref `ref`. */
  uploadByRef(ref: string): UploadConfig | undefined {
    return runtimeOf(this.view).uploads?.byRef(ref);
  }

  /**
   * Runs `fn` on the view's uploads in the step queue (preflight, progress, a failed entry) and
   * renders what changed.
   */
  withUploads<T>(
    fn: (uploads: ViewUploads | undefined, view: LiveView) => T | Promise<T>,
  ): Promise<{ value: T; step: StepResult }> {
    return this.#serial(async () => {
      const value = await fn(runtimeOf(this.view).uploads, this.view);
      return { value, step: await this.#afterChange(this.#changes()) };
    });
  }

  /** An entry failed while streaming (`too_large`, `writer_error`): the page shows it. */
  uploadFailed(config: UploadConfig, ref: string, kind: UploadErrorKind): Promise<void> {
    return this.#pushUploadStep((uploads) => {
      config.fail(ref, kind);
      if (uploads) uploads.changed = true;
    });
  }

  /** A zero-byte entry is complete once its channel joined: the page shows it done. */
  uploadCompleted(config: UploadConfig, ref: string): Promise<void> {
    return this.#pushUploadStep((uploads) => {
      if (config.progress(ref, 100) && uploads) uploads.changed = true;
    });
  }

  /** An entry's channel went silent past `chunkTimeout`: the entry is dropped. */
  uploadCancelled(config: UploadConfig, ref: string): Promise<void> {
    return this.#pushUploadStep(async (uploads) => {
      await config.cancel(ref);
      if (uploads) uploads.changed = true;
    });
  }

  #pushUploadStep(fn: (uploads: ViewUploads | undefined) => unknown): Promise<void> {
    const step = this.withUploads(fn).then((done) => done.step);
    this.#pushStep(step);
    return step.then(ignore, ignore);
  }

  /** Delivers a pub/sub message to `handleInfo` and renders what changed. */
  info(message: unknown): Promise<StepResult> {
    return this.#serial(async () => {
      if (typeof this.view.handleInfo !== "function") return { diff: null };
      try {
        await this.view.handleInfo(message);
      } catch (error) {
        this.env.logger.error(`${this.route.view.name}.handleInfo raised an error`, {
          view: this.route.view.name,
          error: errorText(error),
        });
      }
      return this.#afterChange(this.#changes());
    });
  }

  /** `sendAfter` of the view (connected views only). */
  sendAfter(ms: number, message: unknown): () => void {
    return this.#taskList().sendAfter(ms, message);
  }

  /** `startAsync` of the view (connected views only). */
  startAsync(name: string, task: (signal: AbortSignal) => unknown): void {
    this.#taskList().startAsync(name, task);
  }

  /** `assignAsync` of the view (connected views only). */
  assignAsync(keys: readonly string[], loader: (signal: AbortSignal) => unknown): void {
    this.#taskList().assignAsync(keys, loader);
  }

  /** `cancelAsync` of the view. */
  cancelAsync(name: string, reason?: unknown): boolean {
    return this.#tasks?.cancelAsync(name, reason) ?? false;
  }

  /** `track` of the view (connected views only). */
  track(topic: string, key: string, meta: JsonObject): boolean {
    this.#presence ??= new ViewPresence(
      this.env.presence,
      this.env.presencesPerView,
      this.env.logger,
      this.route.view.name,
    );
    return this.#presence.track(topic, key, meta);
  }

  /** `untrack` of the view. */
  untrack(topic: string, key?: string): void {
    this.#presence?.untrack(topic, key);
  }

  /** `presenceList` of the view. */
  list(topic: string): PresenceList {
    return this.env.presence.list(topic);
  }

  #taskList(): Tasks {
    return (this.#tasks ??= new Tasks(this.#deliverTask.bind(this)));
  }

  /**
   * A timer's message goes to `handleInfo`, a task's outcome to `handleAsync`, a loader's to
   * its fields, in the queue.
   */
  #deliverTask(
    step: "info" | "async" | "assign",
    name: string,
    payload: unknown,
    keys?: readonly string[],
    current: () => boolean = () => true,
  ): void {
    if (step === "info") {
      this.receive(payload);
      return;
    }
    if (this.#closing) return;
    if (step === "assign") {
      this.#pushStep(
        this.#serial(async () => {
          if (!current()) return NOTHING;
          settleAsync(this.view, keys ?? [], payload as AsyncOutcome, this.env.logger);
          return this.#afterChange(this.#changes());
        }),
      );
      return;
    }
    this.#pushStep(
      this.#serial(async () => {
        if (!current()) return NOTHING;
        try {
          await this.view.handleAsync?.(name, payload as AsyncOutcome);
        } catch (error) {
          this.env.logger.error(`${this.route.view.name}.handleAsync raised an error`, {
            view: this.route.view.name,
            task: name,
            error: errorText(error),
          });
        }
        return this.#afterChange(this.#changes());
      }),
    );
  }

  /**
   * Runs a message of one of its topics through {@link info} and pushes what it changed; once
   * the view is closing, nothing.
   */
  receive(message: unknown): void {
    if (this.#closing) return;
    this.#pushStep(this.info(message));
  }

  /** Pushes what a step outside a request/reply changed (pub/sub, timers, tasks). */
  #pushStep(step: Promise<StepResult>): void {
    void step.then(
      (result) => {
        // A closed view's topic may already belong to its successor (a rejoin on the same
        // socket): what it still renders (a late timer, an upload channel's timeout) is nobody's.
        if (this.#closed) return;
        if (result.diff !== null || result.navigation) this.#onPush?.(result);
      },
      (error: unknown) =>
        this.env.logger.error("a pushed step failed", {
          view: this.route.view.name,
          error: errorText(error),
        }),
    );
  }

  /**
   * Moves the view to `url` (a live patch from the client, or the view's own `pushPatch`):
   * runs `handleParams` and renders what changed.
   */
  patch(url: URL): Promise<StepResult> {
    return this.#serial(() => this.#patch(url));
  }

  async #patch(url: URL): Promise<StepResult> {
    this.#href = url.href;
    this.#touch();
    await this.view.handleParams?.(urlParams(url, this.#routeParams), url);
    return this.#afterChange(this.#changes());
  }

  #changes(): string[] {
    try {
      return this.tracker.changes(this.view);
    } catch (error) {
      // Strict mode: a non-serializable value. Render everything rather than send stale HTML.
      this.env.logger.error(errorText(error), { view: this.route.view.name });
      return stateKeys(this.view);
    }
  }

  /**
   * Renders after a step: diff + effects; follows the view's own `pushPatch`. With
   * `durability: "reply"` the step's changes are stored before it returns (so before its reply
   * or push is sent); when that fails the result carries a `service_unavailable` error, and the
   * changes stay unsaved for the next write.
   */
  async #afterChange(changed: readonly string[], reply?: unknown): Promise<EventResult> {
    const effects = takeEffects(this.view);
    this.#absorbFlash(effects);
    let navigation = effects.navigation;
    let fields = changed;
    if (navigation?.kind === "patch") {
      // Phoenix runs handle_params before replying to the event that patched.
      const target = new URL(navigation.to, this.#href);
      if (target.origin === new URL(this.#href).origin) {
        this.#href = target.href;
        this.#touch();
        await this.view.handleParams?.(urlParams(target, this.#routeParams), target);
        fields = [...changed, ...this.#changes()];
        const more = takeEffects(this.view);
        this.#absorbFlash(more);
        effects.events.push(...more.events);
        if (more.title !== undefined) effects.title = more.title;
        if (more.navigation && more.navigation.kind !== "patch") navigation = more.navigation;
      }
    }
    const uploads = runtimeOf(this.view).uploads;
    if (uploads?.changed) {
      uploads.changed = false;
      fields = [...fields, "uploads"];
    }
    if (fields.length > 0) this.#touch(fields);
    // Sharing started or ended alone changes no field, and the snapshot must still list it.
    else if (this.#connected && this.tracker.sharingChanged(this.view)) this.#touch();
    let wire: WireRendered | null;
    try {
      wire = this.#rerender(fields);
    } catch (error) {
      // The page title is the view's, not the step's: the next render sends it. (The step's
      // pushed events and navigation go with its error.)
      if (effects.title !== undefined) runtimeOf(this.view).effects.title ??= effects.title;
      throw error;
    }
    if (reply !== undefined) (wire ??= {}).r = reply as WireRendered;
    if (hasDecoration(effects)) decorate((wire ??= {}), effects);
    const result = navigation
      ? { diff: wire, navigation, ...this.#carriedFlash(navigation) }
      : { diff: wire };
    const error = await this.#store();
    return error ? { ...result, error } : result;
  }

  /**
   * Stores what changed, now (`"reply"`) or later (`"behind"`); only connected views (the dead
   * render saves when it closes). Resolves the error of a failed write now.
   */
  async #store(): Promise<ServiceUnavailable | undefined> {
    if (this.#unsaved === undefined || !this.#connected || this.#closed) return undefined;
    if (this.env.durability !== "reply") {
      this.#saveTimer ??= saveLater(this);
      return undefined;
    }
    try {
      await this.#write();
      return undefined;
    } catch (error) {
      logSaveFailure(this, error);
      return error instanceof ServiceUnavailable
        ? error
        : new ServiceUnavailable("The view's state could not be stored.", error);
    }
  }

  #traceContext(): TraceContext {
    return { view: this.route.view.name, transport: this.#transportName() };
  }

  #rerender(changed: readonly string[]): WireRendered | null {
    const flashChanged = this.#flashChanged;
    const unshown = this.#unshown;
    const fields = unshown ? [...new Set([...unshown, ...changed])] : changed;
    let result: ReturnType<typeof rerender>;
    try {
      // Every event renders: without a subscriber, no closures for the trace.
      result = tracing.render.hasSubscribers
        ? traced(
            tracing.render,
            () => this.#traceContext(),
            () => rerender(this, fields, flashChanged, this.#tree, this.#template, this.#renderLog),
          )
        : rerender(this, fields, flashChanged, this.#tree, this.#template, this.#renderLog);
    } catch (error) {
      // The tree stays the one the client has, and the next render renders these again (the
      // flash too: it stays changed), with what the view's render wrote of its state (noted
      // before its components' pass).
      const lacking = [...new Set([...fields, ...(this.#unshown ?? NO_FIELDS)])];
      this.#unshown = lacking.length > 0 ? lacking : undefined;
      throw error;
    }
    this.#unshown = undefined;
    this.#flashChanged = false;
    if (!result) {
      // Nothing to render, but a component's step may have changed what its snapshot holds
      // (sharing started or ended, with no field's value changed).
      this.#touchComponents();
      return null;
    }
    this.#tree = result.tree;
    this.#template = result.template;
    if (result.rendered) this.#onRender?.(result.rendered);
    this.#afterRender();
    return result.diff;
  }

  /**
   * What the render changed of the state (the temporary assigns it set back, a
   * `getContextData()` that writes state) becomes the new baseline, and in a connected view
   * is stored with this step: a field written whole encodes the state as it is now, so the
   * next check must not find the same change again and store it twice. Components it
   * created, changed or dropped are for the snapshot.
   */
  #afterRender(): void {
    if (this.#connected) this.#noteWrites();
    else if (this.route.view.temporaryAssigns !== undefined) this.#changes();
    this.#touchComponents();
  }

  noteRenderWrites(): void {
    // Until the components' pass succeeds, the client lacks them: a pass that fails leaves them
    // to the next render.
    const fields = this.#noteWrites();
    if (fields.length > 0) this.#unshown = [...(this.#unshown ?? NO_FIELDS), ...fields];
  }

  /** Notes (and in a connected view stores) the state's changes since the last check. */
  #noteWrites(): readonly string[] {
    if (!this.#connected) return NO_FIELDS;
    const fields = this.#changes();
    if (fields.length > 0) this.#touch(fields);
    return fields;
  }

  #absorbFlash(effects: Effects): void {
    for (const [kind, message] of Object.entries(effects.flash)) {
      if (this.#flash[kind] !== message) {
        this.#flash = { ...this.#flash, [kind]: message };
        this.#flashChanged = true;
        this.#touch();
      }
    }
  }

  #transportName() {
    return runtimeOf(this.view).request?.transport ?? "websocket";
  }

  /**
   * Records `topic` (`LiveView.subscribe`). During the dead render the topic is only recorded:
   * the join activates it, whether the view is re-mounted or restored (a restored view never
   * runs mount's subscribe again).
   */
  async subscribe(topic: string): Promise<void> {
    let entry = findTopic(this.#topics, topic);
    if (entry?.unsubscribe) return;
    if (!entry) {
      entry = { topic, unsubscribe: undefined };
      this.#topics = withTopic(this.#topics, entry);
      this.#touch();
    }
    await activateTopic(entry, this);
  }

  /** What a snapshot of this view is taken of. */
  #source(): SnapshotSource {
    return {
      view: this.view,
      viewName: this.route.view.name,
      policy: this.policy,
      logger: this.env.logger,
      privateFields: this.#privateFields,
      streams: runtimeOf(this.view).streams?.names ?? NO_FIELDS,
      topics: this.topics,
      loading: this.#tasks?.loading() ?? NO_FIELDS,
      components: this.#components,
      flash: this.#flash,
      title: runtimeOf(this.view).title,
      events: this.#heldEvents,
      href: this.#href,
      aliases: () => this.tracker.aliases(this.view),
      ...(runtimeOf(this.view).uploads && { uploads: runtimeOf(this.view).uploads!.refs() }),
    };
  }

  /** The full record a snapshot stores, or `null` when the state cannot be snapshotted losslessly. */
  storedView(): StoredView | null {
    return snapshotOf(this.#source());
  }

  /**
   * Writes what the stored snapshot lacks, after the steps queued so far (so writes never
   * overtake each other); nothing when it is up to date.
   */
  save(): Promise<void> {
    return this.#closed ? this.#write() : this.#serial(() => this.#write());
  }

  /**
   * Keeps the stored snapshot of an open view from expiring while nothing changes (called on
   * its connection's heartbeats): once half its lifetime has passed since it was last stored,
   * the lifetime starts again, or the snapshot is written whole where the backend cannot
   * extend it or no longer holds it. Without this, an idle view open for longer than
   * `stateTtlSeconds` would be mounted afresh on its next reconnect.
   */
  keepStored(): Promise<void> | undefined {
    if (this.#closed || !this.#connected) return undefined;
    if (Date.now() - this.#storedAt < this.env.stateTtlSeconds * 500) return undefined;
    return this.#serial(async () => {
      if (this.#closed) return;
      const ttl = this.env.stateTtlSeconds;
      try {
        if (this.#unsaved === undefined) {
          if (await this.env.stateBackend.touch?.(this.id, ttl)) {
            this.#stored();
            return;
          }
          this.#unsaved = "all";
        }
        // What is still unsaved (a write that failed, or one coalesced for later) goes now.
        await this.#write();
      } catch (error) {
        // Tried again at the next heartbeat.
        logSaveFailure(this, error);
      }
    });
  }

  /** The store holds this view's snapshot, current and with a full lifetime, as of now. */
  #stored(): void {
    this.#storedAt = Date.now();
    noteSaved(this.env);
  }

  /** Writes what the stored snapshot lacks; on failure it stays unsaved for the next write. */
  async #write(): Promise<void> {
    clearTimeout(this.#saveTimer);
    this.#saveTimer = undefined;
    const unsaved = this.#unsaved;
    if (unsaved === undefined) return;
    this.#unsaved = undefined;
    try {
      await writeSnapshot(
        this.env,
        this.id,
        this.#source(),
        unsaved,
        (this.#deltaLog ??= new Map()),
      );
      this.#stored();
    } catch (error) {
      // What the failed write carried is stored whole next time (it may or may not have landed).
      const since = this.#unsaved as Unsaved | undefined;
      if (unsaved === "all" || since === "all") {
        this.#unsaved = "all";
      } else {
        const next = new Map<string, DeltaOp[] | null>();
        for (const field of unsaved.keys()) next.set(field, null);
        for (const [field, ops] of since ?? NO_UNSAVED) addEdits(next, field, ops);
        this.#unsaved = next;
      }
      throw error;
    }
  }

  /**
   * Stops the view: unsubscribes, and saves its snapshot (unless `discard`, e.g. on
   * `phx_leave`, when the browser navigated away for good).
   */
  close(options: { discard?: boolean } = {}): Promise<void> {
    return (this.#closing ??= this.#close(options));
  }

  async #close(options: { discard?: boolean }): Promise<void> {
    // From here no timer, task or topic message queues a step: the steps queued before (events
    // in flight) reply, then the view is torn down with nothing running beside it.
    this.#tasks?.cancelAll();
    let queue: Promise<unknown>;
    do {
      queue = this.#queue;
      await queue;
    } while (queue !== this.#queue);
    this.#closed = true;
    clearTimeout(this.#saveTimer);
    // Temp files of entries not consumed go with the view (Phoenix cancels its uploads too).
    await runtimeOf(this.view).uploads?.discardAll();
    this.#presence?.close();
    try {
      await this.view.unmount?.(options.discard ? "leave" : "closed");
    } catch (error) {
      this.env.logger.error(`${this.route.view.name}.unmount raised an error`, {
        view: this.route.view.name,
        error: errorText(error),
      });
    }
    // The topics stay recorded: the snapshot saved below lists them for the rejoin.
    await unsubscribeAll(this.#topics);
    try {
      if (options.discard) await this.env.stateBackend.delete(this.id);
      else await this.#write();
    } catch (error) {
      logSaveFailure(this, error);
    }
  }
}

/** The children of a view whose environment knows no views (`LiveEnv.nest`). */
const withoutNest = (): ChildRenderer => ({
  render() {
    throw new Error("liveRender: this view runs without a registry of views (LiveEnv.nest)");
  },
});

/** The well-formed entries of a stored record's events (records come from outside the process). */
function pushedEvents(stored: readonly (readonly [string, unknown])[]): [string, unknown][] {
  if (!Array.isArray(stored)) return [];
  const events: [string, unknown][] = [];
  for (const entry of stored as unknown[]) {
    if (Array.isArray(entry) && entry.length === 2 && typeof entry[0] === "string") {
      events.push([entry[0], entry[1]]);
    }
  }
  return events;
}

function hasKeys(record: object): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return true;
  return false;
}
