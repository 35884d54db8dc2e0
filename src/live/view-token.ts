/**
 * The view token: the `data-phx-session` attribute a page renders, naming the view, its route
 * and the user it was rendered for; verified on `phx_join`.
 * @module
 */
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
}

/** Signs and reads view tokens. */
export function signViewToken(signer: TokenSigner, claims: ViewClaims): string {
  return signer.sign({ id: claims.id, r: claims.route, p: claims.params, u: claims.uid });
}

/** The claims of a genuine view token, else `null`. */
export function verifyViewToken(
  signer: TokenSigner,
  token: unknown,
  maxAgeMs: number,
): ViewClaims | null {
  const payload = signer.verify(token, maxAgeMs);
  if (!payload) return null;
  const { id, r, p, u } = payload;
  if (typeof id !== "string" || typeof r !== "string") return null;
  if (typeof p !== "object" || p === null || Array.isArray(p)) return null;
  if (u !== null && typeof u !== "string" && typeof u !== "number") return null;
  return { id, route: r, params: p as Params, uid: u };
}
