/**
 * `djust/testing`: drive a live view without a browser or a socket.
 *
 * ```ts
 * import { LiveViewTestClient } from "djust/testing";
 *
 * const view = await LiveViewTestClient.mount(CounterView, { user: { id: 1 } });
 * await view.click("increment");
 * assert.match(view.render(), /Count: 1/);
 * assert.equal(view.assigns.count, 1);
 * ```
 *
 * The client runs the same code as the WebSocket transport: `setup` + `mount` (or a restore
 * from the dead render's snapshot), the browser payload decoding (`dj-value-*` strings, URL-encoded
 * forms), the dispatch pipeline (permissions, rate limits, validation), change tracking, the
 * template render and the wire diff.
 * @module
 */
import "../polyfill.js";
import { callerKey } from "../auth/caller.js";
import { isAuthenticated, type User } from "../auth/user.js";
import { decodeClientEvent } from "../live/params.js";
import { urlResolver } from "../live/routes.js";
import type { Durability, LiveEnv } from "../live/host.js";
import { LiveInstance, type EventResult, type StepResult } from "../live/instance.js";
import { restorable } from "../live/snapshot.js";
import type { Logger } from "../logger.js";
import { stderrLogger } from "../logger.js";
import { MemoryPubSub } from "../pubsub/memory.js";
import { Presence, PRESENCE_DEFAULTS } from "../presence/tracker.js";
import type { PubSub } from "../pubsub/types.js";
import { MemoryRateLimitStore, type RateLimitStore } from "../ratelimit/bucket.js";
import type { WireRendered } from "../render/diff.js";
import type { Rendered, Template } from "../render/tree.js";
import { MemoryStateBackend } from "../state/backends/memory.js";
import type { StateBackend } from "../state/backends/types.js";
import type { JsonObject } from "../state/serializable.js";
import { wireState, stateKeys } from "../state/tracker.js";
import { TemplateLoader } from "../template/loader.js";
import type { LiveViewClass } from "../view/live-view.js";
import {
  componentName,
  type ComponentId,
  type LiveComponent,
  type LiveComponentClass,
} from "../view/live-component.js";
import { runtimeOf, type Navigation, type Params } from "../view/runtime.js";
import type { SessionData } from "../auth/session.js";
import { viewSlug } from "../view/slug.js";
import { DEFAULT_INPUT_DEPTH } from "../view/validate.js";
import type { OnMountHook } from "../pipeline/lifecycle.js";
import { randomBytes } from "node:crypto";
import { Signer } from "../auth/signing.js";
import type { Frame } from "../live/frame.js";
import { TokenSigner } from "../live/token.js";
import { preflight, progress, type UploadReply } from "../live/upload.js";
import { UploadChannels } from "../live/upload-channel.js";
import { UPLOAD_TOPIC_PREFIX } from "../live/protocol.js";
import type { Flash } from "../live/flash.js";
import { pathMatcher } from "../live/routes.js";
import { handlersOf } from "../view/registry.js";
import {
  flatten,
  hasElement,
  TestElement,
  TestForm,
  type ElementHost,
  type TextFilter,
} from "./element.js";
import { StreamRows } from "./streams.js";

/** One presence per pub/sub: clients sharing a pub/sub are views of one app (one node). */
const presences = new WeakMap<PubSub, Presence>();

function presenceOf(pubsub: PubSub, logger: Logger): Presence {
  let presence = presences.get(pubsub);
  if (!presence) {
    presence = new Presence(pubsub, {
      timeoutMs: PRESENCE_DEFAULTS.timeoutMs,
      maxPerTopic: PRESENCE_DEFAULTS.perTopic,
      logger,
    });
    presences.set(pubsub, presence);
  }
  return presence;
}

/** Options of {@link LiveViewTestClient.mount}. */
/** Which component an event goes to: its cid (`dj-target`); the view when absent. */
export interface TargetOption {
  readonly target?: number;
}

export interface TestMountOptions {
  /** Route params (reach `setup`/`mount`/`handleParams`). */
  readonly params?: Params;
  /** `liveSession`-style services: values, or functions called with the request. */
  readonly services?: Readonly<Record<string, unknown>>;
  /** On-mount hooks, as `liveSession(View, services, { onMount })` gives them. */
  readonly onMount?: readonly OnMountHook[];
  /** The user (default anonymous). */
  readonly user?: User | null;
  readonly session?: SessionData;
  /** Page URL (default `http://testserver/`); its query string reaches `mount`. */
  readonly url?: string;
  /** Template directories for `static templateName` (default `["templates"]`). */
  readonly templateDirs?: readonly string[];
  /** Route names → path patterns, for `{% url "name" %}` in templates. */
  readonly urls?: Readonly<Record<string, string>>;
  /** Or a ready loader. */
  readonly templates?: { get(name: string): Template };
  /** LiveComponent classes templates place by name (`{% live_component %}`), as `app.component`. */
  readonly components?: readonly LiveComponentClass[];
  /** Share one pub/sub between clients to test `broadcast` → `handleInfo`. */
  readonly pubsub?: PubSub;
  /**
   * Presence. Default: one per pub/sub, so clients sharing a `pubsub` see each other's
   * presences as views of one app do.
   */
  readonly presence?: Presence;
  readonly stateBackend?: StateBackend;
  /**
   * When the view's changes are stored: `"reply"` before each step's result, as an app with
   * Redis does by default; `"behind"` coalesced and written a moment later.
   * @default "behind"
   */
  readonly durability?: Durability;
  readonly rateLimits?: RateLimitStore;
  readonly logger?: Logger;
  readonly strictSerialization?: boolean;
  readonly debug?: boolean;
  /**
   * Go through the dead render first and hand its snapshot to the connected mount, as a
   * browser page load does. `false` mounts once, connected.
   * @default true
   */
  readonly deadRender?: boolean;
  /**
   * The view id (the key of its snapshot). With a shared `stateBackend` and the {@link
   * LiveViewTestClient.id} of a closed client, the join restores that client's snapshot, as a
   * reconnect to another node does, given `deadRender: false` (a dead render, the default,
   * first stores a fresh page's snapshot under that id). Default: a fresh id.
   */
  readonly id?: string;
  /**
   * Live routes (path pattern → view class, Hono syntax as in `app.live`), for
   * {@link LiveViewTestClient.followRedirect}: the view serving the path a `redirect`,
   * `pushNavigate` or live link went to is mounted with these same options.
   */
  readonly routes?: Readonly<Record<string, LiveViewClass>>;
  /**
   * Views the page's `{% live_render "name" %}` may name (by class name or API slug), as
   * `app.register` makes them known; `liveRender(ViewClass, …)` needs no entry. The test client
   * renders a child's container as the parent's join sends it (empty, with its token) and does
   * not start the child: test a child view with a client of its own.
   */
  readonly views?: readonly LiveViewClass[];
}

/** What one interaction produced. */
export interface TestResult {
  /** The handler's reply (`r`), if any. */
  readonly reply?: unknown;
  /** The error reply, when the event was refused or failed. */
  readonly error?: { readonly error: string; readonly message: string; readonly details?: unknown };
  /** The diff that went to the client (`null` when nothing changed). */
  readonly diff: WireRendered | null;
}

function stringValues(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    out[key] = value === null || value === undefined ? "" : String(value);
  }
  return out;
}

/** A file chosen in a test's file input. */
export interface TestFile {
  readonly name: string;
  /** The bytes (a string is UTF-8). */
  readonly content: string | Uint8Array;
  /** MIME type. @default "" */
  readonly type?: string;
  readonly lastModified?: number;
}

/** What an upload produced: the last step's result, and the errors per entry ref. */
export interface TestUploadResult extends TestResult {
  /** Entry ref (or the upload's ref, for `too_many_files`) → error kinds; `{}` when none. */
  readonly errors: Readonly<Record<string, readonly string[]>>;
}

/** The files chosen in one of the view's file inputs (`LiveViewTestClient.fileInput`). */
export interface TestFileInput {
  /** The entry refs given to the files, in order. */
  readonly refs: readonly string[];
  /**
   * The form's change event (`dj-change="event"`) listing the files, as the browser sends it
   * when files are chosen: the entries appear in the page, checked.
   */
  choose(event: string): Promise<TestResult>;
  /**
   * Uploads the files as the browser does: the `allow_upload` preflight, then each accepted
   * file's bytes over its `lvu:` channel in chunks (only `percent` of them when less than 100),
   * with a progress report after each chunk.
   */
  upload(percent?: number): Promise<TestUploadResult>;
}

/** A mounted view under test. */
export class LiveViewTestClient {
  readonly #instance: LiveInstance;
  #uploads?: UploadChannels;
  #uploadHost?: ConstructorParameters<typeof UploadChannels>[0]["host"];
  readonly #replies = new Map<string, Frame>();
  #fileRefs = 0;
  readonly #View: LiveViewClass;
  readonly #options: TestMountOptions;
  readonly #events: [string, unknown][] = [];
  readonly #navigations: Navigation[] = [];
  /** Navigations away from this view not followed yet, with the flash each carries. */
  readonly #away: { navigation: Navigation; flash?: Flash }[] = [];
  #title?: string;
  #pushes: StepResult[] = [];
  #elements?: ElementHost;
  /** The stream containers' children, which the instance's tree does not keep. */
  readonly #streams = new StreamRows();

  private constructor(instance: LiveInstance, View: LiveViewClass, options: TestMountOptions) {
    this.#instance = instance;
    this.#View = View;
    this.#options = options;
  }

  /**
   * Mounts `View` as a browser page load would: dead render (`setup` + `mount` +
   * `handleParams`), then the connected join restoring that state.
   * @throws whatever `mount` throws; `AccessDenied` when the user may not see the view.
   */
  static mount(View: LiveViewClass, options: TestMountOptions = {}): Promise<LiveViewTestClient> {
    return LiveViewTestClient.#start(View, options, undefined);
  }

  static async #start(
    View: LiveViewClass,
    options: TestMountOptions,
    flash: Flash | undefined,
  ): Promise<LiveViewTestClient> {
    const logger = options.logger ?? stderrLogger;
    const pubsub = options.pubsub ?? new MemoryPubSub();
    const env: LiveEnv = {
      logger,
      strictSerialization: options.strictSerialization ?? false,
      debug: options.debug ?? true,
      templates:
        options.templates ??
        new TemplateLoader({
          dirs: options.templateDirs ?? ["templates"],
          urlFor: urlResolver(new Map(Object.entries(options.urls ?? {}))),
        }),
      stateBackend: options.stateBackend ?? new MemoryStateBackend(),
      stateTtlSeconds: 3600,
      ...(options.durability && { durability: options.durability }),
      pubsub,
      rateLimits: options.rateLimits ?? new MemoryRateLimitStore(),
      inputDepth: DEFAULT_INPUT_DEPTH,
      presence: options.presence ?? presenceOf(pubsub, logger),
      presencesPerView: PRESENCE_DEFAULTS.perView,
      nest: {
        viewTokens: new TokenSigner(new Signer(randomBytes(32).toString("base64url")), "view"),
        childRoute: (child) => {
          const cls =
            typeof child === "string"
              ? options.views?.find((v) => v.name === child || viewSlug(v) === child)
              : child;
          return cls && { key: `nested:${viewSlug(cls)}`, view: cls, slug: viewSlug(cls) };
        },
      },
      components: new Map((options.components ?? []).map((C) => [componentName(C), C])),
    };
    const user = options.user ?? null;
    const route = {
      key: "test",
      view: View,
      slug: viewSlug(View),
      services: options.services ?? {},
      ...(options.onMount && { onMount: options.onMount }),
    };
    const url = new URL(options.url ?? "http://testserver/");
    const caller = {
      user,
      key: isAuthenticated(user) ? callerKey({ user }) : "session:test",
    };
    const id = options.id ?? `phx-test-${Math.random().toString(36).slice(2)}`;
    const request = (transport: "http" | "test") => ({
      url,
      headers: new Headers(),
      user,
      session: options.session ?? {},
      transport,
    });
    if (options.deadRender ?? true) {
      const dead = await LiveInstance.start({
        env,
        route,
        request: request("http"),
        routeParams: options.params ?? {},
        caller,
        id,
        connected: false,
        flash,
      });
      dead.instance.renderPage();
      await dead.instance.close();
    }
    const early: StepResult[] = [];
    let onPush: (result: StepResult) => void = (result) => early.push(result);
    const earlyRenders: Rendered[] = [];
    let onRender: (rendered: Rendered) => void = (rendered) => earlyRenders.push(rendered);
    const { instance, navigation } = await LiveInstance.start({
      env,
      route,
      request: request("test"),
      routeParams: options.params ?? {},
      caller,
      id,
      connected: true,
      stored: restorable(await env.stateBackend.get(id)),
      onPush: (result) => onPush(result),
      onRender: (rendered) => onRender(rendered),
    });
    const client = new LiveViewTestClient(instance, View, options);
    onPush = (result) => {
      client.#record(result);
      client.#pushes.push(result);
    };
    if (navigation) client.#navigations.push(navigation);
    const full = instance.renderFull();
    client.#absorbWire(full.wire);
    client.#streams.join(full.tree);
    // Renders of messages delivered during the join reach the page after its reply.
    for (const rendered of earlyRenders) client.#streams.apply(rendered);
    onRender = (rendered) => client.#streams.apply(rendered);
    // The title the page loaded with (the view's, restored by the join).
    client.#title ??= runtimeOf(instance.view).title;
    // As the socket's join does: a `pushPatch` during mount moves the joined view at once.
    if (navigation?.kind === "patch") {
      client.#record(await instance.patch(new URL(navigation.to, instance.url)));
    }
    for (const result of early) onPush(result);
    return client;
  }

  /** The view instance (to inspect private fields in tests). */
  get view(): InstanceType<LiveViewClass> {
    return this.#instance.view;
  }

  /** The view id: the key of its snapshot in the state backend. */
  get id(): string {
    return this.#instance.id;
  }

  /** Whether the connected mount restored the dead render's snapshot (no second `mount`). */
  get restored(): boolean {
    return this.#instance.restored;
  }

  /** The public state as wire JSON (what `assigns` would be over the HTTP API). */
  get assigns(): JsonObject {
    return wireState(this.#instance.view, stateKeys(this.#instance.view), this.#instance.policy);
  }

  /** Events the view pushed (`pushEvent`), oldest first. */
  get pushedEvents(): readonly [string, unknown][] {
    return this.#events;
  }

  /** Current flash messages. */
  get flash(): Readonly<Record<string, string>> {
    return this.#instance.flash;
  }

  /** Navigations asked for (`pushPatch`, `pushNavigate`, `redirect`), oldest first. */
  get navigations(): readonly Navigation[] {
    return this.#navigations;
  }

  /** The last `redirect`/`pushNavigate` target, if any. */
  get redirectedTo(): string | undefined {
    for (let i = this.#navigations.length - 1; i >= 0; i--) {
      const nav = this.#navigations[i] as Navigation;
      if (nav.kind !== "patch") return nav.to;
    }
    return undefined;
  }

  /** The page title, if the view set one. */
  get title(): string | undefined {
    return this.#title;
  }

  /** The current URL (changes with patches). */
  get url(): URL {
    return this.#instance.url;
  }

  /**
   * The view's HTML as the browser would show it. A stream container (`dj-update="stream"`)
   * shows the children the browser keeps: every row inserted since the join (which inserts
   * the rows `mount` streamed), placed by `at`, trimmed by `limit`, updated in place when
   * inserted again, removed by deletes and resets.
   */
  render(): string {
    return this.#instance.html(undefined, this.#streams.html);
  }

  /**
   * A `dj-click` with `dj-value-*` values (sent as strings, as the browser does); `target`: the
   * cid of the component it goes to (`dj-target`), else the view.
   */
  click(
    event: string,
    values: Record<string, unknown> = {},
    options: TargetOption = {},
  ): Promise<TestResult> {
    return this.#send({ type: "click", event, value: stringValues(values) }, options.target);
  }

  /** A key event (`dj-keyup`/`dj-keydown`) with the key and `dj-value-*` values. */
  key(
    event: string,
    key: string,
    values: Record<string, unknown> = {},
    type: "keyup" | "keydown" = "keyup",
    options: TargetOption = {},
  ): Promise<TestResult> {
    const value = { key, ...stringValues(values) };
    return this.#send({ type, event, value }, options.target);
  }

  /** A `dj-submit` of a form with `values` (an object, or a URL-encoded body). */
  submit(
    event: string,
    values: Record<string, unknown> | string = {},
    options: TargetOption = {},
  ): Promise<TestResult> {
    return this.#form(event, values, undefined, [], options.target);
  }

  /**
   * A `dj-change` of a form: `values` are all the form's fields, `target` the one that changed,
   * `untouched` the fields the user has not focused yet (the client marks them `_unused_`),
   * `cid` the component it goes to (`dj-target`), else the view.
   */
  change(
    event: string,
    values: Record<string, unknown> | string,
    options: { target?: string; untouched?: readonly string[]; cid?: number } = {},
  ): Promise<TestResult> {
    return this.#form(event, values, options.target, options.untouched ?? [], options.cid);
  }

  /**
   * The component `Class` with `id` on the view's page (its state is its public fields), or
   * `undefined` when the page does not show one.
   */
  component<C extends LiveComponent>(Class: LiveComponentClass<C>, id: ComponentId): C | undefined {
    return this.#instance.component(Class, id);
  }

  /**
   * A hook event (`this.pushEvent(name, payload)` in a `dj-hook`, or `pushEventTo` a component
   * when `target` is its cid): JSON, not coerced.
   */
  event(event: string, payload: unknown = {}, options: TargetOption = {}): Promise<TestResult> {
    return this.#send({ type: "hook", event, value: payload }, options.target);
  }

  /** A live patch (the browser following a `dj-patch` link or history navigation). */
  async patch(to: string): Promise<TestResult> {
    const result = await this.#instance.patch(new URL(to, this.#instance.url));
    return this.#record(result);
  }

  /** Delivers `message` to `handleInfo`, as a pub/sub broadcast would. */
  async sendInfo(message: unknown): Promise<TestResult> {
    return this.#record(await this.#instance.info(message));
  }

  /** Diffs pushed by pub/sub messages since the last call. */
  takePushes(): StepResult[] {
    const pushes = this.#pushes;
    this.#pushes = [];
    return pushes;
  }

  /**
   * Chooses `files` in the file input of upload `name` (Phoenix's `file_input`); `upload()`
   * sends them through the same preflight, signed tokens and chunk checks as a browser.
   */
  fileInput(name: string, files: readonly TestFile[]): TestFileInput {
    const config = this.#instance.view.uploads[name];
    if (!config) throw new Error(`the view allowed no upload named "${name}"`);
    const entries = files.map((file) => {
      const bytes =
        typeof file.content === "string" ? Buffer.from(file.content) : Buffer.from(file.content);
      return {
        bytes,
        wire: {
          ref: String(this.#fileRefs++),
          name: file.name,
          size: bytes.byteLength,
          type: file.type ?? "",
          last_modified: file.lastModified ?? Date.now(),
          relative_path: "",
        },
      };
    });
    let chosen = false;
    return {
      refs: entries.map((entry) => entry.wire.ref),
      choose: (event) => {
        chosen = true;
        return this.#sendWithUploads(
          { type: "form", event, value: "", meta: { _target: name } },
          { [config.ref]: entries.map((entry) => entry.wire) },
        );
      },
      upload: (percent = 100) =>
        this.#upload(
          config.ref,
          entries
            // Once listed, a file cancelled since (`cancelUpload`) is gone from the browser too.
            .filter((entry) => !chosen || config.entry(entry.wire.ref) !== undefined)
            .map((entry) => ({ ...entry.wire, bytes: entry.bytes })),
          percent,
        ),
    };
  }

  async #upload(
    uploadRef: string,
    files: readonly { ref: string; bytes: Buffer }[],
    percent: number,
  ): Promise<TestUploadResult> {
    const host = (this.#uploadHost ??= {
      uploadTokens: new TokenSigner(new Signer(randomBytes(16).toString("hex")), "upload"),
      tokenMaxAgeMs: 3_600_000,
      limits: { frameBytes: 64 * 1024 },
      env: { logger: this.#instance.env.logger },
    });
    const reply = await preflight(
      host,
      this.#instance,
      { ref: uploadRef, entries: files.map(({ bytes: _bytes, ...wire }) => wire) },
      true,
    );
    let last = this.#recordUpload(reply);
    const response = reply.response;
    const errors: Record<string, string[]> = {};
    for (const [ref, kind] of (response.error ?? []) as [string, string][]) {
      (errors[ref] ??= []).push(kind);
    }
    for (const [ref, kinds] of Object.entries(
      (response.errors ?? {}) as Record<string, string[]>,
    )) {
      errors[ref] = [...kinds];
    }
    if (reply.status !== "ok" || response.error) return { ...last, errors };
    const config = response.config as { chunk_size: number };
    const tokens = (response.entries ?? {}) as Record<string, unknown>;
    const channels = (this.#uploads ??= new UploadChannels({
      host,
      send: (frame) => {
        if (frame.ref !== null) this.#replies.set(frame.ref, frame);
      },
      findView: (id) => (id === this.#instance.id ? this.#instance : undefined),
    }));
    let ref = 0;
    const ask = async (frame: Frame, run: () => Promise<void>) => {
      await run();
      const answer = this.#replies.get(frame.ref as string);
      this.#replies.delete(frame.ref as string);
      const payload = answer?.payload as { status: string; response: { reason?: string } };
      return payload;
    };
    for (const file of files) {
      const meta = tokens[file.ref];
      if (meta === undefined) continue;
      if (typeof meta !== "string") {
        // External: the browser sends the bytes to storage; the client reports progress.
        last = this.#recordUpload(
          await progress(this.#instance, {
            ref: uploadRef,
            entry_ref: file.ref,
            progress: percent,
          }),
        );
        continue;
      }
      const topic = `${UPLOAD_TOPIC_PREFIX}${file.ref}`;
      const join: Frame = {
        joinRef: topic,
        ref: `j${ref++}`,
        topic,
        event: "phx_join",
        payload: { token: meta },
      };
      const joined = await ask(join, () => channels.join(join));
      if (joined?.status !== "ok") {
        (errors[file.ref] ??= []).push(joined?.response.reason ?? "join failed");
        continue;
      }
      const until = Math.floor((file.bytes.byteLength * Math.min(100, percent)) / 100);
      for (let offset = 0; offset < until; offset += config.chunk_size) {
        const data = file.bytes.subarray(offset, Math.min(until, offset + config.chunk_size));
        const chunk = { joinRef: topic, ref: `c${ref++}`, topic, event: "chunk", payload: data };
        const acked = await ask(chunk, () => channels.binary(chunk));
        if (acked?.status !== "ok") {
          (errors[file.ref] ??= []).push(acked?.response.reason ?? "chunk refused");
          break;
        }
        const done = ((offset + data.byteLength) / file.bytes.byteLength) * 100;
        last = this.#recordUpload(
          await progress(this.#instance, { ref: uploadRef, entry_ref: file.ref, progress: done }),
        );
      }
    }
    await this.settle();
    return { ...last, errors };
  }

  #recordUpload(reply: UploadReply): TestResult {
    return reply.step ? this.#record(reply.step) : { diff: null };
  }

  /** Waits until queued pub/sub deliveries have been handled. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await this.#instance.whenIdle();
    }
  }

  /**
   * The one element matching `selector` (CSS: type, `#id`, `.class`, attributes, descendant and
   * `>` combinators) whose text contains `text` (or matches it): click it, press keys on it.
   * Events then come from the page, so a binding naming no handler fails the test.
   * @throws Error when no element or several match.
   *
   * @example `await view.element("button", "Ship").click()`
   */
  element(selector: string, text?: TextFilter): TestElement {
    return new TestElement(this.#elementHost(), selector, text);
  }

  /**
   * The form matching `selector`, to `submit` or `change` with values typed into its fields; a
   * field it does not have fails the test.
   *
   * @example `await view.form("#new-task").submit({ title: "Ship it" })`
   */
  form(selector: string): TestForm {
    return new TestForm(this.#elementHost(), selector);
  }

  /** Whether an element matches `selector` (and `text`) in the current render. */
  has(selector: string, text?: TextFilter): boolean {
    return hasElement(this.render(), selector, text);
  }

  /**
   * Mounts the view that the latest `redirect`, `pushNavigate` or live link went to (from the
   * `routes` option), with this client's options and the flash the navigation carried, as the
   * browser's next page would.
   * @throws Error when the view has not navigated away, or no route serves the path.
   */
  async followRedirect(): Promise<LiveViewTestClient> {
    const away = this.#away.shift();
    if (!away) {
      throw new Error(
        `${this.#View.name} did not navigate to another page (redirect, pushNavigate or a live link)`,
      );
    }
    const url = new URL(away.navigation.to, this.#instance.url);
    const routes = this.#options.routes ?? {};
    for (const [pattern, View] of Object.entries(routes)) {
      const params = pathMatcher(pattern)(url.pathname);
      if (!params) continue;
      const { id: _id, ...options } = this.#options;
      return LiveViewTestClient.#start(
        View,
        { ...options, url: url.href, params: { ...params } },
        away.flash,
      );
    }
    throw new Error(
      `No live route serves ${url.pathname} (the ${away.navigation.kind} from ${this.#View.name}); ` +
        `pass routes: { "<pattern>": View } to LiveViewTestClient.mount`,
    );
  }

  #elementHost(): ElementHost {
    if (this.#elements) return this.#elements;
    const View = this.#View;
    this.#elements = {
      render: () => this.render(),
      viewName: View.name,
      handlersOf: (cid) => {
        if (cid === undefined) return { owner: View.name, names: handlersOf(View).keys() };
        const { component } = this.#instance.componentTarget(cid);
        const Class = component.constructor as LiveComponentClass;
        return { owner: Class.name, names: handlersOf(Class).keys() };
      },
      click: (event, values, options) => this.click(event, values, options),
      key: (event, key, values, type, options) => this.key(event, key, values, type, options),
      submit: (event, body, options) => this.submit(event, body, options),
      change: (event, body, options) => this.change(event, body, options),
      patch: (to) => this.patch(to),
      navigate: (to, replace) => {
        const navigation: Navigation = { kind: "navigate", to, replace };
        this.#navigations.push(navigation);
        this.#away.push({ navigation });
      },
    };
    return this.#elements;
  }

  /** Stops the view (unsubscribes; saves its snapshot). */
  close(): Promise<void> {
    this.#uploads?.closeAll();
    return this.#instance.close();
  }

  #form(
    event: string,
    values: Record<string, unknown> | string,
    target: string | undefined,
    untouched: readonly string[],
    cid: number | undefined,
  ): Promise<TestResult> {
    const body = new URLSearchParams(typeof values === "string" ? values : flatten(values));
    for (const name of untouched) {
      const open = name.indexOf("[");
      body.append(
        open > 0 ? `${name.slice(0, open)}[_unused_${name.slice(open + 1)}` : `_unused_${name}`,
        "",
      );
    }
    return this.#send(
      { type: "form", event, value: body.toString(), meta: { _target: target ?? "undefined" } },
      cid,
    );
  }

  #send(payload: { type: string; event: string; value: unknown; meta?: unknown }, cid?: number) {
    return this.#sendWithUploads(payload, undefined, cid);
  }

  async #sendWithUploads(
    payload: { type: string; event: string; value: unknown; meta?: unknown },
    uploads: unknown,
    cid?: number,
  ) {
    const decoded = decodeClientEvent(payload, this.#instance.env.inputDepth);
    const result: EventResult = await this.#instance.event(
      payload.event,
      decoded.params,
      decoded.coerceStrings,
      uploads,
      cid,
    );
    const out = this.#record(result);
    if (result.error) return { ...out, error: result.error.toJSON() };
    return out;
  }

  #record(result: StepResult): TestResult {
    if (result.navigation) {
      this.#navigations.push(result.navigation);
      if (result.navigation.kind !== "patch") {
        this.#away.push({
          navigation: result.navigation,
          ...(result.flash && { flash: result.flash }),
        });
      }
    }
    const diff = result.diff;
    if (diff) this.#absorbWire(diff);
    const reply = diff?.r;
    return reply === undefined ? { diff } : { diff, reply };
  }

  #absorbWire(wire: WireRendered): void {
    const events = wire.e;
    if (Array.isArray(events)) {
      for (const entry of events) {
        if (Array.isArray(entry)) this.#events.push([String(entry[0]), entry[1]]);
      }
    }
    if (typeof wire.t === "string") this.#title = wire.t;
  }
}

export { AccessDenied } from "../pipeline/lifecycle.js";
export { TestElement, TestForm, type ElementResult, type TextFilter } from "./element.js";
export { emptyForm, form, type FormState, type FormOptions } from "../live/forms.js";
