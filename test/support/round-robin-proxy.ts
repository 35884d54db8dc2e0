/**
 * A load balancer without sticky sessions, for multi-node tests: each HTTP request goes to the
 * next upstream in turn (the `Host` header is kept, so the app sees the address the browser
 * used). An upstream that cannot be reached answers 502 (as nginx would); taking it out of
 * {@link RoundRobinProxy.upstreams} is the health check. WebSocket upgrades are refused.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the proxy passed on. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly upstream: string;
}

/** A running proxy. */
export interface RoundRobinProxy {
  readonly url: string;
  /** Where requests go, in turn; change it to take a node out. */
  upstreams: string[];
  /** Every request passed on, in order. */
  readonly log: ProxiedRequest[];
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port in front of `upstreams` (`http://host:port`). */
export async function startRoundRobinProxy(upstreams: string[]): Promise<RoundRobinProxy> {
  let turn = 0;
  const log: ProxiedRequest[] = [];
  const proxy: { upstreams: string[] } = { upstreams: [...upstreams] };
  const server: Server = createServer((req, res) => {
    const upstream = proxy.upstreams[turn++ % proxy.upstreams.length]!;
    log.push({ method: req.method ?? "GET", path: req.url ?? "/", upstream });
    const target = new URL(req.url ?? "/", upstream);
    const forward = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("bad gateway");
    });
    // The browser gave up (a poll it aborted): so does the request upstream.
    res.on("close", () => forward.destroy());
    req.pipe(forward);
  });
  server.on("upgrade", (_req, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get upstreams() {
      return proxy.upstreams;
    },
    set upstreams(next: string[]) {
      proxy.upstreams = next;
    },
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
