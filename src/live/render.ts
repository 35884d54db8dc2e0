/**
 * The render step of a live view: its render context (public state, `getContextData()`,
 * `flash`, `csrf_token`), the change-tracked render (only slots reading a changed assign are
 * evaluated), the diff against the tree the client shows, and the decoration of a wire tree with
 * the step's effects (`e` client events, `t` page title) and reply (`r`). Functions of explicit
 * inputs: the instance keeps the state (the last tree and its template).
 * @module
 */
import { diff, type WireRendered } from "../render/diff.js";
import type { Rendered, Template } from "../render/tree.js";
import { toWire as encodeWire, type SerializationPolicy } from "../state/codec.js";
import { stateKeys, stateValue } from "../state/tracker.js";
import { serializeResult } from "../view/api-response.js";
import { isApiResponse } from "../pipeline/dispatch.js";
import { hasOwnContextData, type LiveView, type LiveViewClass } from "../view/live-view.js";
import { runtimeOf, type Effects } from "../view/runtime.js";
import { renderingChildren } from "../view/live-render.js";
import { withPlacer, type ComponentPlacer } from "../view/live-component.js";
import type { ViewComponents } from "./components.js";
import type { Flash } from "./flash.js";
import type { TemplateSource } from "./host.js";
import type { RenderEdits, RenderLog } from "./render-log.js";
import type { ChildRenderer } from "../view/live-render.js";

/** What a view renders from, besides its own state. */
export interface RenderSource {
  readonly view: LiveView;
  readonly viewClass: LiveViewClass;
  readonly templates: TemplateSource | undefined;
  readonly flash: Flash;
  readonly csrfToken: string | undefined;
  /**
   * Gives the renderer of its `liveRender`s (called at the first one of a render, which it
   * starts).
   */
  readonly openChildren: () => ChildRenderer;
  /** Receives the components the render places (`liveComponent`, `{% live_component %}`). */
  readonly placer: ComponentPlacer;
  /** The view's components, once one was placed. */
  readonly components: ViewComponents | undefined;
  /**
   * Notes what the view's render wrote of its state (a list sorted in place as it renders), so
   * that the components it placed know those objects changed before they take their assigns.
   */
  noteRenderWrites(): void;
}

/** A render: the new tree and its template (`undefined` for `render()` views). */
export interface RenderOutput {
  readonly tree: Rendered;
  readonly template: Template | undefined;
}

/**
 * The render context: public state, `getContextData()`, `flash`, `csrf_token`, and `streams`
 * when the view has any.
 */
export function renderContext(source: RenderSource): {
  context: Record<string, unknown>;
  computed: string[];
} {
  const { view } = source;
  const context: Record<string, unknown> = {};
  // Raw values, never the tracking proxies handlers see: templates only read.
  for (const key of stateKeys(view)) context[key] = stateValue(view, key);
  const extra = view.getContextData();
  const computed = Object.keys(extra);
  Object.assign(context, extra);
  context.flash = source.flash;
  // Not state: the uploads the view allowed, as `{% live_file_input uploads.avatar %}` reads them.
  const uploads = runtimeOf(view).uploads;
  if (uploads) context.uploads = uploads.byName;
  if (source.csrfToken !== undefined) context.csrf_token = source.csrfToken;
  if (hasStreams(view)) context.streams = view.streams;
  return { context, computed };
}

/**
 * Renders the view: every slot when `changed` is `undefined`, else the slots reading an assign
 * in `changed` (plus the computed ones). `shown` is the template of the previous render.
 */
export function renderView(
  source: RenderSource,
  changed: Set<string> | undefined,
  shown: Template | undefined,
  edits?: RenderEdits,
): RenderOutput {
  try {
    return renderingChildren(source.openChildren, () => renderOwn(source, changed, shown, edits));
  } catch (error) {
    source.components?.abandon();
    throw error;
  }
}

function renderOwn(
  source: RenderSource,
  changed: Set<string> | undefined,
  shown: Template | undefined,
  edits: RenderEdits | undefined,
): RenderOutput {
  const { context, computed } = renderContext(source);
  const { view } = source;
  const cls = source.viewClass;
  if (typeof cls.templateName === "string") {
    const templates = source.templates;
    if (!templates) throw new Error(`${cls.name}: templateName needs the app's templateDirs`);
    const template = templates.get(cls.templateName);
    // A template edited on disk (debug reload) has new slots: evaluate all of them, and the
    // diff against the old tree sends the new statics.
    if (template !== shown) changed = undefined;
    if (changed) for (const key of computed) changed.add(key);
    if (changed && streamsPending(view)) changed.add(STREAMS);
    if (edits) edits.computed = computed;
    const tree = withPlacer(source.placer, () => template.render(context, changed, edits));
    return { tree, template };
  }
  if (typeof view.render !== "function") {
    throw new Error(`${cls.name} has neither a templateName nor a render() method`);
  }
  const render = view.render.bind(view);
  return { tree: withPlacer(source.placer, () => render(context)), template: undefined };
}

/** The context name of the view's streams. */
const STREAMS = "streams";

function hasStreams(view: LiveView): boolean {
  return (
    runtimeOf(view).streams !== undefined ||
    (view.constructor as LiveViewClass).streams !== undefined
  );
}

function streamsPending(view: LiveView): boolean {
  return runtimeOf(view).streams?.pending ?? false;
}

/**
 * A render of the view and its components succeeded: the streams' operations and the temporary
 * assigns go out with it, so the operations are dropped and each temporary assign is set back
 * to its default. Not before: when a component fails the pass, the next render sends them.
 */
function sent(view: LiveView): void {
  runtimeOf(view).streams?.clear();
  resetTemporaryAssigns(view);
}

/**
 * Sets each of `static temporaryAssigns` back to a fresh copy of its default. The write goes
 * through the state tracker like any other; the instance takes it as the new baseline right
 * after the render, so it is never reported as a change and never re-renders anything.
 */
function resetTemporaryAssigns(view: LiveView): void {
  const defaults = (view.constructor as LiveViewClass).temporaryAssigns;
  if (defaults === undefined) return;
  const fields = view as unknown as Record<string, unknown>;
  for (const key of Object.keys(defaults)) fields[key] = structuredClone(defaults[key]);
}

/**
 * Renders what `changed` names and diffs it against `shown`, then the components that changed
 * (the diff's `c`); `null` when nothing the template can read changed (the context is state +
 * flash, unless the view computes extra values, which may depend on anything) and no component
 * waits to render: a component's change renders that component alone. `tree` and `template`
 * are what the client shows; `rendered`, when the view rendered, is its tree before the diff
 * dropped the stream items from it.
 */
export function rerender(
  source: RenderSource,
  changed: readonly string[],
  flashChanged: boolean,
  tree: Rendered | undefined,
  template: Template | undefined,
  log?: RenderLog,
): (RenderOutput & { diff: WireRendered | null; rendered?: Rendered }) | null {
  const viewChanged =
    changed.length > 0 ||
    flashChanged ||
    hasOwnContextData(source.view) ||
    streamsPending(source.view);
  if (!viewChanged && !(source.components?.pending ?? false)) return null;
  let out: RenderOutput & { diff: WireRendered | null; rendered?: Rendered } = {
    tree: tree as Rendered,
    template,
    diff: null,
  };
  let edits: RenderEdits | undefined;
  try {
    if (viewChanged) {
      const set = new Set(changed);
      if (flashChanged) set.add("flash");
      edits = log?.next(set);
      const next = renderView(source, set, template, edits);
      const result = diff(tree, next.tree);
      out = { tree: result.tree, template: next.template, diff: result.diff, rendered: next.tree };
    }
    // Read after the render: its first placement makes the table.
    if (viewChanged && source.components?.pending) source.noteRenderWrites();
    const components = source.components?.render(false);
    if (components) out.diff = { ...out.diff, c: components };
    if (viewChanged) sent(source.view);
  } catch (error) {
    edits?.failed();
    throw error;
  }
  // Nothing fails past this point: the caller adopts the tree.
  if (edits) edits.shown = true;
  return out;
}

/**
 * Renders every slot: the tree (stream items included, for the page's HTML), its full wire form
 * (a join reply's `rendered`) and `kept`, the tree to diff the next render against (without
 * stream items).
 */
export function renderFull(
  source: RenderSource,
  shown: Template | undefined,
): RenderOutput & { wire: WireRendered; kept: Rendered } {
  const output = renderView(source, undefined, shown);
  const full = diff(undefined, output.tree);
  const wire = full.diff as WireRendered;
  const components = source.components?.render(true);
  if (components) wire.c = components;
  sent(source.view);
  return { ...output, wire, kept: full.tree };
}

/**
 * Renders every slot for HTML alone (a dead render, whose page is all it sends): no wire tree,
 * and the components' trees rendered for their HTML.
 */
export function renderPage(source: RenderSource, shown: Template | undefined): RenderOutput {
  const output = renderView(source, undefined, shown);
  source.components?.render(true);
  sent(source.view);
  return output;
}

/** Adds a step's client events (`e`) and page title (`t`) to a wire tree. */
export function decorate(wire: WireRendered, effects: Effects): void {
  if (effects.events.length > 0) {
    wire.e = effects.events.map(([name, payload]) => [name, toJsonValue(payload)]);
  }
  if (effects.title !== undefined) wire.t = effects.title;
}

/** Whether a step's effects add anything to its wire tree. */
export function hasDecoration(effects: Effects): boolean {
  return effects.events.length > 0 || effects.title !== undefined;
}

/**
 * A handler's return value as the reply's `r` (DESIGN §10): an `apiResponse` is serialized
 * first; a non-object value is sent as `{ value }`.
 * @throws what serialization throws
 */
export async function replyValue(result: unknown, policy: SerializationPolicy): Promise<unknown> {
  let value = result;
  if (isApiResponse(value)) value = await serializeResult(value);
  const wire = encodeWire(value, "result", { ...policy, warned: undefined });
  return typeof wire === "object" && wire !== null && !Array.isArray(wire) ? wire : { value: wire };
}

function toJsonValue(value: unknown): WireRendered {
  return JSON.parse(JSON.stringify(value ?? {})) as WireRendered;
}
