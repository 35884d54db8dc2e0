/**
 * The OpenAPI 3.1 document of the HTTP API, generated live from the handler registry: one
 * `POST` per exposed handler, bodies from the params schemas' *input* JSON Schema, the 200
 * envelope with the declared result schema, shared error responses, and security from each
 * view's auth classes.
 * @module
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { z } from "zod";
import {
  authClassesOf,
  CSRF_SCHEME,
  isCsrfExemptAuth,
  securitySchemesOf,
  type SecuritySchemeObject,
} from "../auth/classes.js";
import { viewPermissions } from "../auth/user.js";
import { ERROR_STATUS, type ErrorKind } from "../errors.js";
import type { AuthClassEntry } from "../auth/classes.js";
import { handlersOf, type HandlerSpec, type ParamsSchema } from "../view/registry.js";
import { BIGINT_PATTERN } from "../view/validate.js";
import type { ApiHost } from "./host.js";

/** A JSON value as it appears in the document. */
export type OpenApiValue =
  string | number | boolean | null | OpenApiValue[] | { [key: string]: OpenApiValue };

/** A JSON Schema / OpenAPI object node. */
export type OpenApiObject = { [key: string]: OpenApiValue };

/** The generated document (plain JSON). */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description?: string };
  servers: { url: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, { post: OpenApiObject }>;
  components: {
    schemas: Record<string, OpenApiObject>;
    responses: Record<string, OpenApiObject>;
    securitySchemes: Record<string, OpenApiObject>;
  };
}

/** A view as the generator needs it: its class and its slug. */
export interface OpenApiView {
  readonly slug: string;
  readonly view: {
    readonly name: string;
    readonly apiAuthClasses?: readonly AuthClassEntry[];
    readonly csrfExempt?: boolean;
    readonly loginRequired?: boolean;
    readonly permissionRequired?: string | readonly string[];
  };
}

/** Options of {@link generateOpenApi}. */
export interface OpenApiOptions {
  /** `info.title`; default `"djust API"`. */
  readonly title?: string;
  /** `info.version`; default `"1.0.0"`. */
  readonly version?: string;
  /** `info.description`. */
  readonly description?: string;
  /** The API prefix (`/djust/api/`): becomes the server URL; paths are `/<slug>/<handler>/`. */
  readonly prefix: string;
}

/** Every error kind the API can answer with, for the `Error` schema's enum. */
export const ERROR_KINDS = Object.keys(ERROR_STATUS) as readonly ErrorKind[];

/** The error responses of every operation: component name and what they mean, by status. */
const ERROR_RESPONSES: Readonly<Record<number, [string, string]>> = {
  400: ["BadRequest", "Invalid JSON body or parameters"],
  401: ["Unauthenticated", "No valid session or token"],
  403: ["Forbidden", "Missing permission or failed CSRF check"],
  404: ["NotFound", "Unknown view or handler, or not exposed"],
  413: ["PayloadTooLarge", "The body exceeds the size limit"],
  415: ["UnsupportedMediaType", "A non-empty body that is not JSON"],
  429: ["RateLimited", "The handler's rate limit is exhausted"],
  500: ["ServerError", "The handler or mount failed"],
  503: ["ServiceUnavailable", "A shared store (Redis) did not answer in time; retry later"],
};

/** `text (`kind`, `kind`).` with the kinds {@link ERROR_STATUS} maps to `status`. */
function withKinds(status: number, text: string): string {
  const kinds = ERROR_KINDS.filter((kind) => ERROR_STATUS[kind] === status);
  return `${text} (${kinds.map((kind) => `\`${kind}\``).join(", ")}).`;
}

function errorSchema(): OpenApiObject {
  return {
    type: "object",
    description: "Every error response: a stable kind, a human-readable message, optional details.",
    properties: {
      error: { type: "string", enum: [...ERROR_KINDS] },
      message: { type: "string" },
      details: {
        type: "object",
        description:
          'For `validation_error`: messages by dotted field path (`{"order_id": ["This field is required."]}`; `__all__` for the whole body). For `handler_error` in debug mode: `traceback`.',
        additionalProperties: true,
      },
    },
    required: ["error", "message"],
  };
}

function errorResponses(): Record<string, OpenApiObject> {
  const out: Record<string, OpenApiObject> = {};
  for (const [status, [name, text]] of Object.entries(ERROR_RESPONSES)) {
    const response: OpenApiObject = {
      description: withKinds(Number(status), text),
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
    if (status === "429" || status === "503") {
      response.headers = {
        "Retry-After": {
          description:
            status === "429"
              ? "Seconds until the bucket holds a token again (at least 1)."
              : "Seconds after which a retry makes sense.",
          schema: { type: "integer", minimum: 1 },
        },
      };
    }
    out[name] = response;
  }
  return out;
}

// Dates and other values zod cannot describe travel as their wire JSON (ISO strings etc.), in
// results and in bodies alike: a param's JSON form is revived (`reviveWireValues`).
function dateOverride(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const def = (ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def;
  if (def?.type === "date") {
    ctx.jsonSchema.type = "string";
    ctx.jsonSchema.format = "date-time";
  } else if (def?.type === "bigint") {
    ctx.jsonSchema.type = "string";
    ctx.jsonSchema.pattern = BIGINT_PATTERN;
  }
}

interface JsonSchemaConverter {
  input?(options: { target: string }): Record<string, unknown>;
  output?(options: { target: string }): Record<string, unknown>;
}

/**
 * The JSON Schema (draft 2020-12) of a Standard Schema for `io` (`input` for request bodies,
 * `output` for results), or `null` when its library cannot describe it.
 */
export function jsonSchemaOf(
  schema: StandardSchemaV1,
  io: "input" | "output",
): OpenApiObject | null {
  let result: Record<string, unknown> | null = null;
  try {
    if (schema["~standard"].vendor === "zod") {
      result = z.toJSONSchema(schema as unknown as z.ZodType, {
        target: "draft-2020-12",
        io,
        unrepresentable: "any",
        override: dateOverride,
      }) as Record<string, unknown>;
    } else {
      const converter = (schema["~standard"] as { jsonSchema?: JsonSchemaConverter }).jsonSchema;
      const convert = converter?.[io];
      if (convert) result = convert.call(converter, { target: "draft-2020-12" });
    }
  } catch {
    result = null;
  }
  if (!result) return null;
  const { $schema: _dialect, ...rest } = result;
  return structuredClone(rest) as OpenApiObject;
}

function isObject(value: unknown): value is OpenApiObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Rewrites `$ref`s and nullable unions in place, depth first. */
function rewrite(node: OpenApiValue, refs: (ref: string) => string): void {
  if (Array.isArray(node)) {
    for (const item of node) rewrite(item, refs);
    return;
  }
  if (!isObject(node)) return;
  for (const value of Object.values(node)) rewrite(value, refs);
  if (typeof node.$ref === "string") node.$ref = refs(node.$ref);
  collapseNullable(node);
}

/**
 * `anyOf: [{ type: "string", ... }, { type: "null" }]` → `type: ["string", "null"]`: the 3.1
 * spelling of nullable, which generated clients and readers handle best.
 */
function collapseNullable(node: OpenApiObject): void {
  const anyOf = node.anyOf;
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return;
  const nullIndex = anyOf.findIndex(
    (s) => isObject(s) && s.type === "null" && Object.keys(s).length === 1,
  );
  if (nullIndex < 0) return;
  const other = anyOf[1 - nullIndex];
  if (!isObject(other) || typeof other.type !== "string" || "const" in other) return;
  if (["$ref", "anyOf", "oneOf", "allOf"].some((k) => k in other)) return;
  if (Object.keys(node).some((k) => k !== "anyOf" && k in other)) return;
  delete node.anyOf;
  Object.assign(node, other, { type: [other.type, "null"] });
  if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
}

/**
 * Puts `schema` into `components.schemas` as `name`, or `name_2`, `name_3`… when that is taken
 * (an operation's body, result or envelope is its own, never another's; the document's order
 * makes the names the same on every run), hoisting its `$defs` into components too (a
 * `#/$defs/...` pointer would resolve against the document root once embedded). Same-named
 * definitions with different content get a numeric suffix; equal ones are shared.
 * @returns the component's `$ref`.
 */
function addComponent(
  schemas: Record<string, OpenApiObject>,
  wanted: string,
  schema: OpenApiObject,
): string {
  let name = wanted;
  for (let i = 2; Object.hasOwn(schemas, name); i++) name = `${wanted}_${i}`;
  const { $defs, ...body } = schema;
  // Taken before the definitions are named, so none of them takes it.
  schemas[name] = body;
  const renames = new Map<string, string>();
  if (isObject($defs)) {
    for (const [defName, def] of Object.entries($defs)) {
      const base = defName.replace(/[^A-Za-z0-9._-]/g, "_");
      let candidate = base;
      for (
        let i = 2;
        Object.hasOwn(schemas, candidate) && !sameJson(schemas[candidate], def);
        i++
      ) {
        candidate = `${base}_${i}`;
      }
      renames.set(defName, candidate);
    }
  }
  const refs = (ref: string): string => {
    if (ref === "#") return `#/components/schemas/${name}`;
    const match = /^#\/\$defs\/([^/]+)(.*)$/.exec(ref);
    if (!match) return ref;
    const target = renames.get(decodeURIComponent(match[1] as string)) ?? match[1];
    return `#/components/schemas/${target}${match[2] ?? ""}`;
  };
  if (isObject($defs)) {
    for (const [defName, def] of Object.entries($defs)) {
      if (!isObject(def)) continue;
      const copy = structuredClone(def);
      rewrite(copy, refs);
      schemas[renames.get(defName) as string] = copy;
    }
  }
  rewrite(body, refs);
  return `#/components/schemas/${name}`;
}

/** The wanted name of an operation's component: its (unique) operationId and what it is. */
function componentName(operationId: string, suffix: "body" | "result" | "response"): string {
  return `${operationId}_${suffix}`.replace(/[^A-Za-z0-9._-]/g, "_");
}

function requestBodySchema(params: ParamsSchema | undefined): OpenApiObject {
  if (params === undefined) {
    return { type: "object", description: "This handler takes no parameters.", properties: {} };
  }
  if (params === "any") return { type: "object", additionalProperties: true };
  return jsonSchemaOf(params, "input") ?? { type: "object", additionalProperties: true };
}

function hasRequiredFields(schema: OpenApiObject): boolean {
  return Array.isArray(schema.required) && schema.required.length > 0;
}

type SecurityRequirement = Record<string, string[]>;

function securityOf(
  view: OpenApiView["view"],
  schemes: Record<string, OpenApiObject>,
): SecurityRequirement[] {
  const alternatives: SecurityRequirement[] = [];
  for (const auth of authClassesOf(view)) {
    const declared = securitySchemesOf(auth);
    if (declared === undefined) continue; // undocumented custom auth: nothing to say
    const exempt = view.csrfExempt === true || isCsrfExemptAuth(auth);
    const requirement: SecurityRequirement = {};
    for (const [name, scheme] of Object.entries(declared)) {
      if (exempt && name === CSRF_SCHEME) continue;
      const existing = schemes[name];
      if (existing && !sameJson(existing, scheme)) {
        throw new Error(
          `OpenAPI: two auth classes define security scheme "${name}" differently; give one another name`,
        );
      }
      schemes[name] = structuredClone(scheme as SecuritySchemeObject) as OpenApiObject;
      requirement[name] = [];
    }
    if (!alternatives.some((a) => sameJson(a, requirement))) alternatives.push(requirement);
  }
  return alternatives;
}

function operationFor(
  slug: string,
  handler: HandlerSpec,
  view: OpenApiView["view"],
  doc: OpenApiDocument,
  operationId: string,
): OpenApiObject {
  const { schemas, securitySchemes } = doc.components;
  const body = requestBodySchema(handler.params);
  const bodyRef = addComponent(schemas, componentName(operationId, "body"), body);
  const declared = handler.result ? jsonSchemaOf(handler.result, "output") : null;
  const resultRef: OpenApiObject = declared
    ? { $ref: addComponent(schemas, componentName(operationId, "result"), declared) }
    : { description: "The handler's return value (wire JSON), or null." };
  const envelope: OpenApiObject = {
    type: "object",
    properties: {
      result: resultRef,
      assigns: {
        type: "object",
        description: "The view's public state fields that changed during the call (wire JSON).",
        additionalProperties: true,
      },
    },
    required: ["result", "assigns"],
  };
  const envelopeRef = addComponent(schemas, componentName(operationId, "response"), envelope);
  const responses: OpenApiObject = {
    "200": {
      description: "The handler ran.",
      content: { "application/json": { schema: { $ref: envelopeRef } } },
    },
  };
  for (const [status, [name]] of Object.entries(ERROR_RESPONSES)) {
    responses[status] = { $ref: `#/components/responses/${name}` };
  }
  const operation: OpenApiObject = {
    operationId,
    tags: [slug],
    summary: `${view.name}.${handler.name}`,
    requestBody: {
      required: hasRequiredFields(body),
      content: { "application/json": { schema: { $ref: bodyRef } } },
    },
    responses,
  };
  if (handler.description) operation.description = handler.description;
  if (handler.deprecated) operation.deprecated = true;
  const security = securityOf(view, securitySchemes);
  if (security.length > 0) operation.security = security;
  const permissions = [...viewPermissions(view), ...handler.permissions];
  if (permissions.length > 0) operation["x-djust-permissions"] = [...new Set(permissions)];
  if (handler.rateLimit) {
    operation["x-djust-rate-limit"] = {
      rate: handler.rateLimit.rate,
      burst: handler.rateLimit.burst,
    };
  }
  return operation;
}

/** The API prefix as a server URL (`/djust/api/` → `/djust/api`). */
export function serverUrl(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/**
 * Builds the OpenAPI 3.1 document for `views` (each view once; handlers without `exposeApi`
 * are left out).
 */
export function generateOpenApi(
  views: Iterable<OpenApiView>,
  options: OpenApiOptions,
): OpenApiDocument {
  const doc: OpenApiDocument = {
    openapi: "3.1.0",
    info: {
      title: options.title ?? "djust API",
      version: options.version ?? "1.0.0",
      ...(options.description !== undefined && { description: options.description }),
    },
    servers: [{ url: serverUrl(options.prefix) }],
    tags: [],
    paths: {},
    components: {
      schemas: { Error: errorSchema() },
      responses: errorResponses(),
      securitySchemes: {},
    },
  };
  const operationIds = new Set<string>();
  const sorted = [...views].sort((a, b) => a.slug.localeCompare(b.slug));
  for (const { slug, view } of sorted) {
    const exposed = [...handlersOf(view as unknown as new () => object).values()]
      .filter((h) => h.exposeApi)
      .sort((a, b) => a.name.localeCompare(b.name));
    if (exposed.length === 0) continue;
    doc.tags.push({ name: slug, description: `Handlers of ${view.name}.` });
    for (const handler of exposed) {
      let operationId = `${slug}_${handler.name}`;
      for (let i = 2; operationIds.has(operationId); i++)
        operationId = `${slug}_${handler.name}_${i}`;
      operationIds.add(operationId);
      doc.paths[`/${slug}/${handler.name}/`] = {
        post: operationFor(slug, handler, view, doc, operationId),
      };
    }
  }
  return doc;
}

/** The OpenAPI document of the views an {@link ApiHost} serves. */
export function apiDocument(host: ApiHost): OpenApiDocument {
  const views = [...host.views()].map(({ slug, view }) => ({ slug, view }));
  return generateOpenApi(views, { ...host.openapi, prefix: host.prefix });
}
