// Spawns a throwaway redis-server on a free loopback port for tests that need a real Redis.
// When redis-server is not installed, `startRedis()` returns a skip message instead.
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { createClient } from "redis";

/** A running test Redis. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
  /** Kills the server (SIGKILL) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts a killed server again on the same port (empty: it persists nothing). */
  restart(): Promise<void>;
}

/** Message used as the `skip` reason when no redis-server binary is available. */
export const REDIS_MISSING =
  "redis-server is needed for this test (install it, e.g. `apt-get install -y redis-server`)";

/** The path of `redis-server` on PATH, or null. */
export function findRedisServer(): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "redis-server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start:\n${output}`)),
      10_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
}

function spawnRedis(binary: string, port: number): ChildProcess {
  return spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
  });
}

/** Starts redis-server, or returns the reason the test must be skipped. */
export async function startRedis(): Promise<TestRedis | { skip: string }> {
  const binary = findRedisServer();
  if (!binary) return { skip: REDIS_MISSING };
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let child = spawnRedis(binary, port);
    try {
      await waitReady(child);
    } catch (error) {
      child.kill("SIGKILL");
      if (attempt === 2) throw error;
      continue; // the port was taken between probing and binding
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      stop: async () => {
        child.kill("SIGCONT");
        child.kill("SIGTERM");
        await exited(child);
      },
      pause: () => child.kill("SIGSTOP"),
      resume: () => child.kill("SIGCONT"),
      kill: async () => {
        child.kill("SIGKILL");
        await exited(child);
      },
      restart: async () => {
        child = spawnRedis(binary, port);
        await waitReady(child);
      },
    };
  }
  throw new Error("unreachable");
}

function clientFor(url: string) {
  return createClient({ url });
}

/** A connected node-redis client on a throwaway redis-server, for one `describe` block. */
export interface RedisSuite {
  readonly client: ReturnType<typeof clientFor>;
  readonly url: string;
}

/**
 * Declares a suite that runs against a real redis-server started on a free port and a
 * connected client (both closed afterwards); skipped with {@link REDIS_MISSING} when
 * redis-server is not installed.
 */
export async function describeWithRedis(
  name: string,
  body: (redis: RedisSuite) => void,
): Promise<void> {
  const started = await startRedis();
  if ("skip" in started) {
    describe(name, { skip: started.skip }, () => {});
    return;
  }
  describe(name, () => {
    const client = clientFor(started.url);
    before(async () => {
      await client.connect();
    });
    after(async () => {
      await client.close();
      await started.stop();
    });
    body({ client, url: started.url });
  });
}

/**
 * Polls the server's client list until `probe` sees `expected` connections (its own included):
 * Redis notices a closed socket a moment after the client closed it.
 */
export async function expectConnections(
  probe: { sendCommand(args: string[]): Promise<unknown> },
  expected: number,
  what = "open connections",
): Promise<void> {
  const count = async () =>
    String(await probe.sendCommand(["CLIENT", "LIST"]))
      .trim()
      .split("\n").length;
  let value = await count();
  for (let i = 0; i < 100 && value !== expected; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await count();
  }
  assert.equal(value, expected, what);
}
