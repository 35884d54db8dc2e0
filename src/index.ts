/**
 * `djust`: views, handler decorators, state types and errors.
 * @module
 */
import "./polyfill.js";

export { LiveView, type LiveViewClass } from "./view/live-view.js";
export {
  LiveComponent,
  liveComponent,
  type ComponentId,
  type LiveComponentClass,
} from "./view/live-component.js";
export type { ComponentRef } from "./render/tree.js";
export { asyncLoading, type AsyncResult } from "./view/async-result.js";
export {
  uploadErrors,
  UploadConfig,
  type AllowUploadOptions,
  type ExternalUploadMeta,
  type UploadedFile,
  type UploadEntry,
  type UploadErrorKind,
} from "./view/upload-config.js";
export { liveFileInput, liveImgPreview, type HtmlAttributes } from "./view/upload-html.js";
export { liveRender, type LiveRenderOptions } from "./view/live-render.js";
export { presenceList } from "./view/presence.js";
export type { PresenceDiff, PresenceList, PresenceMeta } from "./presence/types.js";
export type { AuthClassEntry } from "./auth/classes.js";
export {
  eventHandler,
  permissionRequired,
  rateLimit,
  fieldValidator,
  type EventHandlerOptions,
  type HandlerMethodDecorator,
} from "./view/decorators.js";
export {
  handlersOf,
  fieldValidatorsOf,
  type HandlerSpec,
  type ParamsSchema,
} from "./view/registry.js";
export type { AsyncOutcome, LiveRequest, Params, Transport } from "./view/runtime.js";
export type { SessionData } from "./auth/session.js";
export {
  ERROR_STATUS,
  DjustError,
  ValidationError,
  PermissionDenied,
  Unauthenticated,
  NotFound,
  RateLimited,
  HandlerError,
  CsrfFailed,
  InvalidJson,
  PayloadTooLarge,
  UnsupportedMediaType,
  MethodNotAllowed,
  MountFailed,
  SerializeError,
  SerializationError,
  UnknownStream,
  ServiceUnavailable,
  DecoratorError,
  type ErrorKind,
  type ErrorDetails,
  type FieldErrors,
} from "./errors.js";
export { hasPermission, isAuthenticated, type User } from "./auth/user.js";
export { registerType, type TypeCodec } from "./state/types.js";
export type {
  Serializable,
  SerializableScalar,
  SerializableTypes,
  JSONConvertible,
  JsonValue,
  JsonObject,
} from "./state/serializable.js";
export { toWire, toSnapshot, fromSnapshot, type SerializationPolicy } from "./state/codec.js";
export { UUID, isUUID } from "./state/uuid.js";
export { html, keyed, trustRendered } from "./template/html.js";
export { SafeString, markSafe, escapeHtml } from "./template/safe.js";
export { registerFilter, type FilterOptions, type FilterSpec } from "./template/filters.js";
export { registerTag, type TagSpec } from "./template/custom-tags.js";
export type { FragmentCacheOptions } from "./template/fragment-cache.js";
export { emptyForm, form, type FormOptions, type FormState } from "./live/forms.js";
export type { Rendered, RenderContext, RowEdits, Template } from "./render/tree.js";
export {
  LiveStream,
  type StreamConfig,
  type StreamInsertOptions,
  type StreamOptions,
} from "./view/streams.js";
export {
  apiResponse,
  ApiResponse,
  type ApiResponseOptions,
  type ResultSerializer,
} from "./view/api-response.js";
export { slugFromClassName } from "./view/slug.js";
export type { Logger, LogMeta } from "./logger.js";
export type { RateLimitRule } from "./ratelimit/bucket.js";
