/**
 * The view token: the `data-phx-session` attribute a page renders, naming the view, its route
 * and the user it was rendered for; verified on `phx_join`.
 * @module
 */
import { hash } from "node:crypto";
import type { Params } from "../view/runtime.js";
import type { TokenSigner } from "./token.js";

/** What the token of a nested view (`liveRender`) adds. */
export interface NestedClaims {
  /** The child's snapshot key (its parent's key, or the page's for a sticky child, + its id). */
  readonly key: string;
  /** The container id of the page's main view. */
  readonly page: string;
  /** The container id of its parent; `null` for a sticky child (a root of its own). */
  readonly parent: string | null;
  /** The URL its parent showed when it rendered the child (the child's request URL). */
  readonly href: string;
}

/** What a view token (`data-phx-session`) says. */
export interface ViewClaims {
  /** The view's container id (its topic is `lv:<id>`); a main view's snapshot key. */
  readonly id: string;
  /** Route key; a nested view's API slug. */
  readonly route: string;
  /** Route params of the page; a nested view's session. */
  readonly params: Params;
  /** The user id the page was rendered for (`null` = anonymous). */
  readonly uid: string | number | null;
  /**
   * The browser the page was rendered for: a digest of its CSRF secret (its session's, or its
   * `csrftoken` cookie's when it has no session). A join from another browser is refused.
   */
  readonly binding: string;
  /** Set for a nested view. */
  readonly nested?: NestedClaims;
}

/** The binding of a view token to the browser whose CSRF secret is `csrfToken`. */
export function browserBinding(csrfToken: string): string {
  return hash("sha256", `view-binding:${csrfToken}`, "base64url").slice(0, 22);
}

/** Signs and reads view tokens. */
export function signViewToken(signer: TokenSigner, claims: ViewClaims): string {
  return signer.sign({
    id: claims.id,
    r: claims.route,
    p: claims.params,
    u: claims.uid,
    b: claims.binding,
    ...(claims.nested && { n: claims.nested }),
  });
}

/** The claims of a genuine view token, else `null`. */
export function verifyViewToken(
  signer: TokenSigner,
  token: unknown,
  maxAgeMs: number,
): ViewClaims | null {
  const payload = signer.verify(token, maxAgeMs);
  if (!payload) return null;
  const { id, r, p, u, b, n } = payload;
  if (typeof id !== "string" || typeof r !== "string" || typeof b !== "string") return null;
  if (typeof p !== "object" || p === null || Array.isArray(p)) return null;
  if (u !== null && typeof u !== "string" && typeof u !== "number") return null;
  const claims = { id, route: r, params: p as Params, uid: u, binding: b };
  if (n === undefined) return claims;
  const nested = n as Partial<Record<keyof NestedClaims, unknown>> | null;
  if (typeof nested !== "object" || nested === null) return null;
  const { key, page, parent, href } = nested;
  if (typeof key !== "string" || typeof page !== "string" || typeof href !== "string") return null;
  if (parent !== null && typeof parent !== "string") return null;
  return { ...claims, nested: { key, page, parent, href } };
}
