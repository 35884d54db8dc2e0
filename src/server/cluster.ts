/**
 * Several cores of one machine: `listen({ workers })` on `node:cluster`. The primary process
 * runs the same program as the workers up to `listen`, then forks the workers, which listen on
 * one shared port, and supervises them: a worker that dies is replaced (with a back-off, so a
 * crash loop does not spin), SIGTERM or SIGINT drains every worker and exits. Each worker is a
 * full node on the shared Redis, like a process on another machine.
 * @module
 */
import cluster, { type Worker } from "node:cluster";
import { errorText, type Logger } from "../logger.js";

/** Options of `app.listen({ … })`. */
export interface ListenOptions {
  /**
   * The port; 0 picks a free one (with workers, one port that they all share).
   * @default 0
   */
  readonly port?: number;
  /** The address to listen on. @default every interface */
  readonly hostname?: string;
  /**
   * Worker processes on `node:cluster`, all serving the one port: each runs the program up to
   * `listen` and serves requests, the primary only supervises them (a crashed worker is
   * replaced; SIGTERM/SIGINT drain every worker, then the primary exits). More than one needs
   * shared state: the app must keep sessions, rate limits, snapshots and pub/sub in Redis (it
   * refuses memory adapters). Unset, the app listens in this process.
   * @default undefined (no workers: this process serves)
   */
  readonly workers?: number;
}

/** A listening server: the app's own, or a cluster's primary. */
export interface RunningServer {
  readonly port: number;
  readonly url: string;
  /**
   * Graceful: stops accepting connections, lets events in flight finish and reply, saves the
   * views and closes their sockets (1001: clients reconnect, to another node if this one is
   * gone), then the app; bounded by `shutdownTimeoutMs`. In a cluster's primary: drains every
   * worker the same way and resolves once they all exited.
   */
  close(): Promise<void>;
}

/** A worker that served this long counts as healthy: its crash restarts the back-off. */
export const STABLE_WORKER_MS = 10_000;
/** The first replacement of a crashed worker waits this long; each quick crash doubles it. */
export const RESTART_DELAY_MS = 100;
/** The longest a replacement waits, however many workers crashed in a row. */
export const MAX_RESTART_DELAY_MS = 30_000;
/** A worker still running this long after its drain's bound is killed. */
const EXIT_GRACE_MS = 2000;

/** Whether this process is a worker forked by {@link superviseWorkers}. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** The base URL of a server on `port` at `hostname`. */
export function serverUrl(hostname: string | undefined, port: number): string {
  const host = hostname ?? "localhost";
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Checks a `workers` option: a positive integer, and more than one only when nothing an app
 * shares between requests is in this process's memory (`inMemory` names those parts).
 */
export function checkWorkers(workers: number, inMemory: readonly string[]): void {
  if (!(Number.isInteger(workers) && workers >= 1)) {
    throw new RangeError(`listen: workers must be an integer >= 1, got ${workers}`);
  }
  if (workers > 1 && inMemory.length > 0) {
    throw new Error(
      `listen: workers: ${workers} needs shared state, but ${inMemory.join(", ")} ` +
        "are kept in each process's memory: a view could not reconnect to another worker, a " +
        "login on one worker would be unknown to the others and rate limits would not be " +
        "shared. Set REDIS_URL (or createApp({ redis: url })), or use workers: 1.",
    );
  }
}

/**
 * Runs in a worker after its server listens: the primary's drain and a SIGTERM/SIGINT sent to
 * the worker itself (systemd signals the whole group, a terminal's Ctrl-C too) both close it
 * gracefully and exit.
 */
export function drainOnSignal(server: RunningServer): void {
  const exit = () => void server.close().then(() => process.exit(0));
  process.once("SIGTERM", exit);
  process.once("SIGINT", exit);
}

/**
 * In the primary: forks `count` workers running this program and resolves once each listens.
 * A worker that dies before listening fails the start (every worker is stopped; its own error
 * is in its output); one that dies later is replaced after {@link RESTART_DELAY_MS}, doubled
 * for each worker in a row that crashed within {@link STABLE_WORKER_MS} of listening, up to
 * {@link MAX_RESTART_DELAY_MS}. SIGTERM and SIGINT close the cluster and exit the primary.
 */
export function superviseWorkers(
  count: number,
  options: { hostname?: string; shutdownTimeoutMs: number; logger: Logger },
): Promise<RunningServer> {
  const { logger } = options;
  const started = new Map<Worker, number>();
  const restarts = new Set<ReturnType<typeof setTimeout>>();
  let quickCrashes = 0;
  let closing: Promise<void> | undefined;
  let listening = false;

  return new Promise((resolve, reject) => {
    let port = 0;
    let ready = 0;

    const fork = (): void => {
      const worker = cluster.fork();
      started.set(worker, Date.now());
      worker.once("listening", (address: { port: number }) => {
        // How long a worker served, not how long it took to load, decides the back-off.
        started.set(worker, Date.now());
        port = address.port;
        if (listening || ++ready < count) return;
        listening = true;
        resolve(server);
      });
      worker.once("exit", (code, signal) => {
        const lived = Date.now() - (started.get(worker) ?? 0);
        started.delete(worker);
        if (closing) return;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!listening) {
          void stopAll().then(() =>
            reject(
              new Error(
                `listen: worker ${worker.process.pid} exited (${how}) before listening; its error is in its output above`,
              ),
            ),
          );
          return;
        }
        quickCrashes = lived < STABLE_WORKER_MS ? quickCrashes + 1 : 0;
        const delay = Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** quickCrashes);
        logger.error(
          `worker ${worker.process.pid} exited (${how}) after ${lived} ms; starting another in ${delay} ms`,
        );
        const timer = setTimeout(() => {
          restarts.delete(timer);
          if (!closing) fork();
        }, delay);
        restarts.add(timer);
      });
    };

    /** Drains every worker (SIGTERM), killing those still there past the bound. */
    const stopAll = (): Promise<void> => {
      closing ??= (async () => {
        for (const timer of restarts) clearTimeout(timer);
        restarts.clear();
        const exits = [...started.keys()].map(
          (worker) =>
            new Promise<void>((done) => {
              if (worker.isDead()) return done();
              const kill = setTimeout(
                () => worker.process.kill("SIGKILL"),
                options.shutdownTimeoutMs + EXIT_GRACE_MS,
              );
              worker.once("exit", () => {
                clearTimeout(kill);
                done();
              });
              worker.process.kill("SIGTERM");
            }),
        );
        await Promise.all(exits);
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
      })();
      return closing;
    };

    const server: RunningServer = {
      get port() {
        return port;
      },
      get url() {
        return serverUrl(options.hostname, port);
      },
      close: stopAll,
    };

    function onSignal(): void {
      void stopAll().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error("stopping the workers failed", { error: errorText(error) });
          process.exit(1);
        },
      );
    }
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);

    for (let i = 0; i < count; i++) fork();
  });
}
