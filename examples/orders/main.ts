/**
 * `npm start`: serves the orders example on `PORT` (default 8000).
 * @module
 */
import { createOrdersApp } from "./app.js";

const { app } = createOrdersApp();
const port = Number(process.env.PORT ?? 8000);
const server = await app.listen(port, process.env.HOST);
process.stdout.write(`djust orders example on ${server.url}/\n`);

const stop = async () => {
  await server.close();
  process.exit(0);
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
