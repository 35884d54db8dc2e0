/**
 * A djust app listening on loopback for one `describe` block of the live tests: memory state
 * backend and capturing logger, the routes set by the caller; the raw clients it tracks are
 * closed with the server.
 */
import { after, before } from "node:test";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import {
  createApp,
  type AppOptions,
  type DjustApp,
  type RunningServer,
} from "../../src/server/index.js";
import type { RawClient } from "../live/helpers.js";
import { memoryLogger } from "../live/helpers.js";

export interface LiveServer {
  readonly backend: MemoryStateBackend;
  readonly logger: ReturnType<typeof memoryLogger>;
  /** The server's base URL (set once the suite's `before` has run). */
  readonly url: string;
  /** Closes `client` when the suite ends. */
  track(client: RawClient): RawClient;
}

export function serveLive(
  options: Partial<AppOptions>,
  routes: (app: DjustApp) => void,
): LiveServer {
  const backend = new MemoryStateBackend();
  const logger = memoryLogger();
  const clients: RawClient[] = [];
  let server: RunningServer | undefined;
  before(async () => {
    const app = createApp({ secretKey: "s", stateBackend: backend, logger, ...options });
    routes(app);
    server = await app.listen(0, "127.0.0.1");
  });
  after(async () => {
    for (const client of clients) client.close();
    await server?.close();
  });
  return {
    backend,
    logger,
    get url() {
      if (!server) throw new Error("serveLive: the server is not listening yet");
      return server.url;
    },
    track(client) {
      clients.push(client);
      return client;
    },
  };
}
