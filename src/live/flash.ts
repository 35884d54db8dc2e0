/**
 * Flash messages that outlive the view that set them: `putFlash` followed by `pushNavigate`
 * or `redirect` (as in Phoenix). The messages travel as a signed token — in the
 * `live_redirect`/`redirect` reply, which the official client hands back in the next join's
 * `flash` param, or in the `__phoenix_flash__` cookie it sets before a full-page redirect — so
 * no server-side store is needed and a client cannot forge them.
 * @module
 */
import type { TokenSigner } from "./token.js";

/** Flash messages by kind (`info`, `error`, …). */
export type Flash = Readonly<Record<string, string>>;

/** How long a flash token stays valid: one navigation, not a bookmark. */
const FLASH_MAX_AGE_MS = 60_000;

/** The signed token of `flash`, or `undefined` when there is nothing to carry. */
export function signFlash(signer: TokenSigner, flash: Flash): string | undefined {
  return Object.keys(flash).length === 0 ? undefined : signer.sign({ flash });
}

/** The messages of a genuine, fresh flash token; `undefined` for anything else. */
export function readFlash(signer: TokenSigner, token: unknown): Flash | undefined {
  const payload = signer.verify(token, FLASH_MAX_AGE_MS);
  const flash = payload?.flash;
  if (typeof flash !== "object" || flash === null || Array.isArray(flash)) return undefined;
  const out: Record<string, string> = {};
  for (const [kind, message] of Object.entries(flash)) {
    if (typeof message === "string" && kind !== "__proto__") out[kind] = message;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
