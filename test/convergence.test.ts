import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyOn, followGroup, type GroupNode, startGroupNodes } from "./helpers/group-network.ts";
import { waitFor } from "./helpers/wait.ts";

const POLL = { timeout: 20_000, interval: 100 };

/**
 * A need travels A → B → C → D by follows and re-shares: D follows only C,
 * C only B, B only A (and B also follows C, so B and C re-share to each
 * other: a loop). Every change made at A — an edit, a pledge accepted, a
 * status change, a deletion — must reach D's copy, although A does not know
 * D exists, and the relays must stop.
 */
describe("every copy along a re-share chain follows its origin", () => {
  let a: GroupNode;
  let b: GroupNode;
  let c: GroupNode;
  let d: GroupNode;
  let need: { id: string; objectId: string };

  async function shareOn(node: GroupNode): Promise<void> {
    const res = await node.api("POST", "/api/v1/groups/aid/shares", { objectId: need.objectId });
    if (res.status !== 202) throw new Error(`share answered ${res.status}`);
  }

  beforeAll(async () => {
    [a, b, c, d] = await startGroupNodes(["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    await followGroup(b, a);
    await followGroup(c, b);
    await followGroup(d, c);
    await followGroup(b, c);
    need = await (
      await a.api("POST", "/api/v1/groups/aid/needs", {
        title: "Insulin coolers",
        category: "medication",
        quantity: { amount: 20, unit: "one" },
        urgency: "high",
      })
    ).json();
    await waitFor("the need on B", () => copyOn(b, need.objectId));
    await shareOn(b);
    await waitFor("the need on C", () => copyOn(c, need.objectId));
    await shareOn(c);
    await waitFor("the need on D", () => copyOn(d, need.objectId));
  });
  afterAll(async () => {
    await Promise.all([a, b, c, d].map((node) => node?.instance.stop()));
  });

  it("D received the need only through C's share", async () => {
    expect(await copyOn(d, need.objectId)).toMatchObject({
      title: "Insulin coolers",
      status: "open",
      sharedBy: [c.actor],
    });
  });

  it("an edit at A reaches D", async () => {
    const res = await a.api("PATCH", `/api/v1/needs/${need.id}`, {
      title: "Insulin coolers, 2 litres",
    });
    expect(res.status).toBe(200);
    for (const node of [b, c, d]) {
      await expect
        .poll(async () => (await copyOn(node, need.objectId))?.title, POLL)
        .toBe("Insulin coolers, 2 litres");
    }
  });

  it("a pledge from D, accepted at A, moves the pledged amount on every copy", async () => {
    const pledge = await d.api("POST", "/api/v1/groups/aid/pledges", {
      objectId: need.objectId,
      quantity: { amount: 5, unit: "one" },
    });
    expect(pledge.status).toBe(201);
    const responses = async () =>
      (await (await a.api("GET", `/api/v1/needs/${need.id}/responses`)).json()).items as {
        id: string;
      }[];
    await expect.poll(async () => (await responses()).length, POLL).toBe(1);
    const [response] = await responses();
    expect((await a.api("POST", `/api/v1/responses/${response!.id}/accept`, {})).status).toBe(200);
    for (const node of [b, c, d]) {
      await expect
        .poll(async () => (await copyOn(node, need.objectId))?.quantity, POLL)
        .toEqual({ amount: 20, unit: "one", remaining: 15, pledged: 5 });
    }
  });

  it("D's withdrawal of its pledge gives the amount back on every copy", async () => {
    const pledges = (await (await d.api("GET", "/api/v1/groups/aid/pledges")).json()).items as {
      id: string;
    }[];
    expect(pledges).toHaveLength(1);
    const res = await d.api("POST", `/api/v1/groups/aid/pledges/${pledges[0]!.id}/withdraw`, {});
    expect(res.status).toBe(200);
    for (const node of [b, c, d]) {
      await expect
        .poll(async () => (await copyOn(node, need.objectId))?.quantity, POLL)
        .toEqual({ amount: 20, unit: "one", remaining: 20, pledged: 0 });
    }
  });

  it("marking it fulfilled at A reaches D", async () => {
    const res = await a.api("PATCH", `/api/v1/needs/${need.id}`, { status: "fulfilled" });
    expect(res.status).toBe(200);
    for (const node of [b, c, d]) {
      await expect
        .poll(async () => (await copyOn(node, need.objectId))?.status, POLL)
        .toBe("fulfilled");
    }
  });

  it("deleting it at A removes every copy, and the relays stop", async () => {
    expect((await a.api("DELETE", `/api/v1/needs/${need.id}`)).status).toBe(204);
    for (const node of [b, c, d]) {
      await expect.poll(() => copyOn(node, need.objectId), POLL).toBeUndefined();
    }
    // B and C re-share to each other: each passes a change on once, then
    // drops it when it comes back, so every queue drains.
    for (const node of [a, b, c, d]) {
      await expect
        .poll(async () => {
          const row = await node.instance.database.db
            .selectFrom("fedify_queue")
            .select((eb) => eb.fn.countAll<string>().as("n"))
            .executeTakeFirstOrThrow();
          return Number(row.n);
        }, POLL)
        .toBe(0);
    }
    const relayed = await c.instance.database.db
      .selectFrom("relayed_changes")
      .select("activity_id")
      .where("object_id", "=", need.objectId)
      .execute();
    expect(relayed.map((r) => new URL(r.activity_id).hash)).toContain("#delete");
  });
});
