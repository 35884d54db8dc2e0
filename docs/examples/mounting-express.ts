// djust inside an Express 5 app that parses JSON bodies before djust sees them and runs a
// WebSocket server of its own on the same HTTP server.
import express from "express";
import type { IncomingMessage } from "node:http";
import { WebSocketServer } from "ws";
import { counterApp } from "./mounting-app.js";

export function startServer(port = 0) {
  const app = counterApp();
  const chat = new WebSocketServer({ noServer: true });
  chat.on("connection", (ws) => ws.on("message", (data) => ws.send(`echo: ${String(data)}`)));

  const site = express();
  site.use(express.json()); // fine: djust reads req.body when the stream is spent
  site.get("/health", (_req, res) => {
    res.send("ok");
  });
  site.use(app.nodeHandler); // everything else: pages, /djust/static/, /djust/api/, long-poll

  const server = site.listen(port);
  server.on("upgrade", (req: IncomingMessage, socket, head) => {
    if (app.upgradeHandler(req, socket, head)) return; // djust's /djust/live/websocket
    if (req.url === "/chat") {
      chat.handleUpgrade(req, socket, head, (ws) => chat.emit("connection", ws, req));
      return;
    }
    socket.destroy(); // nobody serves this path
  });
  return { server, app, chat };
}
