import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { storeRemoteProposal } from "../src/db/remote-proposals.repo.ts";
import { newId } from "../src/domain/ids.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { postForm } from "./helpers/form-post.ts";
import {
  copyOn,
  followGroup,
  type GroupNode,
  type NetworkItem,
  startGroupNodes,
} from "./helpers/group-network.ts";
import { ADMIN_TOKEN, freePort } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { pooledKeyPairGenerator } from "./helpers/test-keys.ts";

/**
 * Reconciliation (FEDERATION.md, "Reconciliation"): a copy whose origin
 * changed while the Update was lost is repaired once its confirmation is
 * old; a copy gone at its origin is removed; an origin that stays down
 * makes its copies stale, and they are current again once it answers; one
 * run asks each origin for a bounded number of copies. The follower's clock
 * is injected: hours pass at once.
 */

/** A clock that runs with real time, `ahead` hours in the future. */
function movableClock() {
  let ahead = 0;
  return {
    clock: () => Temporal.Now.instant().add({ hours: ahead }),
    advance(hours: number) {
      ahead += hours;
    },
  };
}

type StaleItem = NetworkItem & { stale: boolean; confirmedAt: string };

/** An origin instance whose HTTP server can stop and start again on the same port and database. */
async function startOrigin(host: string) {
  const port = await freePort(host);
  const config = loadConfig({
    HOST: host,
    PORT: String(port),
    ORIGIN: `http://${host}:${port}`,
    ADMIN_TOKEN,
    ALLOW_PRIVATE_ADDRESS: "true",
    LOG_LEVEL: "warning",
  });
  const database = await createTestDatabase();
  const start = () =>
    startServer(config, {
      database,
      keys: pooledKeyPairGenerator,
      queue: { pollIntervalMs: 200 },
    });
  let server: RunningServer | null = await start();
  const admin = (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) =>
    fetch(new URL(path, config.origin), {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  await admin("POST", "/api/v1/groups", { handle: "aid", name: "Aid origin" });
  const { token } = await (await admin("POST", "/api/v1/groups/aid/tokens")).json();
  const node = {
    handle: "aid",
    token,
    actor: `${config.origin.origin}/groups/aid`,
    api: (method: string, path: string, body?: unknown) => admin(method, path, body, token),
    instance: {
      config,
      database,
      api: admin,
      stop: async () => {
        await server?.stop();
        server = null;
        await database.close();
      },
    },
  } as unknown as GroupNode;
  return {
    node,
    database,
    async down() {
      await server?.stop();
      server = null;
    },
    async up() {
      server = await start();
    },
  };
}

describe("reconciliation of received copies", () => {
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  let a: GroupNode;
  let b: GroupNode;
  const time = movableClock();

  beforeAll(async () => {
    origin = await startOrigin("127.0.0.1");
    a = origin.node;
    [b] = await startGroupNodes(["127.0.0.2"], "aid", {
      clock: time.clock,
      jobs: { reconciliation: { intervalMs: 200 } },
    });
    await followGroup(b!, a);
  });
  afterAll(async () => {
    await Promise.all([a?.instance.stop(), b?.instance.stop()]);
  });

  async function post(title: string): Promise<{ id: string; objectId: string }> {
    const res = await a.api("POST", "/api/v1/groups/aid/needs", { title, category: "food" });
    expect(res.status).toBe(201);
    const created = await res.json();
    await expect.poll(async () => (await copyOn(b, created.objectId))?.title).toBe(title);
    return created;
  }

  let session: string | undefined;
  /** B's workspace network page, as a coordinator signed in with an invitation sees it. */
  async function networkPage(): Promise<string> {
    if (session === undefined) {
      const invitation = await (
        await b.instance.api("POST", "/api/v1/admin/invitations", { group: "aid" })
      ).json();
      const res = await postForm(new URL(invitation.url), {
        username: "ben",
        password: "a long passphrase",
        passwordAgain: "a long passphrase",
      });
      expect(res.status).toBe(303);
      session = [res.headers["set-cookie"] ?? []]
        .flat()
        .find((c) => c.startsWith("session="))!
        .split(";")[0]!;
    }
    const res = await fetch(new URL("/workspace/groups/aid/network", b.instance.config.origin), {
      headers: { cookie: session },
      redirect: "manual",
    });
    expect(res.status).toBe(200);
    return res.text();
  }

  const staleCopy = async (objectId: string) =>
    (await copyOn(b, objectId)) as StaleItem | undefined;

  it("repairs a copy whose Update was lost, and confirms one that did not change", async () => {
    const changed = await post("Rice, 50 kg");
    const same = await post("Drinking water");
    const before = (await staleCopy(same.objectId))!.confirmedAt;
    // The change is written at the origin without any Update leaving it.
    await sql`
      UPDATE proposals SET title = 'Rice, 80 kg', updated_at = now() WHERE id = ${changed.id}
    `.execute(origin.database.db);
    expect((await a.api("GET", `/api/v1/needs/${changed.id}`).then((r) => r.json())).title).toBe(
      "Rice, 80 kg",
    );
    expect((await copyOn(b, changed.objectId))?.title).toBe("Rice, 50 kg");

    time.advance(7);
    await expect
      .poll(async () => (await copyOn(b, changed.objectId))?.title, { timeout: 15_000 })
      .toBe("Rice, 80 kg");
    await expect
      .poll(async () => (await staleCopy(same.objectId))?.confirmedAt, { timeout: 15_000 })
      .not.toBe(before);
    const confirmed = (await staleCopy(same.objectId))!;
    expect(Temporal.Instant.compare(confirmed.confirmedAt, before)).toBe(1);
    expect(confirmed.stale).toBe(false);
  });

  it("removes a copy whose object is gone at its origin", async () => {
    const gone = await post("Tarpaulins");
    await sql`UPDATE proposals SET deleted_at = now() WHERE id = ${gone.id}`.execute(
      origin.database.db,
    );
    expect(await copyOn(b, gone.objectId)).toBeDefined();
    time.advance(7);
    await expect.poll(async () => copyOn(b, gone.objectId), { timeout: 15_000 }).toBeUndefined();
  });

  it("marks copies stale while their origin is down, and current once it answers", async () => {
    const need = await post("Generator fuel");
    await origin.down();
    time.advance(7);
    // Asked and unanswered: not confirmed, but not yet stale.
    const copyRow = () =>
      b.instance.database.db
        .selectFrom("remote_proposals")
        .select(["unreachable_since", "stale"])
        .where("object_id", "=", need.objectId)
        .executeTakeFirstOrThrow();
    await expect
      .poll(async () => (await copyRow()).unreachable_since, { timeout: 15_000 })
      .not.toBeNull();
    expect((await staleCopy(need.objectId))?.stale).toBe(false);
    const board = async () =>
      (await b.instance.api("GET", "/groups/aid/board", undefined, null)).text();
    expect(await board()).not.toContain('data-stale="true"');

    time.advance(3 * 24 + 1);
    await expect
      .poll(async () => (await staleCopy(need.objectId))?.stale, { timeout: 15_000 })
      .toBe(true);
    const html = await board();
    expect(html).toContain('data-stale="true"');
    expect(html).toContain("Not confirmed since");
    const es = await (
      await fetch(new URL("/groups/aid/board", b.instance.config.origin), {
        headers: { "accept-language": "es" },
      })
    ).text();
    expect(es).toContain("Sin confirmar desde");
    // The coordinators' network page, where pledges are made, says it too.
    const workspace = await networkPage();
    expect(workspace).toContain('data-stale="true"');
    expect(workspace).toContain("Not confirmed since");

    await origin.up();
    time.advance(2);
    await expect
      .poll(async () => (await staleCopy(need.objectId))?.stale, { timeout: 15_000 })
      .toBe(false);
    expect((await copyRow()).unreachable_since).toBeNull();
    // The origin's other copies, asked a few per run, follow.
    await expect.poll(board, { timeout: 15_000 }).not.toContain('data-stale="true"');
    expect(await networkPage()).not.toContain('data-stale="true"');
  });
});

describe("reconciliation bounds", () => {
  let node: GroupNode;
  let busy: RemoteActor;
  let quiet: RemoteActor;
  const time = movableClock();

  beforeAll(async () => {
    [busy, quiet] = await Promise.all([
      startRemoteActor("127.0.0.3"),
      startRemoteActor("127.0.0.4"),
    ]);
    // No timer during the test: each run is started by hand.
    [node] = await startGroupNodes(["127.0.0.5"], "aid", {
      clock: time.clock,
      jobs: { reconciliation: { intervalMs: 3_600_000, perOrigin: 2, perRun: 3 } },
    });
  });
  afterAll(async () => {
    await Promise.all([node?.instance.stop(), busy?.close(), quiet?.close()]);
  });

  /** A copy of an object on `actor`'s server, as if received when the clock said `now`. */
  async function holdCopy(actor: RemoteActor, n: number) {
    const now = time.clock();
    const objectId = new URL(`/objects/${n}`, actor.origin).href;
    await storeRemoteProposal(
      node.instance.database.db,
      {
        objectId,
        originActorId: actor.actorId.href,
        kind: "proposal",
        purpose: "request",
        title: `Need ${n}`,
        summaryText: "",
        category: "food",
        categoryUri: null,
        quantity: null,
        remainingAmount: null,
        quantityStep: null,
        intentId: null,
        location: null,
        urgency: "normal",
        status: "open",
        expiresAt: null,
        url: null,
        publishedAt: now,
        updatedAt: now,
      },
      newId(),
      now,
    );
    return objectId;
  }

  /**
   * The objects asked for at a fake origin. A refused signed fetch is tried
   * once more under the other signature standard (Fedify's double knock), so
   * one object may show two GETs: objects are counted, not requests.
   */
  const objectGets = (actor: RemoteActor) => [
    ...new Set(actor.gets.filter((p) => p.startsWith("/objects/"))),
  ];

  it("asks each origin for at most perOrigin copies, and at most perRun in all, per run", async () => {
    for (let n = 1; n <= 5; n++) await holdCopy(busy, n);
    await holdCopy(quiet, 1);
    await holdCopy(quiet, 2);

    // Confirmed just now: nothing is due.
    expect(await node.instance.instance.reconcile()).toMatchObject({ asked: 0 });
    expect(objectGets(busy)).toEqual([]);

    time.advance(7);
    const first = await node.instance.instance.reconcile();
    expect(first?.asked).toBe(3);
    expect(objectGets(busy)).toHaveLength(2);
    expect(objectGets(quiet)).toHaveLength(1);
    // Both answered 404: the copies asked about are gone.
    expect(first?.outcomes.gone).toBe(3);

    const second = await node.instance.instance.reconcile();
    expect(second?.asked).toBe(3);
    expect(objectGets(busy)).toHaveLength(4);
    expect(objectGets(quiet)).toHaveLength(2);

    const left = await node.instance.database.db
      .selectFrom("remote_proposals")
      .select("object_id")
      .execute();
    expect(left).toHaveLength(1);
  });

  it("runs in one process at a time: a lease held elsewhere stops the run", async () => {
    await holdCopy(busy, 9);
    time.advance(7);
    await node.instance.database.db
      .updateTable("job_leases")
      .set({
        holder: "another-worker",
        until: new Date(time.clock().add({ hours: 1 }).epochMilliseconds),
      })
      .where("name", "=", "reconciliation")
      .execute();
    const before = objectGets(busy).length;
    expect(await node.instance.instance.reconcile()).toBeNull();
    expect(objectGets(busy)).toHaveLength(before);
    time.advance(2);
    expect((await node.instance.instance.reconcile())?.asked).toBeGreaterThan(0);
  });
});
