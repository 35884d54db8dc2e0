// djust inside a plain node:http server that has routes and a WebSocket server of its own.
import { createServer, type IncomingMessage } from "node:http";
import { WebSocketServer } from "ws";
import { counterApp } from "./mounting-app.js";

export function startServer(port = 0) {
  const app = counterApp();
  const chat = new WebSocketServer({ noServer: true });
  chat.on("connection", (ws) => ws.on("message", (data) => ws.send(`echo: ${String(data)}`)));

  const server = createServer((req, res) => {
    if (req.url === "/health") {
      res.end("ok");
      return;
    }
    app.nodeHandler(req, res); // pages, /djust/static/, /djust/api/, long-poll
  });
  server.on("upgrade", (req: IncomingMessage, socket, head) => {
    if (app.upgradeHandler(req, socket, head)) return; // djust's /djust/live/websocket
    if (req.url === "/chat") {
      chat.handleUpgrade(req, socket, head, (ws) => chat.emit("connection", ws, req));
      return;
    }
    socket.destroy(); // nobody serves this path
  });
  server.listen(port);
  return { server, app, chat };
}
