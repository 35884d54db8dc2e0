/**
 * What the framework needs from a handler's params schema: validation (Standard Schema) and
 * its input JSON Schema (Standard JSON Schema, or zod's converter), for string coercion and
 * OpenAPI.
 * @module
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { z } from "zod";

/** A JSON Schema object (draft 2020-12). */
export type JsonSchema = { [key: string]: unknown };

const cache = new WeakMap<object, JsonSchema | null>();

interface JsonSchemaConverter {
  input(options: { target: string }): Record<string, unknown>;
}

/**
 * The input JSON Schema of `schema` (draft 2020-12), or `null` when the library cannot produce
 * one. Computed once per schema.
 */
export function inputJsonSchema(schema: StandardSchemaV1): JsonSchema | null {
  if (cache.has(schema)) return cache.get(schema) ?? null;
  let result: JsonSchema | null = null;
  const converter = (schema["~standard"] as { jsonSchema?: JsonSchemaConverter }).jsonSchema;
  try {
    if (schema["~standard"].vendor === "zod") {
      // zod's own converter, not its Standard JSON Schema one, which takes no options: a field
      // with no JSON form (`z.date()`, `z.bigint()`) is any value here rather than the end of
      // the whole schema (no field of a form holding a date would be coerced, its numbers
      // refused as strings). Validation revives dates and bigints from their JSON forms.
      result = z.toJSONSchema(schema as z.ZodType, {
        target: "draft-2020-12",
        io: "input",
        unrepresentable: "any",
      });
    } else if (converter) {
      result = converter.input({ target: "draft-2020-12" });
    }
  } catch {
    result = null;
  }
  if (result) {
    const { $schema: _ignored, ...rest } = result;
    result = rest;
  }
  cache.set(schema, result);
  return result;
}
