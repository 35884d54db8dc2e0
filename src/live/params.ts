/**
 * Decoding of the browser client's event payloads into handler params.
 *
 * Forms arrive URL-encoded (`serializeForm` in the client's `view.ts`), with Plug-style nested
 * names (`order[qty]=3`, `tags[]=a&tags[]=b`), an `_unused_<name>` marker for every field the
 * user has not touched yet, and the changed field in `meta._target`.
 * @module
 */
import { FORBIDDEN_KEYS, guardValue, tooDeep } from "../view/validate.js";

/** Prefix the client puts before a field name to say the field was never focused. */
export const UNUSED_PREFIX = "_unused_";

type Tree = Record<string, unknown>;

/** Whether a decoded JSON value is an object (not `null`, not an array). */
export function isRecord(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// "a[b][]" → ["a", "b", ""]; a name without brackets is one segment.
function splitName(name: string, maxDepth: number): string[] {
  const open = name.indexOf("[");
  if (open <= 0 || !name.endsWith("]")) return [name];
  const parts = [name.slice(0, open)];
  const rest = name.slice(open);
  const re = /\[([^[\]]*)\]/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = re.exec(rest)) !== null) {
    parts.push(match[1] ?? "");
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length) return [name];
  // Checked before anything nests (DESIGN §12): `a[a][a]…` 10,000 deep is refused here.
  if (parts.length > maxDepth) throw tooDeep(maxDepth);
  return parts;
}

function assign(target: Tree, path: string[], value: string): void {
  let node = target;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string;
    if (FORBIDDEN_KEYS.has(key)) return;
    const last = i === path.length - 1;
    const nextIsList = path[i + 1] === "";
    if (last) {
      node[key] = value;
      return;
    }
    if (nextIsList && i + 1 === path.length - 1) {
      const list = Array.isArray(node[key]) ? (node[key] as unknown[]) : [];
      list.push(value);
      node[key] = list;
      return;
    }
    if (!isRecord(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
}

/**
 * Decodes a URL-encoded form body into nested params. Repeated plain names keep the last value
 * (as HTML forms and Plug do); `name[]` collects a list.
 * @throws ValidationError for a name nested deeper than `maxDepth` levels (`a[b][c]` is 3).
 */
export function decodeForm(body: string, maxDepth: number): Record<string, unknown> {
  const out: Tree = Object.create(null) as Tree;
  for (const [name, value] of new URLSearchParams(body)) {
    assign(out, splitName(name, maxDepth), value);
  }
  return { ...out };
}

/** Field names marked `_unused_` by the client, as dotted paths (`order.qty`). */
export function unusedFields(params: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const walk = (node: Tree, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith(UNUSED_PREFIX)) out.add(prefix + key.slice(UNUSED_PREFIX.length));
      else if (isRecord(value) && !FORBIDDEN_KEYS.has(key)) walk(value, `${prefix}${key}.`);
    }
  };
  walk(params, "");
  return out;
}

/** A copy of `params` without the client's `_unused_*` markers and `_target`. */
export function stripFormMeta(params: Record<string, unknown>): Record<string, unknown> {
  const out: Tree = {};
  for (const [key, value] of Object.entries(params)) {
    if (key === "_target" || key.startsWith(UNUSED_PREFIX)) continue;
    // Never `out["__proto__"] = …`: that would set the copy's prototype from input.
    if (FORBIDDEN_KEYS.has(key)) continue;
    out[key] = isRecord(value) ? stripFormMeta(value) : value;
  }
  return out;
}

/** The event payload the client sends with an `event` message. */
export interface ClientEvent {
  /** `click`, `form`, `keyup`, `keydown`, `blur`, `focus`, `hook`, … */
  readonly type: string;
  readonly event: string;
  readonly value: unknown;
  readonly meta?: unknown;
  readonly cid?: unknown;
}

/** Reads an `event` payload, or returns `null` when it is malformed. */
export function readClientEvent(payload: unknown): ClientEvent | null {
  if (!isRecord(payload)) return null;
  const { type, event } = payload;
  if (typeof type !== "string" || typeof event !== "string" || event.length === 0) return null;
  return { type, event, value: payload.value, meta: payload.meta, cid: payload.cid };
}

/** What a client event means for the dispatch: params, and whether they are strings. */
export interface DecodedEvent {
  readonly params: Record<string, unknown>;
  /** Browser-originated strings (forms, `dj-value-*`) are coerced; hook payloads are JSON. */
  readonly coerceStrings: boolean;
}

/**
 * Turns a client event into handler params. Its value and meta pass the shape guard first
 * (depth and forbidden keys, without recursion), so nothing below walks hostile nesting. Form
 * events keep the client's `_target` and `_unused_*` keys (the forms helper reads them);
 * {@link stripFormMeta} removes them for handlers with a schema.
 * @param maxDepth deepest nesting accepted (`limits.inputDepth`), for values and form names.
 * @throws ValidationError for a value nested too deeply or carrying a forbidden key.
 */
export function decodeClientEvent(event: ClientEvent, maxDepth: number): DecodedEvent {
  guardValue(event.value, maxDepth);
  guardValue(event.meta, maxDepth);
  if (event.type === "form") {
    const params = typeof event.value === "string" ? decodeForm(event.value, maxDepth) : {};
    const meta = isRecord(event.meta) ? event.meta : {};
    let target: string | undefined;
    for (const [key, value] of Object.entries(meta)) {
      if (key === "_target") {
        if (typeof value === "string" && value !== "undefined") target = value;
      } else if (!FORBIDDEN_KEYS.has(key) && !(key in params)) {
        // dj-value-* attributes on the form itself.
        params[key] = value;
      }
    }
    if (target !== undefined) params._target = target;
    return { params, coerceStrings: true };
  }
  const value = isRecord(event.value) ? { ...event.value } : {};
  if (event.type === "hook") {
    return { params: isRecord(event.value) ? value : { value: event.value }, coerceStrings: false };
  }
  return { params: value, coerceStrings: true };
}
