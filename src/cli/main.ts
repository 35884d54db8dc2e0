#!/usr/bin/env node
/**
 * The `djust` command. Each subcommand lives in its own module, loaded only when invoked, so
 * `djust check` never pays for the server code and vice versa.
 * @module
 */

/** A subcommand: takes the arguments after its name, resolves to the process exit status. */
type Command = {
  readonly summary: string;
  readonly load: () => Promise<(argv: string[]) => Promise<number>>;
};

/**
 * The subcommand table. To add a command, add an entry whose `load` imports its module
 * (e.g. `routes: { summary, load: async () => (await import("./routes.js")).runRoutes }`).
 */
const COMMANDS: Readonly<Record<string, Command>> = {
  check: {
    summary: "static checks of views: serializable state, API handlers, templates",
    load: async () => {
      try {
        return (await import("../checks/command.js")).runCheck;
      } catch (error) {
        // typescript is a peer of djust, not a dependency: say so instead of a stack trace.
        if (
          (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" &&
          String(error).includes("'typescript'")
        ) {
          return async () => {
            process.stderr.write(
              "djust check needs the typescript package: npm install --save-dev typescript\n",
            );
            return 2;
          };
        }
        throw error;
      }
    },
  },
  dev: {
    summary: "serve the app, reloading it on change while live views keep their state",
    load: async () => (await import("./dev.js")).runDev,
  },
  new: {
    summary: "create an app: a live view, its template, a test, tsconfig and CI script",
    load: async () => (await import("./new.js")).runNew,
  },
  openapi: {
    summary: "print the app's OpenAPI 3.1 document",
    load: async () => (await import("./openapi.js")).runOpenapi,
  },
  serve: {
    summary: "serve the app (--workers N: N processes sharing the port)",
    load: async () => (await import("./serve.js")).runServe,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`,
  );
  return `Usage: djust <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun "djust <command> --help" for a command's options.\n`;
}

/** Dispatches `argv` (without the node and script paths); resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`djust: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const run = await command.load();
  return run(rest);
}

// `djust openapi | head`: a reader that stops early is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `djust: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70;
  },
);
