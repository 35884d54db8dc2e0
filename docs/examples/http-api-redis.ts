// Many nodes: share rate-limit buckets and sessions through Redis, so a caller's limit holds
// across all of them (and across WebSocket and HTTP), and any node accepts any session.
import { createClient } from "redis";
import { RedisRateLimitStore, RedisSessionStore, createApp } from "../../src/server/index.js";

export async function createProductionApp(
  redisUrl: string,
  // Every node must share it, or what one node signs, another refuses; never a default.
  secretKey = process.env.DJUST_SECRET_KEY,
) {
  if (!secretKey) throw new Error("DJUST_SECRET_KEY must be set, to the same value on every node");
  const redis = createClient({ url: redisUrl });
  // Without an `error` listener, a Redis outage would crash Node; node-redis reconnects itself.
  redis.on("error", (error: Error) => console.error("redis:", error.message));
  await redis.connect();
  const app = createApp({
    secretKey,
    redis, // sessions, rate limits, view snapshots and pub/sub all in Redis, on this client
    // An adapter of your own replaces its one part, here to choose the key prefixes.
    rateLimitStore: new RedisRateLimitStore({ client: redis, prefix: "myapp:rl:" }), // one Lua script per call
    sessionStore: new RedisSessionStore({ client: redis, prefix: "myapp:session:" }),
    trustedProxyCount: 1, // behind one load balancer: X-Forwarded-For's last entry is the client
  });
  // The app borrows the client, which stays yours to close, after the app.
  return {
    app,
    close: async () => {
      await app.close();
      await redis.close();
    },
  };
}
