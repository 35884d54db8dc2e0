/**
 * Server-side sessions: a signed `djust_session` cookie holding a random session id, and a
 * pluggable store (memory by default) holding the data, the user id and the CSRF token.
 * @module
 */
import { randomBytes, randomFillSync } from "node:crypto";
import { andThen, type MaybePromise } from "../maybe-promise.js";
import type { PubSub } from "../pubsub/types.js";
import { sessionDigest } from "./caller.js";
import type { Signer } from "./signing.js";

/** Session data shared by the page, WebSocket and HTTP transports. */
export type SessionData = Record<string, unknown>;

/** Session cookie name. */
export const SESSION_COOKIE = "djust_session";

/** What a session store keeps per session. */
export interface SessionRecord {
  /** App data (`this.session` in views). */
  data: SessionData;
  /** The logged-in user's id (`loadUser` resolves it), or `null`. */
  userId: string | number | null;
  /** The session's CSRF token. */
  csrfToken: string;
}

/** Where session records live. Memory by default; Redis for many nodes. */
export interface SessionStore {
  get(id: string): Promise<SessionRecord | undefined> | SessionRecord | undefined;
  set(id: string, record: SessionRecord, ttlSeconds: number): Promise<void> | void;
  delete(id: string): Promise<void> | void;
}

/**
 * A copy of `record`, so callers cannot change the stored session by mutating what they got.
 * Most API sessions carry no data; skipping `structuredClone` for them is the common fast path.
 */
function copyRecord(record: SessionRecord): SessionRecord {
  let data: SessionData = {};
  for (const _key in record.data) {
    data = structuredClone(record.data);
    break;
  }
  return { data, userId: record.userId, csrfToken: record.csrfToken };
}

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Most sessions held; beyond it expired ones, then the oldest, are dropped. Default 100,000. */
  readonly maxSessions?: number;
}

/** Sessions in this process's memory, expiring after their TTL, at most `maxSessions` of them. */
export class MemorySessionStore implements SessionStore {
  readonly #records = new Map<string, { record: SessionRecord; expiresAt: number }>();
  readonly #maxSessions: number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#maxSessions = options.maxSessions ?? 100_000;
  }

  get(id: string): SessionRecord | undefined {
    const entry = this.#records.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#records.delete(id);
      return undefined;
    }
    return copyRecord(entry.record);
  }

  #writes = 0;

  set(id: string, record: SessionRecord, ttlSeconds: number): void {
    const now = Date.now();
    const records = this.#records;
    // Re-inserted, so the map's order stays the order of last writes (oldest first).
    records.delete(id);
    records.set(id, { record: copyRecord(record), expiresAt: now + ttlSeconds * 1000 });
    // Sessions nobody comes back for are never read again; sweep them now and then so a stream
    // of one-off visitors cannot grow the map without bound.
    const full = records.size > this.#maxSessions;
    if (++this.#writes % 1024 === 0 || full) {
      for (const [key, entry] of records) if (entry.expiresAt <= now) records.delete(key);
    }
    // Still full: the least recently written tenth goes (DESIGN §12: every store is capped).
    if (full && records.size > this.#maxSessions) {
      const target = Math.floor(this.#maxSessions * 0.9);
      for (const key of records.keys()) {
        if (records.size <= target) break;
        records.delete(key);
      }
    }
  }

  /** Number of sessions held (expired ones included until swept). */
  get size(): number {
    return this.#records.size;
  }

  delete(id: string): void {
    this.#records.delete(id);
  }
}

/** A loaded session. */
export interface Session {
  readonly id: string;
  readonly record: SessionRecord;
}

// Random bytes are drawn from the system 4 KiB at a time, as Node's own `randomUUID` does: one
// system call then serves a hundred tokens instead of one (a page needs two, its CSRF token and
// its view id). Each byte is handed out once.
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** A random URL-safe token of `bytes` bytes (cryptographically secure). */
export function randomToken(bytes = 32): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString("base64url");
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const token = pool.toString("base64url", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return token;
}

/**
 * The pub/sub topic on which the end of a session (logout, the rotation of a login) is
 * announced to every node, so that the live connections that joined with it are disconnected
 * wherever they are (Phoenix's `live_socket_id` "disconnect" broadcast).
 */
export const SESSION_ENDED_TOPIC = "djust.session.ended";

/**
 * A message on {@link SESSION_ENDED_TOPIC}: the {@link sessionDigest} of the session that
 * ended, never its id (the pub/sub may be a shared Redis, and an id is a credential).
 */
export interface SessionEnded {
  readonly session: string;
}

/** The session digest a {@link SESSION_ENDED_TOPIC} message names, or `undefined`. */
export function endedSession(message: unknown): string | undefined {
  const session = (message as Partial<SessionEnded> | null)?.session;
  return typeof session === "string" ? session : undefined;
}

/** Options of {@link SessionManager}. */
export interface SessionManagerOptions {
  /** Session lifetime in seconds (two weeks by default, like Django). */
  readonly ttlSeconds?: number;
  /** Where the end of a session is announced ({@link SESSION_ENDED_TOPIC}); none: nowhere. */
  readonly pubsub?: PubSub;
}

/** Creates, loads, saves and rotates sessions for one app. */
export class SessionManager {
  /** Session lifetime in seconds. */
  readonly ttlSeconds: number;
  readonly #pubsub: PubSub | undefined;

  constructor(
    readonly store: SessionStore,
    readonly signer: Signer,
    options: SessionManagerOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 14 * 24 * 3600;
    this.#pubsub = options.pubsub;
  }

  // Verified cookie values → session ids. Verification is deterministic, so a value once found
  // authentic stays authentic; caching skips an HMAC per request for active sessions.
  readonly #verified = new Map<string, string>();

  /**
   * Reads the session named by a signed cookie value; `null` when absent, tampered or expired.
   * Synchronous when the store is (the memory store): an API call with a session cookie then
   * awaits nothing before its body.
   */
  load(signedId: string | undefined): MaybePromise<Session | null> {
    if (!signedId) return null;
    let id = this.#verified.get(signedId) ?? null;
    if (id === null) {
      id = this.signer.unsign("session", signedId);
      if (!id) return null;
      if (this.#verified.size >= 4096) this.#verified.clear();
      this.#verified.set(signedId, id);
    }
    const sessionId = id;
    return andThen(this.store.get(sessionId), (record) =>
      record ? { id: sessionId, record } : null,
    );
  }

  /** Starts a new session (fresh id and CSRF token). */
  async create(userId: string | number | null = null, data: SessionData = {}): Promise<Session> {
    const session = { id: randomToken(), record: { data, userId, csrfToken: randomToken() } };
    await this.save(session);
    return session;
  }

  /** Persists a session's record. */
  async save(session: Session): Promise<void> {
    await this.store.set(session.id, session.record, this.ttlSeconds);
  }

  /**
   * Replaces `session` with a new id and CSRF token, keeping its data, with `userId` as the
   * user (login and logout rotate, so a fixed session id cannot be hijacked).
   */
  async rotate(session: Session | null, userId: string | number | null): Promise<Session> {
    if (session) await this.destroy(session);
    return this.create(userId, session?.record.data ?? {});
  }

  /**
   * Ends a session: its record is deleted, then its end is announced, so that a live connection
   * told of it and reconnecting at once can no longer load it. A pub/sub failure rejects (the
   * record is gone either way): connections that joined with the session may not have been told.
   */
  async destroy(session: Session): Promise<void> {
    await this.store.delete(session.id);
    const ended: SessionEnded = { session: sessionDigest(session.id) };
    await this.#pubsub?.publish(SESSION_ENDED_TOPIC, ended);
  }

  /** The signed cookie value for a session. */
  cookieValue(session: Session): string {
    return this.signer.sign("session", session.id);
  }
}
