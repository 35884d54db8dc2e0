/**
 * What the server knows of an API request beyond the web `Request`: the peer address and
 * Node's parsed headers, and the header access every call goes through.
 * @module
 */

/**
 * What the server knows beyond the web `Request`. A Node `IncomingMessage` is one; with
 * `app.fetch` there is none.
 */
export interface ApiConnection {
  /** The socket, for the peer address. */
  readonly socket?: { readonly remoteAddress?: string | undefined } | null;
  /**
   * Node's parsed request headers (lower-case names, already validated by its HTTP parser).
   * The hot headers of every call are read here, skipping the web `Headers` layer: that layer
   * re-validates each name and value, ≈ 2 µs per call for three headers under load. Present
   * only with Node's HTTP parser, which also ends the body at its `Content-Length`: the body is
   * then read in one piece rather than streamed under the limit (`readJsonText`).
   */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
}

/** A request served without a connection (`app.fetch`). */
export const NO_CONNECTION: ApiConnection = {};

/** The request headers every call reads: from Node's parsed headers when there are some. */
export class CallHeaders implements Pick<Headers, "get"> {
  readonly #request: Request;
  readonly #node: ApiConnection["headers"];

  constructor(request: Request, connection: ApiConnection) {
    this.#request = request;
    this.#node = connection.headers;
  }

  get(name: string): string | null {
    const node = this.#node;
    if (!node) return this.#request.headers.get(name);
    // A string for every request header but Set-Cookie: Node joins repeated Cookie lines with
    // "; ", other repeats with ", ", and keeps the first of singletons like Content-Type.
    const value = node[name.toLowerCase()];
    return typeof value === "string" ? value : null;
  }
}
