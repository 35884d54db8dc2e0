// What `require("djust")` loads: djust is an ES module package (it uses top-level await and
// standard decorators), so a CommonJS caller gets an error that says what to change instead of
// ERR_PACKAGE_PATH_NOT_EXPORTED.
"use strict";

const error = new Error(
  [
    "djust is an ES module package and cannot be loaded with require(). Load it with import from",
    "an ES module:",
    '  - package.json: "type": "module" (or name the file .mjs / .mts);',
    '  - tsconfig.json: "module": "NodeNext", "target": "ES2022" or later, and no',
    '    "experimentalDecorators" (djust uses standard decorators);',
    '  - then: import { LiveView } from "djust"; import { createApp } from "djust/server".',
    "Project setup: docs/setup.md in the djust repository.",
  ].join("\n"),
);
error.code = "ERR_REQUIRE_ESM";
throw error;
