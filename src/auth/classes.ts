/**
 * Auth classes: who is calling. The HTTP API tries a view's `apiAuthClasses` in order; the
 * first that returns a user wins, and its `csrfExempt` flag decides whether CSRF is checked.
 * @module
 */
import type { User } from "./user.js";
import { isAuthenticated } from "./user.js";
import type { Session } from "./session.js";

/** An auth class (instantiated once, without arguments) or auth instance. */
export type AuthClassEntry = object | (new () => object);

/**
 * An OpenAPI 3.1 security scheme object (`components.securitySchemes.<name>`), e.g.
 * `{ type: "http", scheme: "bearer" }` or `{ type: "apiKey", in: "header", name: "X-API-Key" }`.
 */
export type SecuritySchemeObject = Readonly<Record<string, unknown>> & { readonly type: string };

/** What the framework hands an auth class besides the request. */
export interface AuthContext {
  /** The session named by the request's `djust_session` cookie, or `null`. */
  readonly session: Session | null;
  /** The caller's IP address (see `trustedProxyCount`), or `null` when unknown. */
  readonly clientIp: string | null;
  /** The app's `loadUser`: resolves a session's user id to a {@link User}. */
  loadUser(id: string | number): Promise<User | null>;
}

/**
 * The auth-class contract. Return the caller's user, or `null`/`undefined` to let the next
 * class try. Throwing a `DjustError` (e.g. `Unauthenticated` for a malformed token) ends the
 * request with that error.
 */
export interface AuthClass {
  authenticate(
    request: Request,
    ctx: AuthContext,
  ): User | null | undefined | Promise<User | null | undefined>;
  /**
   * Requests this class authenticates skip the CSRF check. Set it for credentials a browser
   * does not attach on its own (bearer tokens, API keys), never for cookies.
   */
  readonly csrfExempt?: boolean;
  /**
   * The OpenAPI security schemes this class needs, by component name; together they form one
   * alternative of an operation's `security`. `{}` documents anonymous access. One bare scheme
   * object (`{ type: "http", scheme: "bearer" }`) is named after the class.
   */
  readonly securityScheme?: Readonly<Record<string, SecuritySchemeObject>> | SecuritySchemeObject;
}

/** A component name OpenAPI accepts (`components.securitySchemes.<name>`). */
const COMPONENT_NAME = /^[a-zA-Z0-9._-]+$/;

/**
 * The security schemes of an auth class by component name. A `securityScheme` that is one bare
 * scheme object (`{ type: "http", scheme: "bearer" }`) is named after the class.
 * @throws TypeError when the declaration is neither, or a bare scheme's class has no usable
 * name (an object literal): `createApp` calls this for every view, so it fails at startup.
 */
export function securitySchemesOf(
  auth: AuthClass,
): Readonly<Record<string, SecuritySchemeObject>> | undefined {
  const declared: unknown = auth.securityScheme;
  if (declared === undefined) return undefined;
  const className = (auth.constructor as { name?: unknown } | undefined)?.name;
  const owner = typeof className === "string" && className !== "" ? className : "an auth object";
  if (typeof declared !== "object" || declared === null || Array.isArray(declared)) {
    throw new TypeError(`${owner}: securityScheme must be an object`);
  }
  const record = declared as Record<string, unknown>;
  if (typeof record.type === "string") {
    if (owner === "Object" || !COMPONENT_NAME.test(owner)) {
      throw new TypeError(
        `${owner}: a bare securityScheme object needs a named class; use { <name>: { type: ... } }`,
      );
    }
    return { [owner]: record as SecuritySchemeObject };
  }
  for (const [name, scheme] of Object.entries(record)) {
    const type = (scheme as { type?: unknown } | null)?.type;
    if (!COMPONENT_NAME.test(name) || typeof type !== "string") {
      throw new TypeError(
        `${owner}: securityScheme "${name}" must be a scheme object with a string type, under a name of letters, digits, ".", "_" or "-"`,
      );
    }
  }
  return record as Readonly<Record<string, SecuritySchemeObject>>;
}

/** The anonymous user returned by {@link AllowAny}. */
export const ANONYMOUS_USER: User = Object.freeze({
  id: null,
  isAnonymous: true,
  permissions: Object.freeze([]) as readonly string[],
});

/** The security scheme name of the session cookie in the OpenAPI document. */
export const SESSION_SCHEME = "sessionAuth";
/** The security scheme name of the CSRF header; dropped for CSRF-exempt operations. */
export const CSRF_SCHEME = "csrfToken";

/**
 * The default: the signed `djust_session` cookie → the session store → `loadUser`. Returns
 * `null` without a logged-in session (→ 401 when no later class authenticates). Requests it
 * authenticates are CSRF-checked, because browsers attach cookies to cross-site requests.
 */
export class SessionAuth implements AuthClass {
  readonly csrfExempt = false;
  readonly securityScheme = {
    [SESSION_SCHEME]: { type: "apiKey", in: "cookie", name: "djust_session" },
    [CSRF_SCHEME]: { type: "apiKey", in: "header", name: "X-CSRFToken" },
  } as const;

  async authenticate(_request: Request, ctx: AuthContext): Promise<User | null> {
    const id = ctx.session?.record.userId;
    if (id === null || id === undefined) return null;
    const user = await ctx.loadUser(id);
    return isAuthenticated(user) ? user : null;
  }
}

/**
 * Lets everyone in as an anonymous user, without CSRF. It deliberately ignores the session:
 * a CSRF-exempt class that returned the session's user would let any site act as that user.
 * Put `SessionAuth` first (`[SessionAuth, AllowAny]`) to serve logged-in users too.
 */
export class AllowAny implements AuthClass {
  readonly csrfExempt = true;
  readonly securityScheme = {};

  authenticate(): User {
    return ANONYMOUS_USER;
  }
}

const instances = new WeakMap<object, AuthClass>();

function isAuthClass(value: unknown): value is AuthClass {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { authenticate?: unknown }).authenticate === "function"
  );
}

/**
 * The instance for an `apiAuthClasses` entry: a class is instantiated once (no arguments) and
 * reused, an object is used as is.
 * @throws TypeError when the entry has no `authenticate` method.
 */
export function authInstance(entry: AuthClassEntry): AuthClass {
  if (typeof entry === "function") {
    let instance = instances.get(entry);
    if (!instance) {
      const created: unknown = new (entry as new () => object)();
      if (!isAuthClass(created)) {
        throw new TypeError(`Auth class ${entry.name} has no authenticate(request, ctx) method`);
      }
      instance = created;
      instances.set(entry, instance);
    }
    return instance;
  }
  if (!isAuthClass(entry)) {
    throw new TypeError("An apiAuthClasses entry must be a class or an object with authenticate()");
  }
  return entry;
}

/** Whether requests authenticated by `auth` skip CSRF (instance flag, else a static one). */
export function isCsrfExemptAuth(auth: AuthClass): boolean {
  if (auth.csrfExempt !== undefined) return auth.csrfExempt;
  return (auth.constructor as { csrfExempt?: unknown }).csrfExempt === true;
}

/** The auth classes of a view: its `apiAuthClasses`, default `[SessionAuth]`. */
export function authClassesOf(view: { apiAuthClasses?: readonly AuthClassEntry[] }): AuthClass[] {
  return (view.apiAuthClasses ?? [SessionAuth]).map(authInstance);
}

/** The winner of an authentication round. */
export interface Authenticated {
  readonly user: User;
  readonly auth: AuthClass;
}

/** Tries `classes` in order; the first user returned wins. `null` when none authenticates. */
export async function authenticate(
  classes: readonly AuthClass[],
  request: Request,
  ctx: AuthContext,
): Promise<Authenticated | null> {
  for (const auth of classes) {
    const user = await auth.authenticate(request, ctx);
    if (user) return { user, auth };
  }
  return null;
}
