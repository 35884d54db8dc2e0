// An app module with no views: `djust openapi` must fail instead of printing empty paths.
import { createApp } from "../../src/server/index.js";

export const app = createApp({ secretKey: "s" });
