/**
 * UUIDs are plain strings in state (seed 000's `uuid.UUID` row); this helper validates them.
 * @module
 */
import { z } from "zod";

/** A params schema for a UUID string (any RFC 9562 version), e.g. `z.object({ id: UUID })`. */
export const UUID = z.uuid();

/** Whether `value` is a UUID string. */
export function isUUID(value: unknown): value is string {
  return UUID.safeParse(value).success;
}
