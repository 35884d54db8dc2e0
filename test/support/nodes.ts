/**
 * App nodes as real child processes, for multi-node and crash tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/** A running app process. */
export interface AppNode {
  readonly name: string;
  readonly child: ChildProcess;
  url: string;
  pid: number;
  /** Everything the process wrote to stderr so far. */
  stderr: string;
}

/** Starts one app process (`script` prints `{"url":…,"pid":…}` once listening); resolves once it printed its URL, rejects with its stderr if it dies. */
export function startNode(
  name: string,
  script: string,
  env: Record<string, string>,
): Promise<AppNode> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const node: AppNode = { name, child, url: "", pid: 0, stderr: "" };
  child.stderr!.on("data", (chunk: Buffer) => (node.stderr += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      reject(
        new Error(
          `${name} printed no URL within 90 s\nstdout:\n${stdout}\nstderr:\n${node.stderr}`,
        ),
      );
    }, 90_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (!line || node.url) return;
      const { url, pid } = JSON.parse(line) as { url: string; pid: number };
      node.url = url;
      node.pid = pid;
      clearTimeout(timer);
      resolvePromise(node);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${node.stderr}`));
    });
  });
}

/** Stops a node: SIGTERM (graceful close), SIGKILL if it is still there after 5 s. */
export function stopNode(node: AppNode | undefined): Promise<void> {
  const child = node?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill("SIGTERM");
  });
}
