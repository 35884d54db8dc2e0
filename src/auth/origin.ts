/**
 * What counts as a request's own origin: the one rule behind the CSRF `Origin`/`Referer` check
 * of unsafe HTTP requests (the API, custom routes) and the `Origin` check of the live
 * transports (WebSocket upgrade, long-poll), so a page that may call one may use the other.
 * @module
 */

/**
 * Whether the browser reached the site over HTTPS: `direct` (the connection, or the request
 * URL, is HTTPS), or, behind `trustedProxyCount` proxies, by the `X-Forwarded-Proto` the
 * outermost trusted proxy set (the n-th entry from the right; the first when the proxies
 * overwrite rather than append). Without a trusted proxy the header is ignored, as
 * `X-Forwarded-For` is: a client cannot claim HTTPS.
 */
export function viaHttps(
  direct: boolean,
  headers: Pick<Headers, "get">,
  trustedProxyCount: number,
): boolean {
  if (direct) return true;
  if (trustedProxyCount <= 0) return false;
  const header = headers.get("x-forwarded-proto");
  if (!header) return false;
  const entries = header.split(",");
  const entry = entries[Math.max(0, entries.length - trustedProxyCount)] ?? "";
  return entry.trim().toLowerCase() === "https";
}

/**
 * Whether `origin` is this server (`host`, over https when `secure`, see {@link viaHttps}).
 * Over plain HTTP an https origin of the same host passes too: behind a TLS-terminating proxy
 * that djust is not told about, the page was https while the app sees http, and the host's
 * https origin is no less this site. Non-browser clients send no `Origin` and pass; browsers
 * always send it on WebSocket upgrades.
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
    const scheme = parsed.protocol;
    return parsed.host === host && (scheme === "https:" || (!secure && scheme === "http:"));
  } catch {
    return false;
  }
}
