import { createServer } from "node:net";
import { type Config, loadConfig } from "../../src/config.ts";
import type { DatabaseHandle } from "../../src/db/connect.ts";
import { type InstanceOptions, type RunningServer, startServer } from "../../src/server.ts";
import { createTestDatabase } from "./database.ts";
import { pooledKeyPairGenerator } from "./test-keys.ts";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestInstance extends RunningServer {
  readonly config: Config;
  readonly database: DatabaseHandle;
  /** Calls the API with the admin token unless another token is given (null: none). */
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<Response>;
}

/** A real instance listening on loopback, on its own fresh database, federating with loopback peers. */
export async function startTestInstance(
  options: { host?: string; env?: Record<string, string> } & Omit<InstanceOptions, "database"> = {},
): Promise<TestInstance> {
  const host = options.host ?? "127.0.0.1";
  const port = await freePort(host);
  const config = loadConfig({
    HOST: host,
    PORT: String(port),
    ORIGIN: `http://${host}:${port}`,
    ADMIN_TOKEN,
    ALLOW_PRIVATE_ADDRESS: "true",
    LOG_LEVEL: "warning",
    ...options.env,
  });
  const database = await createTestDatabase();
  const server = await startServer(config, {
    keys: pooledKeyPairGenerator,
    ...options,
    database,
    queue: { pollIntervalMs: 200, ...options.queue },
  });
  return {
    ...server,
    config,
    database,
    async api(method, path, body, token = ADMIN_TOKEN) {
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      return fetch(new URL(path, config.origin), {
        method,
        headers,
        ...(body !== undefined
          ? { body: typeof body === "string" ? body : JSON.stringify(body) }
          : {}),
      });
    },
    async stop() {
      await server.stop();
      await database.close();
    },
  };
}
