/**
 * Test harness around the REAL rendered-tree code of the official `phoenix_live_view` client
 * (`assets/js/phoenix_live_view/rendered.js` of the installed package), so that tests check our
 * wire payloads against what the browser would actually build, not against our own reading of
 * the format.
 *
 * The package's `exports` map hides `assets/`, so the file is located from the package's main
 * entry and imported by URL; tsx compiles its TypeScript siblings. The client only touches the DOM
 * for `window.structuredClone` (moves of keyed entries clone the old entries), so a happy-dom
 * `window`/`document` is installed when the process has none.
 *
 * What {@link ClientTree} does per payload mirrors `View.applyDiff`/`View.update`: the payload is
 * JSON round-tripped (it travels as JSON, and the client mutates what it merges), `r`/`e`/`t` are
 * split off with `Rendered.extract`, the rest is merged with `mergeDiff`, and — unless the diff is
 * empty — `toString()` is run as the client does before patching, because that call is where the
 * client resolves `p`/integer `s` template references into the tree.
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Window } from "happy-dom";

/** A JSON object as sent on the wire (structurally compatible with `WireRendered`). */
export interface WirePayload {
  [key: string]: unknown;
}

/** The parts of the client's `Rendered` class the harness uses. */
interface ClientRendered {
  rendered: Record<string, unknown>;
  mergeDiff(diff: WirePayload): void;
  toString(onlyCids?: number[] | null): { buffer: string; streams: Set<unknown> };
  recursiveToString(
    rendered: Record<string, unknown>,
    components: unknown,
    onlyCids: number[] | null | undefined,
    changeTracking: boolean,
    rootAttrs: Record<string, unknown>,
    cid: number | null,
  ): { buffer: string; streams: Set<unknown> };
  componentCIDs(diff: WirePayload): number[];
}

interface ClientRenderedClass {
  new (viewId: string, rendered: WirePayload): ClientRendered;
  extract(diff: WirePayload): {
    diff: WirePayload;
    title: unknown;
    reply: unknown;
    events: unknown[];
  };
}

function installDomGlobals(): void {
  const g = globalThis as { window?: unknown; document?: unknown };
  if (g.window !== undefined) return;
  const window = new Window();
  g.window = window;
  g.document ??= window.document;
}

async function loadClient(): Promise<ClientRenderedClass> {
  installDomGlobals();
  const require = createRequire(import.meta.url);
  // main = <pkg>/priv/static/phoenix_live_view.cjs.js
  const root = join(dirname(require.resolve("phoenix_live_view")), "..", "..");
  const file = join(root, "assets", "js", "phoenix_live_view", "rendered.js");
  const mod = (await import(pathToFileURL(file).href)) as { default: ClientRenderedClass };
  return mod.default;
}

/** The client's `Rendered` class, loaded from the installed package. */
export const ClientRenderedCtor: ClientRenderedClass = await loadClient();

// Attributes the client writes into its output, never present in what the server rendered:
// `data-phx-id`/`data-phx-skip` on templates flagged as roots (`r: 1`), `data-phx-component` and
// `data-phx-view` on stateful-component roots (`c`).
const CLIENT_ATTRIBUTES = / data-phx-(?:id|skip|component|view)(?:="[^"]*")?/g;

/** Removes the attributes the client injects (see {@link ClientTree.html}). */
export function stripClientAttributes(html: string): string {
  return html.replace(CLIENT_ATTRIBUTES, "");
}

function isEmpty(obj: WirePayload): boolean {
  return Object.keys(obj).length === 0;
}

/**
 * One LiveView's rendered state as the official client keeps it: construct it with the join
 * reply's `rendered`, {@link merge} every `diff`, read the HTML with {@link html}.
 */
export class ClientTree {
  private readonly inner: ClientRendered;
  private lastHtml: string;
  /** `t` of the last payload, if any (the client sets `document.title` from it). */
  title: unknown;
  /** `r` of the last payload, or null. */
  reply: unknown;
  /** `e` of the last payload. */
  events: unknown[];

  constructor(
    readonly viewId: string,
    rendered: WirePayload,
  ) {
    const { diff, title, reply, events } = ClientRenderedCtor.extract(wireCopy(rendered));
    this.title = title;
    this.reply = reply;
    this.events = events;
    this.inner = new ClientRenderedCtor(viewId, diff);
    this.lastHtml = this.inner.toString().buffer;
  }

  /** Merges one `diff` payload the way `View.update` does. */
  merge(payload: WirePayload): void {
    const { diff, title, reply, events } = ClientRenderedCtor.extract(wireCopy(payload));
    this.title = title;
    this.reply = reply;
    this.events = events;
    this.inner.mergeDiff(diff);
    if (!isEmpty(diff)) {
      const cids = this.inner.componentCIDs(diff);
      this.lastHtml = this.inner.toString(cids).buffer;
    }
  }

  /**
   * The full HTML of the current state, rendered with the client's own renderer with its
   * change-tracking "skip" optimisation turned off (otherwise unchanged roots would print as empty
   * `data-phx-skip` placeholders), and with the client-injected attributes of
   * {@link stripClientAttributes} removed. Nothing else is normalised: whitespace, attribute order
   * and entities are exactly what the client produced.
   */
  html(): string {
    const { rendered } = this.inner;
    const { buffer } = this.inner.recursiveToString(
      rendered,
      rendered.c,
      undefined,
      false,
      {},
      null,
    );
    return stripClientAttributes(buffer);
  }

  /** The raw output of the client's last `toString()` (what it would have patched the DOM with). */
  patchHtml(): string {
    return this.lastHtml;
  }

  /** The client's internal merged tree (for debugging failing tests). */
  state(): unknown {
    return this.inner.rendered;
  }
}

// Payloads travel as JSON, and the client both mutates what it merges and keeps references to
// it; a copy keeps the caller's object (and our trees' statics arrays) out of its reach.
function wireCopy(payload: WirePayload): WirePayload {
  return JSON.parse(JSON.stringify(payload)) as WirePayload;
}
