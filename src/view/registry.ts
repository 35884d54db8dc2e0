/**
 * The per-class handler registry behind `@eventHandler` and its companion decorators.
 *
 * Decorators write into the class's TC39 decorator metadata (`context.metadata`). A subclass's
 * metadata object inherits from its parent's through the prototype chain, so each class copies
 * the map before its first write (copy-on-write): subclasses see inherited handlers, parents
 * never see their subclasses' handlers.
 * @module
 */
import "../polyfill.js";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { DecoratorError } from "../errors.js";
import type { RateLimitRule } from "../ratelimit/bucket.js";

/** A handler's parameter schema: any Standard Schema (zod 4 by default) or `"any"`. */
export type ParamsSchema = StandardSchemaV1 | "any";

/** What a decorator recorded for one method. */
interface MethodEntry {
  handler?: {
    name: string;
    params?: ParamsSchema;
    result?: StandardSchemaV1;
    exposeApi: boolean;
    description?: string;
    deprecated: boolean;
  };
  permissions?: readonly string[];
  rateLimit?: RateLimitRule;
}

/** A registered event handler, as every transport sees it. */
export interface HandlerSpec {
  /** The name clients call (`dj-click="name"`, `/djust/api/<slug>/<name>/`). */
  readonly name: string;
  /** The method on the view that runs it. */
  readonly method: string;
  readonly params?: ParamsSchema;
  /** Declared result schema (documents the 200 response in OpenAPI). */
  readonly result?: StandardSchemaV1;
  readonly exposeApi: boolean;
  readonly description?: string;
  readonly deprecated: boolean;
  /** Every permission is required. */
  readonly permissions: readonly string[];
  readonly rateLimit?: RateLimitRule;
}

const METHODS = Symbol("djust.methods");
const VALIDATORS = Symbol("djust.fieldValidators");

type Metadata = Record<PropertyKey, unknown>;

function ownMap<V>(metadata: Metadata, key: symbol): Map<string, V> {
  if (!Object.hasOwn(metadata, key)) {
    const inherited = metadata[key] as Map<string, V> | undefined;
    metadata[key] = new Map(inherited ?? []);
  }
  return metadata[key] as Map<string, V>;
}

/** Names a view reserves for lifecycle and framework members: never callable as events. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "constructor",
  "setup",
  "mount",
  "render",
  "getContextData",
  "handleInfo",
  "handleParams",
  "request",
  "httpRequest",
  "session",
  "user",
  "pushEvent",
  "pushPatch",
  "pushNavigate",
  "redirect",
  "putFlash",
  "subscribe",
  "broadcast",
  "pageTitle",
  "connected",
  "toString",
  "toJSON",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "__proto__",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
]);

/** A method decorator's context, as far as the registry needs it. */
export type MethodContext = ClassMethodDecoratorContext;

/** Checks that a decorator sits on a public, non-static, named method and returns its name. */
export function decoratedMethodName(decorator: string, context: DecoratorContext): string {
  if (context.kind !== "method") {
    throw new DecoratorError(`${decorator} can only decorate methods, not a ${context.kind}`);
  }
  if (context.static) throw new DecoratorError(`${decorator} cannot decorate a static method`);
  if (context.private || typeof context.name !== "string") {
    throw new DecoratorError(`${decorator} cannot decorate a #private or symbol-named method`);
  }
  return context.name;
}

function updateEntry(context: MethodContext, method: string, change: (entry: MethodEntry) => void) {
  const methods = ownMap<MethodEntry>(context.metadata as Metadata, METHODS);
  const entry: MethodEntry = { ...methods.get(method) };
  change(entry);
  methods.set(method, entry);
}

/** Records `@eventHandler` options for `method`. */
export function recordHandler(
  context: MethodContext,
  method: string,
  handler: NonNullable<MethodEntry["handler"]>,
): void {
  const metadata = context.metadata as Metadata;
  const methods = ownMap<MethodEntry>(metadata, METHODS);
  if (ownDecorated(metadata, `handler:${method}`)) {
    throw new DecoratorError(`@eventHandler is applied twice to ${method}()`);
  }
  if (handler.name.startsWith("_") || RESERVED_NAMES.has(handler.name)) {
    throw new DecoratorError(
      `@eventHandler: "${handler.name}" cannot be a handler name (private or reserved by LiveView)`,
    );
  }
  for (const [other, entry] of methods) {
    if (other !== method && entry.handler?.name === handler.name) {
      throw new DecoratorError(
        `@eventHandler: ${method}() and ${other}() both claim the handler name "${handler.name}"`,
      );
    }
  }
  markDecorated(metadata, `handler:${method}`);
  updateEntry(context, method, (entry) => {
    entry.handler = handler;
  });
}

const DECORATED = Symbol("djust.decoratedHere");

/** Decorations applied in this very class (not inherited): detects a decorator used twice. */
function ownDecorated(metadata: Metadata, method: string): boolean {
  return Object.hasOwn(metadata, DECORATED) && (metadata[DECORATED] as Set<string>).has(method);
}

function markDecorated(metadata: Metadata, method: string): void {
  if (!Object.hasOwn(metadata, DECORATED)) metadata[DECORATED] = new Set<string>();
  (metadata[DECORATED] as Set<string>).add(method);
}

/** Adds required permissions to `method`. */
export function recordPermissions(
  context: MethodContext,
  method: string,
  permissions: readonly string[],
): void {
  updateEntry(context, method, (entry) => {
    entry.permissions = [...new Set([...(entry.permissions ?? []), ...permissions])];
  });
}

/** Sets the rate limit of `method`; a second `@rateLimit` on one method is a conflict. */
export function recordRateLimit(context: MethodContext, method: string, rule: RateLimitRule): void {
  const metadata = context.metadata as Metadata;
  const key = `rateLimit:${method}`;
  if (ownDecorated(metadata, key)) {
    throw new DecoratorError(`@rateLimit is applied twice to ${method}()`);
  }
  markDecorated(metadata, key);
  updateEntry(context, method, (entry) => {
    entry.rateLimit = rule;
  });
}

/** Registers `method` as a validator of parameter `field`. */
export function recordFieldValidator(context: MethodContext, method: string, field: string): void {
  const validators = ownMap<readonly string[]>(context.metadata as Metadata, VALIDATORS);
  validators.set(field, [...(validators.get(field) ?? []).filter((m) => m !== method), method]);
}

type ViewClass = abstract new (...args: never[]) => object;

const handlerCache = new WeakMap<ViewClass, ReadonlyMap<string, HandlerSpec>>();

function metadataOf(cls: ViewClass): Metadata | undefined {
  return (cls as unknown as Record<symbol, Metadata | undefined>)[Symbol.metadata as symbol];
}

/**
 * The handlers of a view class (own and inherited), by client-visible name.
 * @throws DecoratorError when `@permissionRequired`/`@rateLimit` sit on a method that is not an
 * `@eventHandler` (they would silently do nothing).
 */
export function handlersOf(cls: ViewClass): ReadonlyMap<string, HandlerSpec> {
  const cached = handlerCache.get(cls);
  if (cached) return cached;
  const methods = (metadataOf(cls)?.[METHODS] as Map<string, MethodEntry> | undefined) ?? new Map();
  const handlers = new Map<string, HandlerSpec>();
  for (const [method, entry] of methods) {
    if (!entry.handler) {
      const what = entry.permissions ? "@permissionRequired" : "@rateLimit";
      throw new DecoratorError(`${what} on ${cls.name}.${method}() needs @eventHandler as well`);
    }
    const { handler } = entry;
    handlers.set(handler.name, {
      name: handler.name,
      method,
      exposeApi: handler.exposeApi,
      deprecated: handler.deprecated,
      permissions: entry.permissions ?? [],
      ...(handler.params !== undefined && { params: handler.params }),
      ...(handler.result !== undefined && { result: handler.result }),
      ...(handler.description !== undefined && { description: handler.description }),
      ...(entry.rateLimit !== undefined && { rateLimit: entry.rateLimit }),
    });
  }
  handlerCache.set(cls, handlers);
  return handlers;
}

/** `@fieldValidator` methods of a view class, by parameter name. */
export function fieldValidatorsOf(cls: ViewClass): ReadonlyMap<string, readonly string[]> {
  return (metadataOf(cls)?.[VALIDATORS] as Map<string, readonly string[]> | undefined) ?? NONE;
}

// Read on every validated call: most classes have no validators, so they share one empty map.
const NONE: ReadonlyMap<string, readonly string[]> = new Map();
