// An app module as `djust openapi --app` expects it: the app exported, nothing listening.
import { makeApp } from "./fixtures.js";

export const app = makeApp();
