/**
 * The dead render of a live route: auth checks, `setup` + `mount` + `handleParams`, the full
 * HTML page with the container the browser client joins, and the hand-over of the view's state
 * to the join (its snapshot, so the join does not mount a second time).
 * @module
 */
import { STATUS_CODES } from "node:http";
import { errorText } from "../logger.js";
import { isAuthenticated, type User } from "../auth/user.js";
import { escapeHtml } from "../template/safe.js";
import { DjustError } from "../errors.js";
import type { Navigation, Params } from "../view/runtime.js";
import { randomToken, type SessionData } from "../auth/session.js";
import { AccessDenied } from "../pipeline/lifecycle.js";
import { readFlash, signFlash } from "./flash.js";
import type { HtmlPolicy, LiveHost, LiveRoute } from "./host.js";
import { LiveInstance, type StartOptions } from "./instance.js";
import type { Flash } from "./flash.js";
import { FLASH_COOKIE } from "./protocol.js";
import { loginRedirect } from "./routes.js";
import { browserBinding, signViewToken } from "./view-token.js";

/** What the dead render needs to know about the request. */
export interface PageRequest {
  readonly url: URL;
  readonly headers: Headers;
  readonly user: User | null;
  readonly session: SessionData;
  /** Rate-limit caller key. */
  readonly caller: string;
  /** The CSRF token for the page (meta tag, `{% csrf_token %}`, the join's `_csrf_token`). */
  readonly csrfToken: string;
  /** The `__phoenix_flash__` cookie: flash a `redirect` carried to this page. */
  readonly flashToken?: string | null | undefined;
  /** Whether cookies set on this response are `Secure`. */
  readonly secure?: boolean;
  /** `Set-Cookie` values the response carries (the page's new CSRF cookie, …). */
  readonly setCookies?: readonly string[];
}

/** Where the page's client script is served. */
export interface PageAssets {
  /** URL of the client script (content-hashed). */
  readonly clientScript: string;
}

/** Parts of the page the shell puts together; apps can supply their own shell. */
export interface PageParts {
  readonly title: string;
  readonly csrfToken: string;
  readonly clientScript: string;
  /** The live container element, with the view's HTML inside. */
  readonly container: string;
}

/** Builds the full HTML document around the live container. */
export type PageShell = (parts: PageParts) => string;

/** The default document: charset, viewport, CSRF meta tag, title, client script, container. */
export const defaultShell: PageShell = (parts) =>
  `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
  `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
  `<meta name="csrf-token" content="${escapeHtml(parts.csrfToken)}">\n` +
  `<title>${escapeHtml(parts.title)}</title>\n` +
  `<script defer src="${escapeHtml(parts.clientScript)}"></script>\n` +
  `</head>\n<body>\n${parts.container}\n</body>\n</html>\n`;

/** The flash cookie as the official client writes it (path `/`, short-lived). */
function flashCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  const flags = secure ? "; Secure" : "";
  return `${FLASH_COOKIE}=${value}; Max-Age=${maxAgeSeconds}; Path=/; SameSite=Lax${flags}`;
}

/** A fresh view id in Phoenix's `phx-…` style (also the key of the view's snapshot). */
export function newViewId(): string {
  return `phx-${randomToken(12)}`;
}

/** The default: only the app's own pages may frame it. */
export const DEFAULT_HTML_POLICY: HtmlPolicy = Object.freeze({ frameAncestors: "'self'" });

const htmlHeaderCache = new Map<string, Readonly<Record<string, string>>>();

/** The headers of every HTML response for one `frameAncestors` value (made once). */
function htmlHeaders(frameAncestors: string): Readonly<Record<string, string>> {
  let headers = htmlHeaderCache.get(frameAncestors);
  if (!headers) {
    const frameOptions =
      frameAncestors === "'self'" ? "SAMEORIGIN" : frameAncestors === "'none'" ? "DENY" : null;
    headers = Object.freeze({
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
      "content-security-policy": `frame-ancestors ${frameAncestors}`,
      ...(frameOptions && { "x-frame-options": frameOptions }),
    });
    if (htmlHeaderCache.size < 64) htmlHeaderCache.set(frameAncestors, headers);
  }
  return headers;
}

/**
 * An HTML response as every page of the app is sent (live pages, `app.render`, error pages):
 * `nosniff`, `Referrer-Policy: same-origin` and frame protection (DESIGN §12).
 */
export function htmlResponse(
  status: number,
  body: string,
  policy: HtmlPolicy = DEFAULT_HTML_POLICY,
  setCookies: readonly string[] = [],
): Response {
  const headers = htmlHeaders(policy.frameAncestors);
  // Given as a plain record (one cookie) or pairs, not appended to `response.headers`
  // afterwards: that would build a `Headers` object the Node adapter then copies back out,
  // a good part of a page's cost.
  if (setCookies.length === 0) return new Response(body, { status, headers });
  const [only] = setCookies;
  if (setCookies.length === 1 && only !== undefined)
    return new Response(body, { status, headers: { ...headers, "set-cookie": only } });
  const pairs = Object.entries(headers);
  for (const cookie of setCookies) pairs.push(["set-cookie", cookie]);
  return new Response(body, { status, headers: pairs });
}

/** `response` with `setCookies` added (the pages other than a rendered one: rare). */
function withCookies(response: Response, setCookies: readonly string[] | undefined): Response {
  for (const cookie of setCookies ?? []) response.headers.append("set-cookie", cookie);
  return response;
}

/** A small self-contained error page. */
export function errorPage(
  status: number,
  title: string,
  detail?: string,
  policy: HtmlPolicy = DEFAULT_HTML_POLICY,
): Response {
  const body =
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${status} ${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1>` +
    (detail ? `<pre>${escapeHtml(detail)}</pre>` : "") +
    `</body></html>\n`;
  return htmlResponse(status, body, policy);
}

/**
 * Renders a live route for a plain HTTP GET. Redirects anonymous users of a `loginRequired`
 * view to `loginUrl?next=<path>`; when `mount` or the render throws a `DjustError` of a client's
 * kind (`NotFound`, `PermissionDenied`…), answers its status with its message, and 500 for
 * anything else (with the stack only in debug).
 */
export async function renderLivePage(
  host: LiveHost,
  route: LiveRoute,
  routeParams: Params,
  request: PageRequest,
  assets: PageAssets,
  shell: PageShell = defaultShell,
): Promise<Response> {
  const id = newViewId();
  const flash = request.flashToken ? readFlash(host.flashTokens, request.flashToken) : undefined;
  const options: StartOptions = {
    env: host.env,
    route,
    request: {
      url: request.url,
      headers: request.headers,
      user: request.user,
      session: request.session,
      transport: "http",
    },
    routeParams,
    caller: { user: request.user, key: request.caller },
    id,
    connected: false,
    csrfToken: request.csrfToken,
    flash,
  };
  let started: Awaited<ReturnType<typeof LiveInstance.start>>;
  try {
    started = await LiveInstance.start(options);
  } catch (error) {
    return withCookies(refusedPage(host, route, request, error), request.setCookies);
  }
  const { instance, navigation } = started;
  if (navigation) {
    const response = navigationResponse(host, request, navigation, started.flash);
    return withCookies(response, request.setCookies);
  }
  let inner: string;
  let title: string | undefined;
  try {
    const full = instance.renderPage();
    title = full.title;
    const page = await withChildren(instance, instance.html(full.tree), options);
    if (typeof page !== "string") {
      await instance.close({ discard: true });
      const response = navigationResponse(host, request, page.navigation, page.flash);
      return withCookies(response, request.setCookies);
    }
    inner = page;
  } catch (error) {
    await instance.close({ discard: true });
    return withCookies(refusedPage(host, route, request, error, "rendering"), request.setCookies);
  }
  // Hand the mounted state to the join (close saves the snapshot); if it cannot be
  // snapshotted, the join mounts again.
  await instance.close();

  const user = request.user;
  const token = signViewToken(host.viewTokens, {
    id,
    route: route.key,
    params: routeParams,
    uid: isAuthenticated(user) ? user.id : null,
    binding: browserBinding(request.csrfToken),
  });
  const container =
    `<div id="${id}" data-phx-main data-phx-session="${escapeHtml(token)}" ` +
    `data-phx-static="">${inner}</div>`;
  const setCookies = request.setCookies ?? [];
  return htmlResponse(
    200,
    shell({
      title: title ?? route.view.name.replace(/(Live)?View$/, ""),
      csrfToken: request.csrfToken,
      clientScript: assets.clientScript,
      container,
    }),
    host.html,
    // Shown once: the page's snapshot holds the flash from here on.
    request.flashToken ? [...setCookies, flashCookie("", 0, request.secure === true)] : setCookies,
  );
}

/**
 * Starts the children `parent` placed in its render (nested views, DESIGN §11), renders each
 * inline — its own children too — and closes it, saving its snapshot for its join. A child
 * whose mount navigates takes the page along.
 */
async function withChildren(
  parent: LiveInstance,
  html: string,
  page: StartOptions,
): Promise<string | { navigation: Navigation; flash?: Flash }> {
  for (const child of parent.takePendingChildren()) {
    const started = await LiveInstance.start({
      ...page,
      route: child.route,
      routeParams: child.session,
      id: child.key,
      flash: undefined,
      place: child.place,
      nested: true,
    });
    const { instance } = started;
    try {
      if (started.navigation) {
        return started.flash
          ? { navigation: started.navigation, flash: started.flash }
          : { navigation: started.navigation };
      }
      const inner = await withChildren(instance, instance.html(instance.renderPage().tree), page);
      if (typeof inner !== "string") return inner;
      html = html.replace(child.marker, () => inner);
    } finally {
      await instance.close(started.navigation ? { discard: true } : {});
    }
  }
  return html;
}

/** The answer to a mount that navigated away: a redirect, carrying the flash. */
function navigationResponse(
  host: LiveHost,
  request: PageRequest,
  navigation: Navigation,
  flash: Flash | undefined,
): Response {
  const headers = new Headers({ location: navigation.to });
  const carried = flash && signFlash(host.flashTokens, flash);
  if (carried) headers.append("set-cookie", flashCookie(carried, 60, request.secure === true));
  else if (request.flashToken)
    headers.append("set-cookie", flashCookie("", 0, request.secure === true));
  return new Response(null, { status: 302, headers });
}

/**
 * The page of a view (or child) that refused the visitor or failed to mount or render: a
 * `DjustError` of a client's kind (`NotFound`, `ValidationError`…) is its status with its message
 * (written for users); anything else a 500, logged, its text shown only in debug.
 */
function refusedPage(
  host: LiveHost,
  route: LiveRoute,
  request: PageRequest,
  error: unknown,
  step: "dead render" | "rendering" = "dead render",
): Response {
  if (error instanceof AccessDenied) {
    if (error.reason === "redirect") {
      return new Response(null, { status: 302, headers: { location: error.to ?? "/" } });
    }
    if (error.reason === "login") {
      return new Response(null, {
        status: 302,
        headers: { location: loginRedirect(host.loginUrl, request.url) },
      });
    }
    return errorPage(403, "Permission denied", error.message, host.html);
  }
  if (error instanceof DjustError && error.status < 500) {
    return errorPage(error.status, pageTitle(error), error.message, host.html);
  }
  const name = route.view.name;
  const detail = errorText(error);
  host.env.logger.error(
    step === "rendering" ? `rendering ${name} failed` : `dead render of ${name} failed`,
    { view: name, error: detail },
  );
  return errorPage(500, "Server error", host.env.debug ? detail : undefined, host.html);
}

/** The heading of an error page for `error`: its status's reason phrase, in sentence case. */
function pageTitle(error: DjustError): string {
  if (error.kind === "permission_denied") return "Permission denied";
  const phrase = STATUS_CODES[error.status] ?? "Error";
  return phrase.charAt(0) + phrase.slice(1).toLowerCase();
}
