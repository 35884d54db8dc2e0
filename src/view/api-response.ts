/**
 * `apiResponse()`: transport-conditional handler returns (seed 004).
 * @module
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { SerializeError } from "../errors.js";

/** How to turn a handler's result into what the client receives. */
export type ResultSerializer<T> = ((result: T) => unknown) | StandardSchemaV1<T, unknown>;

/** Options of {@link apiResponse}. */
export interface ApiResponseOptions<T> {
  /** The value of the envelope's `result` (the event reply over WebSocket). */
  readonly result: T;
  /** Runs on `result` first: a function, or a Standard Schema whose output is sent. */
  readonly serialize?: ResultSerializer<T>;
  /** HTTP status override (e.g. 201). Ignored over WebSocket. */
  readonly status?: number;
}

/** A wrapped handler result; see {@link apiResponse}. */
export class ApiResponse<T = unknown> {
  readonly result: T;
  readonly serialize?: ResultSerializer<T>;
  readonly status?: number;
  constructor(options: ApiResponseOptions<T>) {
    if (
      options.status !== undefined &&
      !(Number.isInteger(options.status) && options.status >= 200 && options.status <= 599)
    ) {
      throw new RangeError(
        `apiResponse: status must be an HTTP status code (200-599), got ${options.status}`,
      );
    }
    this.result = options.result;
    if (options.serialize !== undefined) this.serialize = options.serialize;
    if (options.status !== undefined) this.status = options.status;
  }
}

/**
 * Wraps a handler's return value: `result` becomes the envelope's `result`, `serialize` runs on
 * it first, `status` overrides the HTTP status, and `assigns` is `{}` (state is not diffed).
 */
export function apiResponse<T>(options: ApiResponseOptions<T>): ApiResponse<T> {
  return new ApiResponse(options);
}

/**
 * Applies the response's serializer. A failing serializer is a 500 `serialize_error` whose
 * message says nothing of the exception (DESIGN §12); the exception is its `cause`, logged and
 * shown as the traceback in debug mode.
 */
export async function serializeResult<T>(response: ApiResponse<T>): Promise<unknown> {
  const { serialize, result } = response;
  if (!serialize) return result;
  try {
    if (typeof serialize === "function") return await serialize(result);
    const outcome = await serialize["~standard"].validate(result);
    if (outcome.issues) {
      const first = outcome.issues[0];
      throw new Error(first ? first.message : "result does not match the schema");
    }
    return outcome.value;
  } catch (error) {
    throw new SerializeError("Could not serialize the result.", error);
  }
}
