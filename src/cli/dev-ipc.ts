/**
 * What `djust dev` and the process running the app say to each other over the IPC channel:
 * the runner's readiness and errors, the parent's shutdown request, and the stores the parent
 * keeps for the runner (view snapshots and sessions, which must outlive a restart).
 * @module
 */
import type { SessionRecord, SessionStore } from "../auth/session.js";
import type { DevStores } from "../server/adapters.js";
import type { StateBackend, StoredPatch, StoredView } from "../state/backends/types.js";

/** An error shown in the browser's overlay. */
export interface DevError {
  /** What failed: "Template syntax error", "Error in handler increment", … */
  readonly title: string;
  /** The error message (a template error's ends with the line and a caret). */
  readonly message: string;
  /** The template name or the source file (relative to the app's directory), when known. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** The stack, when the error is not a template's. */
  readonly stack?: string;
}

type StoreName = "state" | "session";
/** `patch` and `touch` are the state store's (the channel's structured clone keeps a patch's maps). */
type StoreOp = "get" | "set" | "delete" | "patch" | "touch";

/** Runner → parent. */
export type RunnerMessage =
  | { readonly kind: "ready"; readonly port: number }
  | { readonly kind: "failed"; readonly error: DevError }
  | { readonly kind: "error"; readonly error: DevError }
  | {
      readonly kind: "store";
      readonly id: number;
      readonly store: StoreName;
      readonly op: StoreOp;
      readonly key: string;
      readonly value?: unknown;
      readonly ttlSeconds?: number;
    };

/** Parent → runner. */
export type ParentMessage =
  | { readonly kind: "shutdown" }
  | {
      readonly kind: "store-reply";
      readonly id: number;
      readonly value?: unknown;
      /** The parent's store failed: the runner's call rejects with this message. */
      readonly error?: string;
    };

/** What sends and receives messages: the runner's `process` or the parent's `ChildProcess`. */
interface Channel {
  send?(message: unknown): boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
}

/**
 * The runner's stores: each call asks the parent and waits for its reply, so a snapshot written
 * while the app shuts down has reached the parent before the process exits.
 */
export function storesOverIpc(channel: Channel): DevStores {
  let next = 0;
  const pending = new Map<number, { resolve(value: unknown): void; reject(e: Error): void }>();
  channel.on("message", (message) => {
    const m = message as ParentMessage;
    if (m.kind !== "store-reply") return;
    const call = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined)
      call?.reject(new Error(`djust dev: the dev server's store failed: ${m.error}`));
    else call?.resolve(m.value);
  });
  const ask = (store: StoreName, op: StoreOp, key: string, value?: unknown, ttlSeconds?: number) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      const request: RunnerMessage = { kind: "store", id, store, op, key, value, ttlSeconds };
      if (!channel.send?.(request)) {
        pending.delete(id);
        reject(new Error("djust dev: the dev server is gone"));
      }
    });
  const stateBackend: StateBackend = {
    get: async (key) => (await ask("state", "get", key)) as StoredView | null,
    set: async (key, value, ttl) => void (await ask("state", "set", key, value, ttl)),
    delete: async (key) => void (await ask("state", "delete", key)),
    // Incremental writes, as the app's own backend makes them: a dev server stores what a
    // deployed one does.
    patch: async (key, patch, ttl) => (await ask("state", "patch", key, patch, ttl)) === true,
    touch: async (key, ttl) => (await ask("state", "touch", key, undefined, ttl)) === true,
  };
  const sessionStore: SessionStore = {
    get: async (key) => (await ask("session", "get", key)) as SessionRecord | undefined,
    set: async (key, value, ttl) => void (await ask("session", "set", key, value, ttl)),
    delete: async (key) => void (await ask("session", "delete", key)),
  };
  return { stateBackend, sessionStore };
}

/** Answers a runner's store request from the parent's `stores`. */
export async function answerStore(
  stores: DevStores,
  request: Extract<RunnerMessage, { kind: "store" }>,
): Promise<ParentMessage> {
  const { id } = request;
  try {
    return { kind: "store-reply", id, value: await answer(stores, request) };
  } catch (error) {
    // Replied all the same: the runner's call would otherwise wait forever (and the parent
    // would die of an unhandled rejection).
    return {
      kind: "store-reply",
      id,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

async function answer(
  stores: DevStores,
  request: Extract<RunnerMessage, { kind: "store" }>,
): Promise<unknown> {
  const { store, op, key } = request;
  const ttl = request.ttlSeconds ?? 0;
  let value: unknown;
  if (store === "state") {
    const backend = stores.stateBackend;
    if (op === "get") value = await backend.get(key);
    else if (op === "set") await backend.set(key, request.value as StoredView, ttl);
    // A store that cannot patch or touch answers "no record": the runner then writes it whole.
    else if (op === "patch")
      value = (await backend.patch?.(key, request.value as StoredPatch, ttl)) ?? false;
    else if (op === "touch") value = (await backend.touch?.(key, ttl)) ?? false;
    else await backend.delete(key);
  } else {
    const sessions = stores.sessionStore;
    if (op === "get") value = await sessions.get(key);
    else if (op === "set") await sessions.set(key, request.value as SessionRecord, ttl);
    else if (op === "delete") await sessions.delete(key);
  }
  return value;
}
