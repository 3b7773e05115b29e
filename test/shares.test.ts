import { Announce } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

interface NetworkItem {
  objectId: string;
  group: string;
  title: string;
  sharedBy: string[];
}

/**
 * A need travels A → B → C by re-shares and reaches a person who follows only
 * C; a group that gets it twice (directly and shared) keeps one copy.
 */
describe("re-sharing needs along a chain of instances", () => {
  let a: TestInstance;
  let b: TestInstance;
  let c: TestInstance;
  let person: RemoteActor;
  const tokens: Record<string, string> = {};
  const actor = (instance: TestInstance) => `${instance.config.origin.origin}/groups/aid`;

  async function follow(from: TestInstance, to: TestInstance): Promise<void> {
    const token = tokens[from.config.origin.host]!;
    const res = await from.api(
      "POST",
      "/api/v1/groups/aid/following",
      { account: actor(to) },
      token,
    );
    if (res.status !== 202) throw new Error(`follow answered ${res.status}`);
    const { id } = await res.json();
    await waitFor(`${from.config.origin.host} to follow ${to.config.origin.host}`, async () => {
      const items = (
        await (await from.api("GET", "/api/v1/groups/aid/following", undefined, token)).json()
      ).items;
      return items.find((f: { id: string }) => f.id === id)?.state === "accepted";
    });
  }

  const network = async (instance: TestInstance): Promise<NetworkItem[]> =>
    (await (await instance.api("GET", "/api/v1/groups/aid/network", undefined, null)).json()).items;

  beforeAll(async () => {
    [a, b, c, person] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
      startTestInstance({ host: "127.0.0.3" }),
      startRemoteActor("127.0.0.4"),
    ]);
    for (const instance of [a, b, c]) {
      await instance.api("POST", "/api/v1/groups", {
        handle: "aid",
        name: `Aid ${instance.config.origin.host}`,
      });
      tokens[instance.config.origin.host] = (
        await (await instance.api("POST", "/api/v1/groups/aid/tokens")).json()
      ).token;
    }
    await follow(b, a);
    await follow(c, b);
    await follow(c, a);
    await person.follow({ id: new URL(actor(c)), inbox: new URL(`${actor(c)}/inbox`) });
    await waitFor("the person's follow of C to be accepted", () => person.received.length > 0);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop(), person?.close()]);
  });

  let objectId: string;

  it("reaches a follower of C through B's and C's shares, fetched from A", async () => {
    const need = await (
      await a.api(
        "POST",
        "/api/v1/groups/aid/needs",
        {
          title: "Insulin coolers",
          category: "medication",
          quantity: { amount: 20, unit: "one" },
          urgency: "high",
        },
        tokens[a.config.origin.host],
      )
    ).json();
    objectId = need.objectId;
    await expect
      .poll(async () => (await network(b)).map((i) => i.objectId), { timeout: 15_000 })
      .toContain(objectId);

    const shared = await b.api(
      "POST",
      "/api/v1/groups/aid/shares",
      { objectId },
      tokens[b.config.origin.host],
    );
    expect(shared.status).toBe(202);
    await expect
      .poll(async () => (await network(c)).find((i) => i.objectId === objectId)?.sharedBy, {
        timeout: 15_000,
      })
      .toEqual([actor(b)]);

    expect(
      (await c.api("POST", "/api/v1/groups/aid/shares", { objectId }, tokens[c.config.origin.host]))
        .status,
    ).toBe(202);
    await expect
      .poll(() => person.received.filter((r) => r.activity instanceof Announce).length, {
        timeout: 15_000,
      })
      .toBe(1);
    const announce = person.received.find((r) => r.activity instanceof Announce)!;
    expect(announce.activity.actorId?.href).toBe(actor(c));
    expect(announce.activity.objectId?.href).toBe(objectId);
    expect(announce.json.to).toEqual("as:Public");
    // A Mastodon-like reader fetches the boosted object from its origin, A.
    const fetched = await person.fetchJson(objectId);
    expect(fetched.status).toBe(200);
    expect((fetched.json as { attributedTo: string }).attributedTo).toBe(actor(a));
  });

  it("keeps one copy on C although the need came both directly and shared", async () => {
    const copies = (await network(c)).filter((i) => i.objectId === objectId);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ group: actor(a), title: "Insulin coolers" });
    const rows = await c.database.db
      .selectFrom("remote_proposals")
      .select("id")
      .where("object_id", "=", objectId)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it("refuses to share twice, or to share what never arrived", async () => {
    const again = await b.api(
      "POST",
      "/api/v1/groups/aid/shares",
      { objectId },
      tokens[b.config.origin.host],
    );
    expect(again.status).toBe(409);
    const unknown = await b.api(
      "POST",
      "/api/v1/groups/aid/shares",
      { objectId: `${a.config.origin.origin}/objects/00000000-0000-7000-8000-000000000000` },
      tokens[b.config.origin.host],
    );
    expect(unknown.status).toBe(404);
    expect(
      (
        await b.api(
          "POST",
          "/api/v1/groups/aid/shares",
          { objectId: "not a url" },
          tokens[b.config.origin.host],
        )
      ).status,
    ).toBe(400);
    expect((await b.api("POST", "/api/v1/groups/aid/shares", { objectId }, null)).status).toBe(401);
    const rows = await b.database.db.selectFrom("shares").select("id").execute();
    expect(rows).toHaveLength(1);
  });
});
