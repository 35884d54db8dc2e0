// djust inside a Fastify 5 app: Fastify parses the body into request.body and leaves
// request.raw spent, so both are handed on; Fastify's own routes go first.
import Fastify from "fastify";
import type { IncomingMessage } from "node:http";
import { WebSocketServer } from "ws";
import { counterApp } from "./mounting-app.js";

export async function startServer(port = 0) {
  const app = counterApp();
  const chat = new WebSocketServer({ noServer: true });
  chat.on("connection", (ws) => ws.on("message", (data) => ws.send(`echo: ${String(data)}`)));

  const fastify = Fastify();
  fastify.get("/health", async () => "ok");
  fastify.setNotFoundHandler((request, reply) => {
    reply.hijack(); // djust writes the response itself
    app.nodeHandler(Object.assign(request.raw, { body: request.body }), reply.raw);
  });
  fastify.server.on("upgrade", (req: IncomingMessage, socket, head) => {
    if (app.upgradeHandler(req, socket, head)) return; // djust's /djust/live/websocket
    if (req.url === "/chat") {
      chat.handleUpgrade(req, socket, head, (ws) => chat.emit("connection", ws, req));
      return;
    }
    socket.destroy(); // nobody serves this path
  });
  await fastify.listen({ port, host: "127.0.0.1" });
  return { server: fastify.server, fastify, app, chat };
}
