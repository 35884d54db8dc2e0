/**
 * The view token: the `data-phx-session` attribute a page renders, naming the view, its route
 * and the user it was rendered for; verified on `phx_join`.
 * @module
 */
import { createHash } from "node:crypto";
import type { Params } from "../view/runtime.js";
import type { TokenSigner } from "./token.js";

/** What a view token (`data-phx-session`) says. */
export interface ViewClaims {
  /** The view id, also the key of its snapshot. */
  readonly id: string;
  /** Route key. */
  readonly route: string;
  /** Route params of the page. */
  readonly params: Params;
  /** The user id the page was rendered for (`null` = anonymous). */
  readonly uid: string | number | null;
  /**
   * The browser the page was rendered for: a digest of its CSRF secret (its session's, or its
   * `csrftoken` cookie's when it has no session). A join from another browser is refused.
   */
  readonly binding: string;
}

/** The binding of a view token to the browser whose CSRF secret is `csrfToken`. */
export function browserBinding(csrfToken: string): string {
  return createHash("sha256").update(`view-binding:${csrfToken}`).digest("base64url").slice(0, 22);
}

/** Signs and reads view tokens. */
export function signViewToken(signer: TokenSigner, claims: ViewClaims): string {
  return signer.sign({
    id: claims.id,
    r: claims.route,
    p: claims.params,
    u: claims.uid,
    b: claims.binding,
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
  const { id, r, p, u, b } = payload;
  if (typeof id !== "string" || typeof r !== "string" || typeof b !== "string") return null;
  if (typeof p !== "object" || p === null || Array.isArray(p)) return null;
  if (u !== null && typeof u !== "string" && typeof u !== "number") return null;
  return { id, route: r, params: p as Params, uid: u, binding: b };
}
