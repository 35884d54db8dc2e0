/**
 * Element-driven interactions of the test client (Phoenix LiveViewTest's `element/3`,
 * `render_click`, `form/3`, `render_submit`): a test names what the user clicks or fills in,
 * and the event name, `dj-value-*` values and form fields come from the rendered page. A
 * binding naming no handler, a selector matching no element or a field the form does not have
 * fails the test, where sending an event by name would have passed.
 * @module
 */
import { suggestion } from "../suggest.js";
import { parseHtml, querySelectorAll, textOf, type DomElement } from "./dom.js";

/** What an interaction produced (the client's `TestResult`). */
export interface ElementResult {
  readonly reply?: unknown;
  readonly error?: { readonly error: string; readonly message: string; readonly details?: unknown };
  readonly diff: unknown;
}

/** What elements need from the test client. */
export interface ElementHost {
  /** The view's current HTML. */
  render(): string;
  /** The view class's name and its handler names (for "did you mean"). */
  readonly viewName: string;
  /**
   * The handler names of the view, or of its component `cid` (an element with `dj-target`),
   * with that component's class name; throws when the view has no such component.
   */
  handlersOf(cid: number | undefined): { readonly owner: string; readonly names: Iterable<string> };
  click(
    event: string,
    values: Record<string, unknown>,
    options: { target?: number },
  ): Promise<ElementResult>;
  key(
    event: string,
    key: string,
    values: Record<string, unknown>,
    type: "keyup" | "keydown",
    options: { target?: number },
  ): Promise<ElementResult>;
  submit(event: string, body: string, options: { target?: number }): Promise<ElementResult>;
  change(
    event: string,
    body: string,
    options: { target?: string; untouched?: readonly string[]; cid?: number },
  ): Promise<ElementResult>;
  patch(to: string): Promise<ElementResult>;
  /** Records a live link to another view (`data-phx-link="redirect"`), as a navigation. */
  navigate(to: string, replace: boolean): void;
}

/** A text filter: the element's text contains the string, or matches the pattern. */
export type TextFilter = string | RegExp;

function describe(selector: string, text: TextFilter | undefined): string {
  return text === undefined
    ? JSON.stringify(selector)
    : `${JSON.stringify(selector)} with text ${text instanceof RegExp ? String(text) : JSON.stringify(text)}`;
}

/** The one element matching; throws when none or several do. */
export function findOne(html: string, selector: string, text?: TextFilter): DomElement {
  const candidates = querySelectorAll(parseHtml(html), selector);
  const found =
    text === undefined
      ? candidates
      : candidates.filter((el) =>
          text instanceof RegExp ? text.test(textOf(el)) : textOf(el).includes(text),
        );
  if (found.length === 1) return found[0] as DomElement;
  if (found.length > 1) {
    throw new Error(
      `${describe(selector, text)} matches ${found.length} elements; narrow it down with a text filter or a more specific selector`,
    );
  }
  const seen = candidates.map((el) => JSON.stringify(textOf(el))).slice(0, 10);
  throw new Error(
    `No element matches ${describe(selector, text)}` +
      (seen.length ? ` (the texts of ${JSON.stringify(selector)}: ${seen.join(", ")})` : ""),
  );
}

/** Whether an element matches. */
export function hasElement(html: string, selector: string, text?: TextFilter): boolean {
  return querySelectorAll(parseHtml(html), selector).some(
    (el) =>
      text === undefined ||
      (text instanceof RegExp ? text.test(textOf(el)) : textOf(el).includes(text)),
  );
}

/** `<tag attr="…">`, for messages. */
function openingTag(el: DomElement): string {
  const attrs = [...el.attrs].map(([name, value]) => ` ${name}="${value}"`).join("");
  return `<${el.tag}${attrs}>`;
}

/** An element's `dj-value-*` attributes, and its `value` as the browser client adds it. */
function clickValues(el: DomElement): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, value] of el.attrs) {
    if (name.startsWith("dj-value-")) values[name.slice("dj-value-".length)] = value;
  }
  // The client sends `el.value` of elements that have one (checkable inputs only when checked).
  const type = el.attrs.get("type")?.toLowerCase();
  if (el.tag === "input" && (type === "checkbox" || type === "radio")) {
    if (el.attrs.has("checked")) values.value = el.attrs.get("value") || "on";
  } else if (el.tag === "textarea") values.value = textOf(el);
  else if (["button", "input", "option", "select"].includes(el.tag)) {
    values.value = el.attrs.get("value") ?? "";
  }
  return values;
}

/** The server events a `dj-click`-style attribute sends: a name, or the JS commands' pushes. */
function pushesOf(binding: string): { event: string; value: Record<string, unknown> }[] {
  const trimmed = binding.trim();
  if (!trimmed.startsWith("[")) return [{ event: trimmed, value: {} }];
  let commands: unknown;
  try {
    commands = JSON.parse(trimmed);
  } catch {
    throw new Error(`The JS commands ${trimmed} are not valid JSON`);
  }
  const pushes: { event: string; value: Record<string, unknown> }[] = [];
  for (const command of Array.isArray(commands) ? commands : []) {
    if (!Array.isArray(command) || command[0] !== "push") continue;
    const args = (command[1] ?? {}) as { event?: unknown; value?: unknown };
    if (typeof args.event !== "string") continue;
    const value =
      typeof args.value === "object" && args.value !== null
        ? (args.value as Record<string, unknown>)
        : {};
    pushes.push({ event: args.event, value });
  }
  return pushes;
}

/**
 * Throws unless `event` names a handler of the view, or of its component `cid` (or is one of
 * the client's own events).
 */
function checkHandler(
  host: ElementHost,
  el: DomElement,
  attr: string,
  event: string,
  cid: number | undefined,
): void {
  if (event.startsWith("lv:")) return;
  const { owner, names: all } = host.handlersOf(cid);
  const names = [...all];
  if (names.includes(event)) return;
  const close = suggestion(event, names);
  throw new Error(
    `${attr}="${event}" on ${openingTag(el)} names no handler of ${owner}` +
      (close ? `; did you mean "${close}"?` : `; its handlers: ${names.join(", ") || "none"}`),
  );
}

/**
 * The component an element's events go to: its `dj-target` when that is a cid (`{{ myself }}`),
 * as the browser client sends it; `undefined` (the view) without one.
 * @throws Error for a `dj-target` selector, which the test client does not resolve.
 */
function targetOf(el: DomElement): number | undefined {
  const target = el.attrs.get("dj-target");
  if (target === undefined) return undefined;
  if (/^(0|[1-9]\d*)$/.test(target)) return Number(target);
  throw new Error(
    `${openingTag(el)}: the test client sends events to dj-target="{{ myself }}" (a component's cid), not to the selector ${JSON.stringify(target)}`,
  );
}

/** One element of the rendered view, found by {@link findOne}. */
export class TestElement {
  readonly #host: ElementHost;
  readonly #selector: string;
  readonly #text: TextFilter | undefined;

  constructor(host: ElementHost, selector: string, text?: TextFilter) {
    this.#host = host;
    this.#selector = selector;
    this.#text = text;
    this.#find();
  }

  #find(): DomElement {
    return findOne(this.#host.render(), this.#selector, this.#text);
  }

  /** The element's HTML as now rendered. */
  html(): string {
    const el = this.#find();
    return this.#host.render().slice(el.start, el.end);
  }

  /** The element's text, whitespace collapsed. */
  text(): string {
    return textOf(this.#find());
  }

  /**
   * Clicks it: its `dj-click` (an event name, or JS commands whose `push`es are sent) with its
   * `dj-value-*` values and `extra`; or follows it, when it is a live link
   * (`data-phx-link="patch"` patches this view, `"redirect"` records a navigation to follow with
   * `followRedirect`).
   * @throws Error when it has neither, or its binding names no handler.
   */
  async click(extra: Record<string, unknown> = {}): Promise<ElementResult> {
    const el = this.#find();
    const binding = el.attrs.get("dj-click");
    if (binding === undefined) {
      const link = el.tag === "a" ? el.attrs.get("data-phx-link") : undefined;
      const href = el.attrs.get("href");
      if (link === "patch" && href) return this.#host.patch(href);
      if (link === "redirect" && href) {
        this.#host.navigate(href, el.attrs.get("data-phx-link-state") === "replace");
        return { diff: null };
      }
      throw new Error(`${openingTag(el)} has no dj-click and is not a live link`);
    }
    const target = targetOf(el);
    const pushes = pushesOf(binding);
    for (const push of pushes) checkHandler(this.#host, el, "dj-click", push.event, target);
    let result: ElementResult = { diff: null };
    for (const push of pushes) {
      const values = { ...clickValues(el), ...push.value, ...extra };
      result = await this.#host.click(push.event, values, target === undefined ? {} : { target });
    }
    return result;
  }

  /** A key event on it: its `dj-keyup` (or `dj-keydown`) with `key` and its `dj-value-*`. */
  async keyup(key: string, extra: Record<string, unknown> = {}): Promise<ElementResult> {
    return this.#key("keyup", key, extra);
  }

  /** See {@link keyup}. */
  async keydown(key: string, extra: Record<string, unknown> = {}): Promise<ElementResult> {
    return this.#key("keydown", key, extra);
  }

  #key(type: "keyup" | "keydown", key: string, extra: Record<string, unknown>) {
    const el = this.#find();
    const attr = `dj-${type}`;
    const event = el.attrs.get(attr);
    if (event === undefined) throw new Error(`${openingTag(el)} has no ${attr}`);
    const target = targetOf(el);
    const filter = el.attrs.get("dj-key");
    if (filter !== undefined && filter.toLowerCase() !== key.toLowerCase()) {
      throw new Error(`${openingTag(el)} only sends ${attr} for the key ${JSON.stringify(filter)}`);
    }
    checkHandler(this.#host, el, attr, event, target);
    const values: Record<string, unknown> = {};
    for (const [name, value] of el.attrs) {
      if (name.startsWith("dj-value-")) values[name.slice("dj-value-".length)] = value;
    }
    const options = target === undefined ? {} : { target };
    return this.#host.key(event, key, { ...values, ...extra }, type, options);
  }
}

/** Nested objects as form field names (`{ task: { title } }` → `task[title]`). */
export function flatten(values: Record<string, unknown>, prefix = ""): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(values)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (Array.isArray(value)) for (const item of value) out.push([`${name}[]`, String(item)]);
    else if (typeof value === "object" && value !== null) {
      out.push(...flatten(value as Record<string, unknown>, name));
    } else out.push([name, value === null || value === undefined ? "" : String(value)]);
  }
  return out;
}

const NOT_SUBMITTED = new Set(["submit", "button", "reset", "image", "file"]);

/** A form's fields: every named control, and the values the browser would send as they are. */
function formFields(form: DomElement): {
  names: Set<string>;
  values: [string, string][];
  hidden: Set<string>;
} {
  const names = new Set<string>();
  const hidden = new Set<string>();
  const values: [string, string][] = [];
  for (const el of querySelectorAll(form, "input, select, textarea")) {
    const name = el.attrs.get("name");
    if (!name || el.attrs.has("disabled")) continue;
    names.add(name);
    const type = (el.attrs.get("type") ?? "text").toLowerCase();
    if (el.tag === "input") {
      if (type === "hidden") hidden.add(name);
      if (NOT_SUBMITTED.has(type)) continue;
      if (type === "checkbox" || type === "radio") {
        if (el.attrs.has("checked")) values.push([name, el.attrs.get("value") || "on"]);
        continue;
      }
      values.push([name, el.attrs.get("value") ?? ""]);
    } else if (el.tag === "textarea") {
      values.push([name, textOf(el)]);
    } else {
      const options = querySelectorAll(el, "option");
      const selected = options.filter((o) => o.attrs.has("selected"));
      const chosen = selected.length || el.attrs.has("multiple") ? selected : options.slice(0, 1);
      for (const o of chosen) values.push([name, o.attrs.get("value") ?? textOf(o)]);
    }
  }
  return { names, values, hidden };
}

/** A form of the rendered view, found by {@link findOne}. */
export class TestForm {
  readonly #host: ElementHost;
  readonly #selector: string;

  constructor(host: ElementHost, selector: string) {
    this.#host = host;
    this.#selector = selector;
    this.#find();
  }

  #find(): DomElement {
    const el = findOne(this.#host.render(), this.#selector);
    if (el.tag !== "form")
      throw new Error(`${JSON.stringify(this.#selector)} is a <${el.tag}>, not a <form>`);
    return el;
  }

  /**
   * The body the browser would send: the form's current values, with `values` filled in.
   * @throws Error naming a field of `values` the form does not have.
   */
  #body(form: DomElement, values: Record<string, unknown>) {
    const fields = formFields(form);
    const given = flatten(values);
    const givenNames = new Set(given.map(([name]) => name));
    for (const name of givenNames) {
      if (fields.names.has(name)) continue;
      const close = suggestion(name, fields.names);
      throw new Error(
        `The form ${JSON.stringify(this.#selector)} has no field named ${JSON.stringify(name)}` +
          (close
            ? `; did you mean "${close}"?`
            : `; its fields: ${[...fields.names].join(", ") || "none"}`),
      );
    }
    const body = new URLSearchParams();
    for (const [name, value] of fields.values) if (!givenNames.has(name)) body.append(name, value);
    for (const [name, value] of given) body.append(name, value);
    return { body: body.toString(), fields, given: [...givenNames] };
  }

  /** Submits it (`dj-submit`) with its fields as rendered, `values` filled in. */
  async submit(values: Record<string, unknown> = {}): Promise<ElementResult> {
    const form = this.#find();
    const event = form.attrs.get("dj-submit");
    if (event === undefined) throw new Error(`${openingTag(form)} has no dj-submit`);
    const target = targetOf(form);
    checkHandler(this.#host, form, "dj-submit", event, target);
    const options = target === undefined ? {} : { target };
    return this.#host.submit(event, this.#body(form, values).body, options);
  }

  /**
   * Types `values` into it (`dj-change`): `target` (default: the first field of `values`) is the
   * field that changed; the fields not in `values` count as not yet touched, as in a browser.
   */
  async change(
    values: Record<string, unknown> = {},
    options: { target?: string } = {},
  ): Promise<ElementResult> {
    const form = this.#find();
    const event = form.attrs.get("dj-change");
    if (event === undefined) throw new Error(`${openingTag(form)} has no dj-change`);
    const cid = targetOf(form);
    checkHandler(this.#host, form, "dj-change", event, cid);
    const { body, fields, given } = this.#body(form, values);
    const untouched = [...fields.names].filter((n) => !given.includes(n) && !fields.hidden.has(n));
    const target = options.target ?? given[0];
    return this.#host.change(event, body, {
      ...(target !== undefined && { target }),
      ...(cid !== undefined && { cid }),
      untouched,
    });
  }
}
