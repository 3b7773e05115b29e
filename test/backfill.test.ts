import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  followGroup,
  type GroupNode,
  networkOf,
  startGroupNodes,
} from "./helpers/group-network.ts";

/**
 * A group that follows another after it posted still sees its open needs and
 * offers: the follower reads the outbox once the follow is accepted.
 */
describe("back-fill of a newly followed group", () => {
  let a: GroupNode;
  let b: GroupNode;
  const titles: Record<string, string> = {};

  async function post(path: "needs" | "offers", body: Record<string, unknown>) {
    const res = await a.api("POST", `/api/v1/groups/aid/${path}`, body);
    expect(res.status).toBe(201);
    const created = await res.json();
    titles[created.objectId] = created.title;
    return created;
  }

  beforeAll(async () => {
    [a, b] = await startGroupNodes(["127.0.0.1", "127.0.0.2"]);
  });
  afterAll(async () => {
    await Promise.all([a?.instance.stop(), b?.instance.stop()]);
  });

  it("stores the open public needs and offers that existed before the follow", async () => {
    const open = [
      await post("needs", { title: "Insulin coolers", category: "medication", urgency: "high" }),
      await post("needs", { title: "Tarpaulins", category: "shelter" }),
      await post("offers", { title: "Van with driver", category: "transport" }),
    ];
    const edited = await post("needs", { title: "Rice", category: "food" });
    expect(
      (await a.api("PATCH", `/api/v1/needs/${edited.id}`, { title: "Rice, 50 kg" })).status,
    ).toBe(200);
    const fulfilled = await post("needs", { title: "Blankets", category: "shelter" });
    expect(
      (await a.api("PATCH", `/api/v1/needs/${fulfilled.id}`, { status: "fulfilled" })).status,
    ).toBe(200);
    await post("needs", {
      title: "Names of the families",
      category: "other",
      audience: "followers",
    });

    await followGroup(b, a);

    const expected = [...open.map((p) => [p.objectId, p.title]), [edited.objectId, "Rice, 50 kg"]];
    await expect
      .poll(async () => (await networkOf(b)).map((item) => [item.objectId, item.title]).sort(), {
        timeout: 20_000,
      })
      .toEqual(expected.sort());
  });

  it("serves the outbox as current state: the latest version of each public item", async () => {
    const accept = { accept: "application/activity+json" };
    const outbox = await (await fetch(`${a.actor}/outbox`, { headers: accept })).json();
    expect(outbox.totalItems).toBe(5);
    const page = await (await fetch(outbox.first, { headers: accept })).json();
    const rice = page.orderedItems.find((item: { object: { name: string } }) =>
      item.object.name.startsWith("Rice"),
    );
    expect(rice).toMatchObject({ type: "Update", object: { name: "Rice, 50 kg" } });
    expect(rice.id).toMatch(/#update-\d+$/);
    const tarps = page.orderedItems.find(
      (item: { object: { name: string } }) => item.object.name === "Tarpaulins",
    );
    expect(tarps).toMatchObject({ type: "Create", actor: a.actor });
    expect(tarps.id).toMatch(/#create$/);
  });
});
