import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../src/config.ts";
import type { DatabaseHandle } from "../src/db/connect.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { FEDERATION_POLICY_CHANNEL } from "../src/services/federation-policy.ts";
import { createTestDatabase, openSibling, testEngine } from "./helpers/database.ts";
import { type InboxServer, startInboxServer } from "./helpers/inbox-server.ts";
import { ADMIN_TOKEN, freePort } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { pooledKeyPairGenerator } from "./helpers/test-keys.ts";

const BLOCKED_HOST = "127.0.0.5";
const ALLOWED_HOST = "127.0.0.6";
/** A person on this host replies to a need; the host is blocked before the worker handles it. */
const LATE_BLOCKED_HOST = "127.0.0.7";
const POLL = { timeout: 15_000, interval: 50 } as const;

/**
 * A web instance and a worker instance of one server on one database, as
 * ROLE=web and ROLE=worker processes run. The worker never hears the
 * policy's NOTIFY: it stands for a process whose notification is still on
 * its way, or was lost while its LISTEN connection reconnected, so its
 * cached policy still says "open" when the web instance blocks a host. A
 * delivery it claims after the block commits must still not be made, nor
 * an activity the web admitted before the block be acted on after it.
 *
 * On PostgreSQL each instance has its own connection pool, like separate
 * processes. The embedded database serves one process, so there the two
 * instances share its one in-process handle.
 */
describe(`a block made by the web process stops what the worker does next (${testEngine})`, () => {
  let shared: DatabaseHandle;
  let workerDatabase: DatabaseHandle;
  let web: RunningServer;
  let worker: RunningServer;
  let origin: URL;
  let blocked: InboxServer;
  let allowed: InboxServer;
  let replier: RemoteActor;
  /** While set, the worker's claims come back only once it resolves. */
  let claimsHeld: Promise<void> | null = null;
  let blockCommitted!: () => void;
  const blockDone = new Promise<void>((resolve) => {
    blockCommitted = resolve;
  });

  const api = (method: string, path: string, body?: unknown) =>
    fetch(new URL(path, origin), {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  /** Publishes a need of the food group; resolves to its object id. */
  async function postNeed(title: string, category: string): Promise<string> {
    const res = await api("POST", "/api/v1/groups/food/needs", { title, category });
    expect(res.status).toBe(201);
    return ((await res.json()) as { objectId: string }).objectId;
  }
  const queueDepth = async () =>
    Number(
      (
        await shared.db
          .selectFrom("fedify_queue")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    // The blocked host's first POST is answered (500, so the delivery is
    // queued again) only once the block has committed: the retry is claimed
    // after the block, by a worker whose cached policy predates it.
    blocked = await startInboxServer(
      async ({ index }) => {
        if (index === 0) await blockDone;
        return index < 2 ? 500 : 202;
      },
      { host: BLOCKED_HOST },
    );
    allowed = await startInboxServer(() => 202, { host: ALLOWED_HOST });
    replier = await startRemoteActor(LATE_BLOCKED_HOST);

    shared = await createTestDatabase();
    workerDatabase = shared;
    if (testEngine === "postgres") workerDatabase = await openSibling(shared);
    const deaf: DatabaseHandle = {
      ...workerDatabase,
      db: workerDatabase.db.withPlugin({
        transformQuery: (args) => args.node,
        // Held after the claim ran: the worker has leased what it will
        // handle, and handles it once the test lets the answer through.
        transformResult: async (args) => {
          const claimed = args.result.rows.some((row) => "message" in row && row.message !== null);
          if (claimed && claimsHeld !== null) await claimsHeld;
          return args.result;
        },
      }),
      listen: (channel, onNotify) =>
        channel === FEDERATION_POLICY_CHANNEL
          ? Promise.resolve(async () => {})
          : workerDatabase.listen(channel, onNotify),
    };

    const port = await freePort();
    origin = new URL(`http://127.0.0.1:${port}`);
    // The database is handed to each instance, so the configuration's check
    // that split roles have a PostgreSQL URL does not apply here.
    const config = (role: Config["role"], listenPort: number): Config => ({
      ...loadConfig({
        HOST: "127.0.0.1",
        PORT: String(listenPort),
        ORIGIN: origin.href,
        ADMIN_TOKEN,
        ALLOW_PRIVATE_ADDRESS: "true",
        LOG_LEVEL: "error",
      }),
      role,
    });
    web = await startServer(config("web", port), {
      database: shared,
      keys: pooledKeyPairGenerator,
      queue: { pollIntervalMs: 100 },
    });
    worker = await startServer(config("worker", await freePort()), {
      database: deaf,
      keys: pooledKeyPairGenerator,
      queue: { pollIntervalMs: 100 },
      // Retries 100 ms apart instead of over 72 hours.
      retry: {
        delayFor: (attempt) =>
          attempt >= 5 ? null : Temporal.Duration.from({ milliseconds: 100 }),
      },
    });

    expect((await api("POST", "/api/v1/groups", { handle: "food", name: "Food" })).status).toBe(
      201,
    );
    const group = await shared.db
      .selectFrom("groups")
      .select("id")
      .where("handle", "=", "food")
      .executeTakeFirstOrThrow();
    const now = new Date();
    await shared.db
      .insertInto("followers")
      .values(
        [blocked, allowed].map((server) => ({
          id: randomUUID(),
          group_id: group.id,
          actor_id: new URL("/users/alice", server.origin).href,
          inbox_url: server.inbox.href,
          shared_inbox_url: null,
          follow_activity_id: null,
          state: "accepted" as const,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
  });

  afterAll(async () => {
    blockCommitted?.();
    await web?.stop();
    await worker?.stop();
    if (workerDatabase !== shared) await workerDatabase?.close();
    await shared?.close();
    await Promise.all([blocked?.close(), allowed?.close(), replier?.close()]);
  });

  it("drops the queued delivery instead of sending it", async () => {
    const objectId = await postNeed("Generators for the clinic", "utilities");

    // The worker judged the first attempt with the open policy, and made it.
    await expect.poll(() => blocked.posts().length, POLL).toBe(1);
    const block = await api("POST", "/api/v1/admin/federation/domains", {
      domain: BLOCKED_HOST,
      policy: "block",
    });
    expect(block.status).toBe(201);
    blockCommitted();

    await expect.poll(queueDepth, POLL).toBe(0);
    // The attempt under way when the block came fails (with the second
    // signature spec Fedify tries at once); the retry is never sent.
    expect(blocked.posts().map((post) => [post.id, post.status])).toEqual([
      [`${objectId}#create`, 500],
      [`${objectId}#create`, 500],
    ]);
    expect(allowed.accepted()).toEqual(["Create"]);
  });

  it("drops a reply the web admitted before its sender's host was blocked", async () => {
    // A delivery makes the worker load the policy as it is now, and keep it.
    const objectId = await postNeed("Blankets for the night shelter", "shelter");
    await expect.poll(() => allowed.accepted().length, POLL).toBe(2);
    await expect.poll(queueDepth, POLL).toBe(0);

    const replyId = `${replier.actorId.href}/statuses/1`;
    let release!: () => void;
    claimsHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      // Admitted: the host is not blocked yet. The worker leases it...
      const posted = await replier.postSigned(new URL("/inbox", origin), {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${replyId}/activity`,
        type: "Create",
        actor: replier.actorId.href,
        to: ["https://www.w3.org/ns/activitystreams#Public"],
        object: {
          id: replyId,
          type: "Note",
          inReplyTo: objectId,
          attributedTo: replier.actorId.href,
          to: ["https://www.w3.org/ns/activitystreams#Public"],
          content: "<p>I can bring ten blankets tonight.</p>",
        },
      });
      expect(posted.status).toBe(202);
      await expect.poll(queueDepth, POLL).toBe(1);
      // ...the web blocks the host (the worker does not hear of it)...
      const block = await api("POST", "/api/v1/admin/federation/domains", {
        domain: LATE_BLOCKED_HOST,
        policy: "block",
      });
      expect(block.status).toBe(201);
    } finally {
      // ...and only then does the worker get to handle the reply.
      claimsHeld = null;
      release();
    }
    await expect.poll(queueDepth, POLL).toBe(0);
    const stored = await shared.db
      .selectFrom("responses")
      .select("id")
      .where("actor_id", "=", replier.actorId.href)
      .execute();
    expect(stored).toEqual([]);
  });
});
