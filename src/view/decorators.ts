/**
 * The decorators users put on view methods. They are TC39 standard decorators (no
 * `experimentalDecorators`) and only record options; the shared dispatch pipeline enforces them.
 * @module
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { DecoratorError } from "../errors.js";
import { assertRule, type RateLimitRule } from "../ratelimit/bucket.js";
import {
  decoratedMethodName,
  recordFieldValidator,
  recordHandler,
  recordPermissions,
  recordRateLimit,
  type MethodContext,
  type ParamsSchema,
} from "./registry.js";

/** Options of {@link eventHandler}; `P` is the type of `params`. */
export interface EventHandlerOptions<
  P extends ParamsSchema | undefined = ParamsSchema | undefined,
> {
  /**
   * Schema of the handler's single argument (an object of named parameters). Any Standard
   * Schema; zod 4 is the documented default. `"any"` accepts a free-form object; omitted means
   * the handler takes no parameters. The schema's output type must be assignable to the
   * method's parameter type: `{ id: string }` with `params: z.number()` does not compile.
   */
  readonly params?: P;
  /** Schema of the return value; documents the 200 response in OpenAPI. */
  readonly result?: StandardSchemaV1;
  /** Also expose the handler as `POST <apiPrefix><view_slug>/<name>/`. Default `false`. */
  readonly exposeApi?: boolean;
  /** OpenAPI operation description. */
  readonly description?: string;
  /** Marks the OpenAPI operation deprecated. */
  readonly deprecated?: boolean;
  /** The name clients call; defaults to the method name. */
  readonly name?: string;
}

const OPTION_KEYS: ReadonlySet<string> = new Set([
  "params",
  "result",
  "exposeApi",
  "description",
  "deprecated",
  "name",
]);

/** A decorator for a method of a LiveView subclass. */
export type HandlerMethodDecorator = <This>(
  value: (this: This, ...args: never[]) => unknown,
  context: ClassMethodDecoratorContext<This>,
) => void;

/**
 * What a handler with params schema `P` receives: the schema's output type. Without a schema
 * (or with `"any"`) the argument is not constrained.
 */
export type HandlerParams<P extends ParamsSchema | undefined> = P extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<P>
  : never;

/**
 * `@eventHandler({ params })`: a method decorator whose method must accept the schema's output,
 * so a handler typed `{ id: string }` under `params: z.object({ id: z.number() })` is a
 * compile error.
 */
export type EventHandlerDecorator<P extends ParamsSchema | undefined> = [P] extends [
  StandardSchemaV1,
]
  ? <This>(
      value: (this: This, params: HandlerParams<P>) => unknown,
      context: ClassMethodDecoratorContext<This>,
    ) => void
  : HandlerMethodDecorator;

function isDecoratorContext(value: unknown): value is MethodContext {
  return typeof value === "object" && value !== null && "kind" in value && "metadata" in value;
}

/** The fix for decorators compiled the legacy way, in every toolchain that reads tsconfig. */
const LEGACY_FIX =
  'Remove "experimentalDecorators" (and "emitDecoratorMetadata") from compilerOptions in ' +
  'tsconfig.json (tsx, esbuild and Vite read it too) and compile with "target": "ES2022" or later.';

/**
 * Returns `context` when it is a standard (TC39) decorator context with metadata, else throws
 * an error that names the fix: legacy `experimentalDecorators` call a method decorator with
 * `(target, key, descriptor)`, and a runtime without `Symbol.metadata` gives no metadata.
 */
function standardContext(decorator: string, context: unknown): MethodContext {
  if (typeof context !== "object" || context === null || !("kind" in context)) {
    throw new DecoratorError(
      `${decorator} was called as a legacy decorator (target, key, descriptor): the code was ` +
        `compiled with "experimentalDecorators", but djust uses standard decorators. ${LEGACY_FIX}`,
    );
  }
  if ((context as { metadata?: unknown }).metadata == null) {
    throw new DecoratorError(
      `${decorator} received no decorator metadata: Symbol.metadata was missing when the class ` +
        `was defined. Import "djust" (it installs Symbol.metadata) before any view class is ` +
        `evaluated, or run Symbol.metadata ??= Symbol.for("Symbol.metadata") first; a bundler ` +
        `must compile decorators with metadata (TypeScript 5.2+, esbuild 0.21+).`,
    );
  }
  return context as MethodContext;
}

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { "~standard"?: { validate?: unknown } })["~standard"]?.validate === "function"
  );
}

function validateOptions(options: EventHandlerOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new DecoratorError("@eventHandler options must be an object");
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new DecoratorError(
        `@eventHandler: unknown option "${key}" (known: ${[...OPTION_KEYS].join(", ")})`,
      );
    }
  }
  const { params, result, name } = options;
  if (params !== undefined && params !== "any" && !isStandardSchema(params)) {
    throw new DecoratorError('@eventHandler: params must be a Standard Schema (e.g. zod) or "any"');
  }
  if (result !== undefined && !isStandardSchema(result)) {
    throw new DecoratorError("@eventHandler: result must be a Standard Schema (e.g. zod)");
  }
  if (name !== undefined && !/^[A-Za-z][\w-]*$/.test(name)) {
    throw new DecoratorError(`@eventHandler: invalid handler name ${JSON.stringify(name)}`);
  }
}

function applyHandler(options: EventHandlerOptions, context: MethodContext): void {
  const method = decoratedMethodName("@eventHandler", context);
  recordHandler(context, method, {
    name: options.name ?? method,
    exposeApi: options.exposeApi ?? false,
    deprecated: options.deprecated ?? false,
    ...(options.params !== undefined && { params: options.params }),
    ...(options.result !== undefined && { result: options.result }),
    ...(options.description !== undefined && { description: options.description }),
  });
}

/**
 * Marks a view method as an event handler: callable from the browser (`dj-click="name"`),
 * from `LiveViewTestClient`, and, with `exposeApi: true`, over the HTTP API. Only methods with
 * this decorator can ever be called by a client.
 *
 * Works with and without parentheses: `@eventHandler` or `@eventHandler({ ... })`.
 *
 * @example
 * ```ts
 * @eventHandler({ exposeApi: true, params: z.object({ order_id: z.number().int() }) })
 * async ship({ order_id }: { order_id: number }) { ... }
 * ```
 */
export function eventHandler<const P extends ParamsSchema | undefined = undefined>(
  options?: EventHandlerOptions<P>,
): EventHandlerDecorator<P>;
export function eventHandler<This>(
  value: (this: This, ...args: never[]) => unknown,
  context: ClassMethodDecoratorContext<This>,
): void;
export function eventHandler(
  first?: EventHandlerOptions | ((...args: never[]) => unknown),
  context?: unknown,
): unknown {
  // Used without parentheses: called as the decorator itself (`first` is undefined for fields).
  if (isDecoratorContext(context)) {
    applyHandler({}, standardContext("@eventHandler", context));
    return;
  }
  // Without parentheses under experimentalDecorators: (prototype, key, descriptor).
  if (typeof context === "string" || typeof context === "symbol") {
    standardContext("@eventHandler", context);
  }
  if (typeof first === "function") {
    throw new DecoratorError("@eventHandler takes an options object, not a function");
  }
  const options = first ?? {};
  validateOptions(options);
  const decorator: HandlerMethodDecorator = (_value, ctx) =>
    applyHandler(options, standardContext("@eventHandler", ctx));
  return decorator;
}

/**
 * Requires every listed permission to run the handler, on every transport: an anonymous
 * caller is refused with 401 `unauthenticated`, a user lacking a permission with 403
 * `permission_denied`. Use together with `@eventHandler` (in either order).
 */
export function permissionRequired(
  ...permissions: (string | readonly string[])[]
): HandlerMethodDecorator {
  const flat = permissions.flat();
  if (flat.length === 0) {
    throw new DecoratorError("@permissionRequired needs at least one permission name");
  }
  for (const permission of flat) {
    if (typeof permission !== "string" || permission.trim() === "") {
      throw new DecoratorError("@permissionRequired: permission names must be non-empty strings");
    }
  }
  return (_value, context) => {
    const ctx = standardContext("@permissionRequired", context);
    recordPermissions(ctx, decoratedMethodName("@permissionRequired", ctx), flat);
  };
}

/**
 * Token-bucket limit per (caller, view, handler), shared by the WebSocket and HTTP
 * transports: `rate` tokens per second refill a bucket of `burst` tokens.
 *
 * @example `@rateLimit({ rate: 1, burst: 60 })` — 60 at once, then one per second.
 */
export function rateLimit(rule: RateLimitRule): HandlerMethodDecorator {
  try {
    assertRule(rule, "@rateLimit");
  } catch (error) {
    throw new DecoratorError((error as Error).message);
  }
  const frozen = Object.freeze({ rate: rule.rate, burst: rule.burst });
  return (_value, context) => {
    const ctx = standardContext("@rateLimit", context);
    recordRateLimit(ctx, decoratedMethodName("@rateLimit", ctx), frozen);
  };
}

/**
 * Marks a method `(value, params) => newValue` that checks or transforms parameter `field` of
 * every handler of the view that takes it, after the schema accepted it. Throw
 * `ValidationError(message)` to reject; the message lands in `details[field]`.
 */
export function fieldValidator(field: string): HandlerMethodDecorator {
  if (typeof field !== "string" || field === "") {
    throw new DecoratorError("@fieldValidator needs the name of the parameter it validates");
  }
  return (_value, context) => {
    const ctx = standardContext("@fieldValidator", context);
    recordFieldValidator(ctx, decoratedMethodName("@fieldValidator", ctx), field);
  };
}
