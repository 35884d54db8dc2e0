/**
 * A live route's page request: identifies the visitor from its cookies, starts an anonymous
 * session when it has none (a page needs a CSRF token for its join and its forms), and answers
 * with the dead render of `page.ts` in the app's page shell.
 * @module
 */
import { getCookie } from "../auth/cookies.js";
import { isSecureRequest, pageCsrf } from "../auth/http.js";
import type { Params } from "../view/runtime.js";
import { clientBundle } from "./client-bundle.js";
import type { LiveHost, LiveRoute } from "./host.js";
import { identify, type IdentifyOptions, type Visitor } from "./identity.js";
import { ServiceUnavailable } from "../errors.js";
import { errorPage, renderLivePage, type PageShell } from "./page.js";
import { FLASH_COOKIE, STATIC_PREFIX } from "./protocol.js";

/** Serves the pages of an app's live routes. */
export class LivePages {
  /** The HTML document around live pages (`undefined`: the default shell). */
  shell: PageShell | undefined;

  constructor(
    readonly host: LiveHost,
    readonly visitors: IdentifyOptions,
  ) {}

  /** The page of `route` for a GET `request` from `remoteAddress`. */
  async serve(
    route: LiveRoute,
    routeParams: Params,
    request: Request,
    remoteAddress: string | null,
  ): Promise<Response> {
    try {
      return await this.#serve(route, routeParams, request, remoteAddress);
    } catch (error) {
      // Redis (sessions) down or stalled: say so at once, the browser may simply reload.
      if (!(error instanceof ServiceUnavailable)) throw error;
      const response = errorPage(503, "Service unavailable", error.message, this.host.html);
      response.headers.set("retry-after", String(error.retryAfter));
      return response;
    }
  }

  async #serve(
    route: LiveRoute,
    routeParams: Params,
    request: Request,
    remoteAddress: string | null,
  ): Promise<Response> {
    const who: Visitor = await identify(this.visitors, request.headers, remoteAddress);
    // No session record for a cookieless visitor: a `csrftoken` cookie is all its page needs.
    const { csrfToken, cookies: setCookies } = await pageCsrf(
      this.visitors.sessions,
      request,
      this.host.cookies,
      who.session,
    );
    const bundle = await clientBundle();
    return renderLivePage(
      this.host,
      route,
      routeParams,
      {
        url: new URL(request.url),
        headers: request.headers,
        user: who.user,
        session: who.session?.record.data ?? {},
        caller: who.caller,
        csrfToken,
        flashToken: getCookie(request.headers, FLASH_COOKIE),
        secure: isSecureRequest(request, this.host.cookies),
        setCookies,
      },
      { clientScript: `${STATIC_PREFIX}${bundle.fileName}` },
      this.shell,
    );
  }
}
