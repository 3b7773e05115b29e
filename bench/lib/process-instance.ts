/**
 * Instances as processes of their own (`node src/main.ts`), each on its own
 * embedded database in a directory of its own, for the network benchmark and
 * the four-cities walkthrough: one can be killed and started again on the
 * same data, as an operator's server would be.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ADMIN_TOKEN, clientFetch } from "./instance.ts";
import { sleep } from "./stats.ts";

export interface ProcessNode {
  readonly index: number;
  readonly port: number;
  readonly origin: string;
  readonly dataDir: string;
  token: string;
  process: ChildProcess | null;
}

export async function api(
  node: ProcessNode,
  method: string,
  apiPath: string,
  body?: unknown,
  token: string | null = node.token,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return clientFetch(new URL(apiPath, node.origin), {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

export async function json<T>(response: Promise<Response>, what: string): Promise<T> {
  const res = await response;
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out: ${what}`);
    await sleep(250);
  }
}

/** Starts (or restarts) an instance's process and waits for /healthz. */
export async function launch(node: ProcessNode): Promise<void> {
  const child = spawn(process.execPath, ["src/main.ts"], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(node.port),
      ORIGIN: node.origin,
      DATA_DIR: node.dataDir,
      ADMIN_TOKEN,
      ALLOW_PRIVATE_ADDRESS: "true",
      LOG_LEVEL: "error",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  node.process = child;
  child.once("exit", () => {
    if (node.process === child) node.process = null;
  });
  await waitUntil(
    `instance ${node.index} to start`,
    async () => {
      try {
        return (await clientFetch(new URL("/healthz", node.origin))).ok;
      } catch {
        return false;
      }
    },
    120_000,
  );
}

export async function stop(node: ProcessNode, signal: NodeJS.Signals): Promise<void> {
  const child = node.process;
  if (child === null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
}
