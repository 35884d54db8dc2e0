/**
 * The upload messages of a view topic (Phoenix's `Upload`): the `allow_upload` preflight, which
 * checks the listed entries and answers each valid one with a signed token for its `lvu:`
 * channel (or, for an `external` upload, the presigned metadata for the client's uploader), and
 * the `progress` reports the client sends as chunks are acknowledged.
 * @module
 */
import { errorText } from "../logger.js";
import {
  readClientEntry,
  type ClientEntry,
  type UploadConfig,
  type UploadErrorKind,
} from "../view/upload-config.js";
import type { LiveInstance, StepResult } from "./instance.js";
import { isRecord } from "./params.js";
import { chunkSizeFor, signUploadToken, type UploadHost } from "./upload-channel.js";

/** A reply to an upload message: its status and response, and the render it caused. */
export interface UploadReply {
  readonly status: "ok" | "error";
  readonly response: Record<string, unknown>;
  readonly step: StepResult | null;
  /** Nothing changed (an unknown entry, a repeated percentage): it costs a rate-limit token. */
  readonly idle?: boolean;
}

function refusal(message: string): UploadReply {
  return { status: "error", response: { error: "not_found", message }, step: null };
}

/**
 * Answers `allow_upload` `{ ref, entries: [{ ref, name, size, type, last_modified }] }`.
 * Entries are checked (`too_large`, `not_accepted`, `too_many_files`); a valid one gets a token
 * bound to this view and entry. Invalid entries stay listed with their errors for the page.
 * `carriesChunks` is whether the connection's transport delivers an upload channel's binary
 * chunks: when not, every entry of a channel upload fails with `websocket_required`.
 */
export async function preflight(
  host: UploadHost,
  instance: LiveInstance,
  payload: unknown,
  carriesChunks: boolean,
): Promise<UploadReply> {
  if (!isRecord(payload) || !Array.isArray(payload.entries)) {
    return refusal("Malformed upload preflight.");
  }
  const config = instance.uploadByRef(typeof payload.ref === "string" ? payload.ref : "");
  if (!config) return refusal("Unknown upload.");
  const listed: ClientEntry[] = [];
  for (const raw of payload.entries as unknown[]) {
    const entry = readClientEntry(raw);
    if (!entry) return refusal("Malformed upload entry.");
    listed.push(entry);
  }
  const { value, step } = await instance.withUploads(async (uploads, view) => {
    if (uploads) uploads.changed = true;
    if (!config.putEntries(listed)) return errorReply(config, [[config.ref, "too_many_files"]]);
    if (!config.isExternal && !carriesChunks) {
      // Refused before any token is signed or temp file opened: the bytes could never arrive.
      for (const entry of listed) config.fail(entry.ref, "websocket_required");
      return errorReply(config, pairs(config));
    }
    const problems = pairs(config);
    if (!config.autoUpload && problems.length > 0) return errorReply(config, problems);
    const ready = config.preflight(listed.map((entry) => entry.ref));
    const entries: Record<string, unknown> = {};
    const errors: Record<string, unknown> = {};
    for (const entry of ready) {
      if (!config.isExternal) {
        entries[entry.ref] = signUploadToken(host.uploadTokens, {
          view: instance.id,
          upload: config.ref,
          entry: entry.ref,
        });
        continue;
      }
      try {
        entries[entry.ref] = await config.sign(entry, view);
      } catch (error) {
        host.env.logger.error(`${instance.route.view.name}: signing an external upload failed`, {
          view: instance.route.view.name,
          upload: config.name,
          error: errorText(error),
        });
        config.fail(entry.ref, "external_client_failure");
        if (!config.autoUpload) return errorReply(config, [[entry.ref, "external_client_failure"]]);
        errors[entry.ref] = ["external_client_failure"];
      }
    }
    for (const entry of config.entries) {
      if (listed.some((l) => l.ref === entry.ref) && !entry.valid) errors[entry.ref] = entry.errors;
    }
    return {
      status: "ok" as const,
      response: {
        ref: config.ref,
        config: {
          max_file_size: config.maxFileSize,
          max_entries: config.maxEntries,
          chunk_size: chunkSizeFor(config, host.limits.frameBytes),
          chunk_timeout: config.chunkTimeout,
        },
        entries,
        errors,
      },
    };
  });
  return { ...value, step };
}

function errorReply(
  config: UploadConfig,
  errors: [string, UploadErrorKind][],
): { status: "ok"; response: Record<string, unknown> } {
  return { status: "ok", response: { ref: config.ref, error: errors } };
}

/** Every error of `config` as `[ref, kind]` pairs (the upload's own under its ref). */
function pairs(config: UploadConfig): [string, UploadErrorKind][] {
  const out: [string, UploadErrorKind][] = config.errors.map((kind) => [config.ref, kind]);
  for (const entry of config.entries) for (const kind of entry.errors) out.push([entry.ref, kind]);
  return out;
}

/**
 * Applies `progress` `{ ref, entry_ref, progress }`: a percentage (capped by the bytes that
 * actually arrived), or `{ error }` from the client's uploader (an external upload's failure).
 */
export async function progress(instance: LiveInstance, payload: unknown): Promise<UploadReply> {
  if (!isRecord(payload) || typeof payload.entry_ref !== "string") {
    return refusal("Malformed upload progress.");
  }
  const config = instance.uploadByRef(typeof payload.ref === "string" ? payload.ref : "");
  if (!config) return refusal("Unknown upload.");
  const ref = payload.entry_ref;
  const reported = payload.progress;
  const { value, step } = await instance.withUploads((uploads) => {
    let changed = false;
    if (typeof reported === "number" && Number.isFinite(reported)) {
      changed = config.progress(ref, reported);
    } else if (isRecord(reported) && typeof reported.error === "string") {
      // A channel upload's failure is the server's own record; the client's word counts only
      // for uploads the server never sees.
      if (config.isExternal && config.entry(ref)) {
        config.fail(ref, "external_client_failure");
        changed = true;
      }
    }
    if (changed && uploads) uploads.changed = true;
    return changed;
  });
  return { status: "ok", response: {}, step, idle: !value };
}
