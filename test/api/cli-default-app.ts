// An app module exporting the app as default export.
import { createApp } from "../../src/server/index.js";
import { PublicView } from "./fixtures.js";

export default createApp({ secretKey: "s", openapi: { title: "Default export" } }).register(
  PublicView,
);
