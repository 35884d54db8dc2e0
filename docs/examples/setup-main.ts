// src/main.ts: starts the server. Kept apart from app.ts so tests and `djust openapi` can
// import the app without listening.
import { app } from "./setup-app.js";

export async function main(port = Number(process.env.PORT ?? 8000)) {
  const server = await app.listen(port);
  console.log(`listening on ${server.url}`);
  return server;
}
