/**
 * The `Origin` check of the live transports (WebSocket upgrade, long-poll): a browser may only
 * open them from a page of this site, so another site cannot drive a user's views with the
 * user's cookies.
 * @module
 */

/**
 * Whether `origin` is this server (`host`, over https when `secure`). Non-browser clients send no
 * `Origin` and pass; browsers always send it on WebSocket upgrades.
 */
export function sameOrigin(
  origin: string | undefined,
  host: string | undefined,
  secure: boolean,
): boolean {
  if (origin === undefined) return true;
  if (!host) return false;
  // A browser's `Origin` is `scheme://host[:port]` as its `Host` header names the server: the
  // usual case needs no parse. Anything else (case, default port, IDN…) is compared parsed.
  if (origin.endsWith(host) && origin.length === host.length + (secure ? 8 : 7)) {
    if (origin.startsWith(secure ? "https://" : "http://")) return true;
  }
  try {
    const parsed = new URL(origin);
    return parsed.host === host && (parsed.protocol === "https:" || !secure);
  } catch {
    return false;
  }
}
