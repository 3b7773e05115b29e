import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroup } from "../src/services/groups.ts";
import { issueCoordinatorToken } from "../src/services/tokens.ts";
import { testEngine } from "./helpers/database.ts";
import { freePort } from "./helpers/instance.ts";
import { createProcessDatabase, type ProcessDatabase } from "./helpers/process-database.ts";
import { pooledKeyPairGenerator } from "./helpers/test-keys.ts";
import { waitFor } from "./helpers/wait.ts";

const INBOXES = 40;
const root = path.resolve(import.meta.dirname, "..");

/**
 * SIGTERM to a real server process in the middle of a fan-out and of a
 * request: the request is answered, the deliveries under way finish, the
 * rest wait in the queue, and the instance started again delivers every
 * activity to every inbox, once.
 */
describe(`graceful shutdown (${testEngine})`, { timeout: 180_000 }, () => {
  let database: ProcessDatabase;
  let inboxServer: Server;
  /** Activity ids received, per inbox path. */
  const received = new Map<string, string[]>();
  const total = () => [...received.values()].reduce((sum, ids) => sum + ids.length, 0);
  let token = "";
  let env: Record<string, string>;
  let port = 0;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    database = await createProcessDatabase();
    // One HTTP server standing for many: each path is a shared inbox. Slow
    // enough that SIGTERM lands while deliveries are in flight and queued.
    inboxServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        setTimeout(() => {
          const id = JSON.parse(Buffer.concat(chunks).toString() || "{}").id as string;
          received.set(req.url ?? "", [...(received.get(req.url ?? "") ?? []), id]);
          res.writeHead(202).end();
        }, 250);
      });
    });
    await new Promise<void>((resolve) => inboxServer.listen(0, "127.0.0.1", resolve));
    const inboxBase = `http://127.0.0.1:${(inboxServer.address() as AddressInfo).port}`;

    // Prepared before the server starts: the embedded database is one process's.
    token = await database.use(async ({ db }) => {
      const clock = () => Temporal.Now.instant();
      const created = await createGroup(
        { db, keys: pooledKeyPairGenerator, clock },
        { handle: "food", name: "Food", summary: "", followPolicy: "open" },
      );
      if (!created.ok) throw new Error("group not created");
      const now = new Date();
      await db
        .insertInto("followers")
        .values(
          Array.from({ length: INBOXES }, (_, i) => ({
            id: randomUUID(),
            group_id: created.group.id,
            actor_id: `${inboxBase}/servers/${i}/users/a`,
            inbox_url: `${inboxBase}/servers/${i}/users/a/inbox`,
            shared_inbox_url: `${inboxBase}/servers/${i}/inbox`,
            follow_activity_id: null,
            state: "accepted" as const,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      const issued = await issueCoordinatorToken({ db, clock }, created.group);
      if (!issued.ok) throw new Error("token not issued");
      return issued.token;
    });
    port = await freePort();
    env = {
      ...database.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      ORIGIN: `http://127.0.0.1:${port}`,
      ALLOW_PRIVATE_ADDRESS: "true",
      LOG_LEVEL: "error",
      ADMIN_TOKEN: "",
    };
  });

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    inboxServer?.closeAllConnections();
    await new Promise((resolve) => inboxServer?.close(resolve));
    await database?.drop();
  });

  async function startInstance(): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, ["src/main.ts"], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "inherit"],
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await waitFor(
      "the instance to start",
      async () =>
        (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200,
      60_000,
    );
    return { child, exited };
  }

  const needBody = (title: string) => JSON.stringify({ title, category: "water" });

  /** A POST whose body is sent in two parts: `finish()` sends the rest; `answer` is the status. */
  function slowRequest(body: string) {
    const half = Math.floor(body.length / 2);
    let answered: (status: number) => void;
    let pending: ReturnType<typeof request> | undefined;
    const answer = new Promise<number>((resolve, reject) => {
      answered = resolve;
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/v1/groups/food/needs",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => answered(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, half));
      pending = req;
    });
    return {
      answer,
      finish: () => pending?.end(body.slice(half)),
    };
  }

  it("answers the request under way, loses no delivery and sends none twice", async () => {
    const first = await startInstance();
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/groups/food/needs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: needBody("Drinking water"),
    });
    expect(created.status).toBe(201);
    await expect.poll(total, { timeout: 30_000 }).toBeGreaterThanOrEqual(4);

    // A request under way when SIGTERM comes: its body is not all there yet.
    const slow = slowRequest(needBody("Water containers"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    slow.finish();
    expect(await slow.answer).toBe(201);
    expect(await first.exited).toBe(0);
    // It stopped with deliveries still to make (else this test shows nothing).
    expect(total()).toBeLessThan(2 * INBOXES);

    const second = await startInstance();
    try {
      await expect
        .poll(() => [...received.values()].filter((ids) => ids.length >= 2).length, {
          timeout: 60_000,
        })
        .toBe(INBOXES);
    } finally {
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    }
    // Every inbox got both needs' Create, each once.
    const activities = new Set([...received.values()].flat());
    expect(activities.size).toBe(2);
    for (const ids of received.values()) {
      expect(ids).toHaveLength(2);
      expect(new Set(ids).size).toBe(2);
    }
    expect(received.size).toBe(INBOXES);
    const left = await database.use(({ db }) =>
      db.selectFrom("fedify_queue").select("id").execute(),
    );
    expect(left).toEqual([]);
  });
});
