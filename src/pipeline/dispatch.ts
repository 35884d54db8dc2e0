/**
 * The one dispatch pipeline every transport uses (WebSocket, long-poll, HTTP API, test client):
 * handler lookup → permission → rate limit → coercion + validation → field validators → call →
 * change detection. Transports only adapt input and output.
 * @module
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { User } from "../auth/user.js";
import { requirePermissions } from "../auth/user.js";
import {
  DjustError,
  HandlerError,
  NotFound,
  RateLimited,
  SerializationError,
  ValidationError,
  type FieldErrors,
} from "../errors.js";
import type { RateLimitStore } from "../ratelimit/bucket.js";
import { retryAfterSeconds } from "../ratelimit/bucket.js";
import { andThen, isThenable, type MaybePromise } from "../maybe-promise.js";
import { UnserializableStateError } from "../state/codec.js";
import { traced, tracing } from "../telemetry.js";
import type { StateTracker } from "../state/tracker.js";
import { ApiResponse } from "../view/api-response.js";
import { coerceParams } from "../view/coerce.js";
import { fieldValidatorsOf, handlersOf, type HandlerSpec } from "../view/registry.js";
import { runtimeOf, type Transport } from "../view/runtime.js";
import { inputJsonSchema } from "../view/schema.js";
import {
  FieldErrorsBuilder,
  guardInput,
  issuesToFields,
  reviveWireValues,
} from "../view/validate.js";

/** What a transport supplies for one event or API call. */
export interface DispatchContext {
  readonly transport: Transport;
  readonly user: User | null;
  /**
   * Rate-limit caller key (`callerKey`): `user:<id>`, else `ip:<addr>`, else `session:<digest>`
   * when the address is unknown, else `ip:unknown`.
   */
  readonly caller: string;
  /** The view's API slug (part of the rate-limit bucket key). */
  readonly slug: string;
  readonly rateLimits: RateLimitStore;
  /** Tracks the view's state; its baseline must be current before the call. */
  readonly tracker: StateTracker;
  /** Convert string inputs to the schema's types (`dj-value-*`, forms). */
  readonly coerceStrings: boolean;
  /** Refuse handlers without `exposeApi` (the HTTP API). */
  readonly requireExposed?: boolean;
  /** The web request while running over the HTTP API. */
  readonly httpRequest?: Request;
  /** Deepest nesting of client input accepted (`limits.inputDepth`). */
  readonly inputDepth: number;
}

/** The outcome of one dispatch. `changed` lists changed state fields, even after an error. */
export type DispatchOutcome =
  | {
      readonly ok: true;
      readonly handler: HandlerSpec;
      readonly result: unknown;
      readonly changed: string[];
    }
  | { readonly ok: false; readonly error: DjustError; readonly changed: string[] };

/** Finds a callable handler, or throws {@link NotFound}. Only registered handlers qualify. */
export function findHandler(view: object, name: string, requireExposed = false): HandlerSpec {
  const spec = handlersOf(view.constructor as new () => object).get(name);
  const viewName = view.constructor.name;
  if (!spec) throw new NotFound(`${viewName} has no handler "${name}".`);
  if (requireExposed && !spec.exposeApi) {
    throw new NotFound(`${viewName}.${name} is not exposed over the HTTP API.`);
  }
  if (typeof (view as Record<string, unknown>)[spec.method] !== "function") {
    throw new NotFound(`${viewName} has no handler "${name}".`);
  }
  return spec;
}

function parseParams(
  view: object,
  spec: HandlerSpec,
  raw: unknown,
  ctx: DispatchContext,
): MaybePromise<unknown> {
  const input = guardInput(raw, ctx.inputDepth);
  if (spec.params === undefined) return undefined;
  if (spec.params === "any") return input;
  let candidate: Record<string, unknown> = input;
  let coercionErrors: FieldErrors = {};
  if (ctx.coerceStrings) {
    ({ value: candidate, errors: coercionErrors } = coerceParams(
      input,
      inputJsonSchema(spec.params),
    ));
  }
  return validate(view, spec.params, candidate, coercionErrors);
}

/** Runs `schema` on `candidate`, then {@link validated} on its verdict. */
function validate(
  view: object,
  schema: StandardSchemaV1,
  candidate: Record<string, unknown>,
  coercionErrors: FieldErrors,
): MaybePromise<unknown> {
  const outcome = schema["~standard"].validate(candidate);
  if (!isThenable(outcome)) return validated(view, schema, outcome, candidate, coercionErrors);
  return Promise.resolve(outcome).then((result) =>
    validated(view, schema, result, candidate, coercionErrors),
  );
}

/** The schema's verdict, merged with coercion errors, then the `@fieldValidator`s. */
function validated(
  view: object,
  schema: StandardSchemaV1,
  result: StandardSchemaV1.Result<unknown>,
  candidate: Record<string, unknown>,
  coercionErrors: FieldErrors,
): MaybePromise<unknown> {
  if (result.issues) {
    // Dates and bigints arrive in their JSON forms: given again where the schema wants one.
    // Each round turns strings into what no later round turns again, so this ends.
    const revived = reviveWireValues(result.issues, candidate);
    if (revived) return validate(view, schema, revived, coercionErrors);
    // Coercion messages are more precise than the schema's type mismatch for the same field.
    throw new ValidationError({ ...issuesToFields(result.issues, candidate), ...coercionErrors });
  }
  if (Object.keys(coercionErrors).length > 0) throw new ValidationError(coercionErrors);
  const validators = fieldValidatorsOf(view.constructor as new () => object);
  return validators.size === 0 ? result.value : runFieldValidators(view, result.value, validators);
}

async function runFieldValidators(
  view: object,
  parsed: unknown,
  validators: ReadonlyMap<string, readonly string[]>,
): Promise<unknown> {
  if (typeof parsed !== "object" || parsed === null) return parsed;
  const params = parsed as Record<string, unknown>;
  const errors = new FieldErrorsBuilder();
  for (const [field, methods] of validators) {
    if (!Object.hasOwn(params, field)) continue;
    for (const method of methods) {
      try {
        const fn = (view as Record<string, unknown>)[method] as (v: unknown, p: unknown) => unknown;
        params[field] = await fn.call(view, params[field], params);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        for (const [key, messages] of Object.entries(error.fields)) {
          errors.of(key === "__all__" ? field : key).push(...messages);
        }
        break;
      }
    }
  }
  if (errors.size > 0) throw new ValidationError(errors.done());
  return params;
}

/**
 * `error` as a {@link DjustError}: a strict-mode serialization refusal is `serialization_error`,
 * any other foreign error `unexpected(error)`. Transports map failures outside `dispatch`
 * (mount, response encoding) with it too.
 */
export function asDjustError(
  error: unknown,
  unexpected: (error: unknown) => DjustError,
): DjustError {
  if (error instanceof DjustError) return error;
  if (error instanceof UnserializableStateError) {
    return new SerializationError(error.message, error);
  }
  return unexpected(error);
}

function toDjustError(error: unknown, handler: string): DjustError {
  return asDjustError(error, (cause) => new HandlerError(handler, cause));
}

/**
 * Runs handler `name` of `view` with client input `raw`. Never throws for client mistakes or
 * handler failures: the outcome says what happened, and state changes are reported either way.
 * Synchronous all the way through (no promise) unless a step returns a promise: an async
 * permission check or rate-limit store, async validation, an async handler.
 */
export function dispatch(
  view: object,
  name: string,
  raw: unknown,
  ctx: DispatchContext,
): MaybePromise<DispatchOutcome> {
  if (!tracing.event.hasSubscribers) return run(view, name, raw, ctx);
  return traced(
    tracing.event,
    () => ({ view: view.constructor.name, handler: name, transport: ctx.transport }),
    () => run(view, name, raw, ctx),
    (outcome) => (outcome.ok ? "ok" : outcome.error.kind),
  );
}

/** {@link dispatch} without its trace. */
function run(
  view: object,
  name: string,
  raw: unknown,
  ctx: DispatchContext,
): MaybePromise<DispatchOutcome> {
  let spec: HandlerSpec;
  let args: MaybePromise<unknown>;
  try {
    spec = findHandler(view, name, ctx.requireExposed);
    args = admit(view, spec, raw, ctx);
  } catch (error) {
    return refused(error, name);
  }
  if (!isThenable(args)) return invoke(view, spec, args, ctx);
  return Promise.resolve(args).then(
    (parsed) => invoke(view, spec, parsed, ctx),
    (error: unknown) => refused(error, name),
  );
}

/** Permission, then rate limit, then the parsed params: everything before the call. */
function admit(
  view: object,
  spec: HandlerSpec,
  raw: unknown,
  ctx: DispatchContext,
): MaybePromise<unknown> {
  // Most handlers have neither; they take no closures.
  if (spec.permissions.length === 0 && !spec.rateLimit) {
    return parseParams(view, spec, raw, ctx);
  }
  const permitted =
    spec.permissions.length > 0 ? requirePermissions(ctx.user, spec.permissions) : undefined;
  return andThen(permitted, () =>
    andThen(spendToken(spec, ctx), () => parseParams(view, spec, raw, ctx)),
  );
}

function spendToken(spec: HandlerSpec, ctx: DispatchContext): MaybePromise<void> {
  if (!spec.rateLimit) return undefined;
  const key = `${ctx.caller}|${ctx.slug}|${spec.name}`;
  return andThen(ctx.rateLimits.take(key, spec.rateLimit), (decision) => {
    if (!decision.allowed) throw new RateLimited(retryAfterSeconds(decision.retryAfterMs));
  });
}

function refused(error: unknown, name: string): DispatchOutcome {
  return { ok: false, error: toDjustError(error, name), changed: [] };
}

/** Calls the handler with `this.httpRequest` set for its duration, then detects changes. */
function invoke(
  view: object,
  spec: HandlerSpec,
  args: unknown,
  ctx: DispatchContext,
): MaybePromise<DispatchOutcome> {
  const runtime = runtimeOf(view);
  const previousRequest = runtime.httpRequest;
  // Assigning (not deleting) keeps the runtime object's shape stable for V8.
  runtime.httpRequest = ctx.httpRequest;
  let returned: MaybePromise<unknown>;
  try {
    const method = (view as Record<string, unknown>)[spec.method] as (a?: unknown) => unknown;
    returned = spec.params === undefined ? method.call(view) : method.call(view, args);
  } catch (error) {
    runtime.httpRequest = previousRequest;
    return settle(view, spec, ctx, undefined, toDjustError(error, spec.name));
  }
  if (!isThenable(returned)) {
    runtime.httpRequest = previousRequest;
    return settle(view, spec, ctx, returned, undefined);
  }
  return Promise.resolve(returned).then(
    (result) => {
      runtime.httpRequest = previousRequest;
      return settle(view, spec, ctx, result, undefined);
    },
    (error: unknown) => {
      runtime.httpRequest = previousRequest;
      return settle(view, spec, ctx, undefined, toDjustError(error, spec.name));
    },
  );
}

/** The outcome of a call: its result or failure, plus the state fields it changed. */
function settle(
  view: object,
  spec: HandlerSpec,
  ctx: DispatchContext,
  result: unknown,
  failure: DjustError | undefined,
): DispatchOutcome {
  let changed: string[];
  try {
    changed = ctx.tracker.changes(view);
  } catch (error) {
    return refused(error, spec.name);
  }
  if (failure) return { ok: false, error: failure, changed };
  return { ok: true, handler: spec, result, changed };
}

/** Whether a handler's result asks for transport-specific treatment. */
export function isApiResponse(value: unknown): value is ApiResponse {
  return value instanceof ApiResponse;
}
