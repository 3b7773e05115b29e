import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/domain/ids.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

interface NetworkItem {
  objectId: string;
  group: string;
  sharedBy: string[];
}

const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/**
 * Blocking a domain takes what came from it out of the instance: three real
 * instances on loopback addresses and alice, a plain-Fedify server. C's
 * groups `aid` and `water` follow B; C's `aid` follows A and alice too; B
 * follows A and alice, and re-shares what they publish.
 */
describe("a block purges content already received from the domain", () => {
  let a: TestInstance;
  let b: TestInstance;
  let c: TestInstance;
  let alice: RemoteActor;
  const tokens = new Map<TestInstance, Record<string, string>>();
  const actor = (instance: TestInstance, handle = "aid") =>
    `${instance.config.origin.origin}/groups/${handle}`;

  async function follow(from: TestInstance, handle: string, to: TestInstance): Promise<void> {
    const token = tokens.get(from)![handle]!;
    const res = await from.api(
      "POST",
      `/api/v1/groups/${handle}/following`,
      { account: actor(to) },
      token,
    );
    if (res.status !== 202) throw new Error(`follow answered ${res.status}`);
    const { id } = await res.json();
    await waitFor(
      `${from.config.origin.host}/${handle} to follow ${to.config.origin.host}`,
      async () => {
        const items = (
          await (
            await from.api("GET", `/api/v1/groups/${handle}/following`, undefined, token)
          ).json()
        ).items;
        return items.find((f: { id: string }) => f.id === id)?.state === "accepted";
      },
    );
  }

  async function feed(instance: TestInstance, handle: string): Promise<NetworkItem[]> {
    const res = await instance.api("GET", `/api/v1/groups/${handle}/network`, undefined, null);
    expect(res.status).toBe(200);
    return (await res.json()).items;
  }
  const ids = async (instance: TestInstance, handle: string) =>
    (await feed(instance, handle)).map((item) => item.objectId).sort();

  async function publish(instance: TestInstance, title: string): Promise<string> {
    const res = await instance.api(
      "POST",
      "/api/v1/groups/aid/needs",
      { title, category: "water" },
      tokens.get(instance)!.aid,
    );
    expect(res.status).toBe(201);
    return (await res.json()).objectId;
  }

  async function block(instance: TestInstance, host: string) {
    const res = await instance.api("POST", "/api/v1/admin/federation/domains", {
      domain: host,
      policy: "block",
    });
    expect(res.status).toBe(201);
    return (await res.json()).removed;
  }

  const queueEmpty = (instance: TestInstance) =>
    expect
      .poll(
        async () =>
          (await instance.database.db.selectFrom("fedify_queue").select("id").execute()).length,
        { timeout: 15_000 },
      )
      .toBe(0);

  beforeAll(async () => {
    [a, b, c, alice] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
      startTestInstance({ host: "127.0.0.3" }),
      startRemoteActor("127.0.0.4"),
    ]);
    for (const [instance, handles] of [
      [a, ["aid"]],
      [b, ["aid"]],
      [c, ["aid", "water"]],
    ] as const) {
      const byHandle: Record<string, string> = {};
      for (const handle of handles) {
        await instance.api("POST", "/api/v1/groups", { handle, name: `${handle} group` });
        byHandle[handle] = (
          await (await instance.api("POST", `/api/v1/groups/${handle}/tokens`)).json()
        ).token;
      }
      tokens.set(instance, byHandle);
    }
    await follow(b, "aid", a);
    await follow(c, "aid", b);
    await follow(c, "water", b);
    await follow(c, "aid", a);
    // B's and C's `aid` follow alice (accepted; she is no group software).
    for (const instance of [b, c]) {
      const group = await instance.database.db
        .selectFrom("groups")
        .select("id")
        .where("handle", "=", "aid")
        .executeTakeFirstOrThrow();
      const now = new Date();
      await instance.database.db
        .insertInto("following")
        .values({
          id: newId(),
          group_id: group.id,
          actor_id: alice.actorId.href,
          inbox_url: alice.inbox.href,
          shared_inbox_url: alice.sharedInbox.href,
          follow_activity_id: `${actor(instance)}#follows/alice`,
          state: "accepted",
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop(), alice?.close()]);
  });

  let needA: string;
  let needB: string;
  let note: string;

  it("gets needs and shares to C: A's need reaches C's `water` only through B's share", async () => {
    needA = await publish(a, "Drinking water, 200 litres");
    needB = await publish(b, "Water purification tablets");
    note = alice.publish("/notes/1", {
      "@context": AS_CONTEXT,
      id: new URL("/notes/1", alice.origin).href,
      type: "Note",
      attributedTo: alice.actorId.href,
      to: [PUBLIC],
      content: "Buckets at the school gym",
    }).href;
    for (const instance of [b, c]) {
      const res = await alice.postSigned(new URL("/inbox", instance.config.origin), {
        "@context": AS_CONTEXT,
        id: `${note}#create`,
        type: "Create",
        actor: alice.actorId.href,
        to: [PUBLIC],
        object: note,
      });
      expect(res.status).toBe(202);
    }
    await expect.poll(() => ids(b, "aid"), { timeout: 15_000 }).toEqual([needA, note].sort());
    for (const objectId of [needA, note]) {
      const shared = await b.api(
        "POST",
        "/api/v1/groups/aid/shares",
        { objectId },
        tokens.get(b)!.aid,
      );
      expect(shared.status).toBe(202);
    }
    await expect
      .poll(async () => (await feed(c, "aid")).map((i) => [i.objectId, i.sharedBy]), {
        timeout: 15_000,
      })
      .toEqual(
        expect.arrayContaining([
          [needA, [actor(b)]],
          [needB, []],
          [note, [actor(b)]],
        ]),
      );
    await expect
      .poll(() => ids(c, "water"), { timeout: 15_000 })
      .toEqual([needA, needB, note].sort());
  });

  it("takes a blocked domain's needs out of every feed when the block commits, shared ones too", async () => {
    const removed = await block(c, "127.0.0.1");
    expect(removed).toEqual({
      followers: 0,
      following: 1,
      remoteProposals: 1,
      remoteShares: 0,
      incidentParticipants: 0,
      incidentCopies: 0,
    });
    // At once, without waiting for anything: A's need is gone, also from
    // `water`, which had it only through B's share.
    expect(await ids(c, "aid")).toEqual([needB, note].sort());
    expect(await ids(c, "water")).toEqual([needB, note].sort());
  });

  it("takes a blocked group's shares out with its own needs", async () => {
    const removed = await block(c, "127.0.0.2");
    expect(removed).toEqual({
      followers: 0,
      following: 2,
      remoteProposals: 1,
      remoteShares: 1,
      incidentParticipants: 0,
      incidentCopies: 0,
    });
    // Alice's note stays where C follows her, without B's share.
    const aid = await feed(c, "aid");
    expect(aid.map((item) => [item.objectId, item.sharedBy])).toEqual([[note, []]]);
    expect(await feed(c, "water")).toEqual([]);
    const shares = await c.database.db.selectFrom("remote_shares").selectAll().execute();
    expect(shares).toEqual([]);
  });

  it("stores nothing from a blocked domain afterwards", async () => {
    // A still counts C among its followers and delivers; C refuses it (403),
    // which A takes as final: wait until every delivery was tried once.
    const later = await publish(a, "Jerrycans");
    await expect
      .poll(
        async () =>
          (
            await a.database.db
              .selectFrom("fedify_queue")
              .select("id")
              .where("attempts", "=", 0)
              .execute()
          ).length +
          (await a.database.db.selectFrom("pending_activities").select("id").execute()).length,
        { timeout: 15_000 },
      )
      .toBe(0);
    await expect
      .poll(
        async () =>
          (
            await a.database.db
              .selectFrom("delivery_failures")
              .select(["inbox_url", "reason"])
              .where("activity_id", "like", "%#create")
              .execute()
          ).filter((row) => new URL(row.inbox_url).origin === c.config.origin.origin),
        { timeout: 15_000 },
      )
      .toEqual([expect.objectContaining({ reason: "refused" })]);
    expect(await a.database.db.selectFrom("fedify_queue").select("id").execute()).toEqual([]);
    await queueEmpty(c);
    const rows = await c.database.db.selectFrom("remote_proposals").select("object_id").execute();
    expect(rows.map((row) => row.object_id)).toEqual([note]);
    expect(await ids(c, "aid")).not.toContain(later);
  });
});
