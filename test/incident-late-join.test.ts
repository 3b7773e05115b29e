import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GroupNode, startGroupNodes } from "./helpers/group-network.ts";
import { waitFor } from "./helpers/wait.ts";

/**
 * A group that joins an incident late sees every need already on its board:
 * the owner's and a participant's, although it follows neither.
 */
describe("a late join of an incident", () => {
  let owner: GroupNode;
  let early: GroupNode;
  let late: GroupNode;
  let incident: { id: string; objectId: string };
  const tagged: string[] = [];

  async function join(node: GroupNode): Promise<string> {
    const res = await node.api("POST", "/api/v1/groups/aid/incident-joins", {
      incidentId: incident.objectId,
    });
    if (res.status !== 202) throw new Error(`join answered ${res.status}`);
    const joined = await res.json();
    await waitFor("the join to be accepted", async () => {
      const items = (await (await node.api("GET", "/api/v1/groups/aid/incidents")).json())
        .items as { objectId: string; participation: string | null }[];
      return items.find((i) => i.objectId === incident.objectId)?.participation === "accepted";
    });
    return joined.id;
  }

  async function post(node: GroupNode, title: string, extra: Record<string, unknown> = {}) {
    const res = await node.api("POST", "/api/v1/groups/aid/needs", {
      title,
      category: "shelter",
      incident: incident.objectId,
      ...extra,
    });
    if (res.status !== 201) throw new Error(`posting answered ${res.status}`);
    return (await res.json()).objectId as string;
  }

  const board = async (node: GroupNode, id: string) =>
    (
      (
        await (
          await node.instance.api("GET", `/api/v1/incidents/${id}/board`, undefined, null)
        ).json()
      ).items as { objectId: string }[]
    ).map((item) => item.objectId);

  beforeAll(async () => {
    [owner, early, late] = await startGroupNodes(["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
    const opened = await owner.api("POST", "/api/v1/groups/aid/incidents", {
      name: "Typhoon Mara",
      area: { center: { latitude: 14.6, longitude: 121 }, radiusKm: 200 },
      startsAt: "2026-11-20T00:00:00Z",
    });
    incident = await opened.json();
    const earlyId = await join(early);
    for (const title of ["Tents", "Tarps", "Ropes"]) tagged.push(await post(early, title));
    for (const title of ["Generators", "Lamps"]) tagged.push(await post(owner, title));
    // Not on the board: closed, and not tagged.
    const closed = await post(owner, "Old request");
    const closedId = new URL(closed).pathname.split("/").pop();
    await owner.api("PATCH", `/api/v1/needs/${closedId}`, { status: "closed" });
    await post(owner, "Untagged", { incident: undefined });
    await waitFor("the early participant's board", async () =>
      (await board(early, earlyId)).length === 5 ? true : null,
    );
  });
  afterAll(async () => {
    await Promise.all([owner, early, late].map((node) => node?.instance.stop()));
  });

  it("serves the board's needs as the incident's taggedItems collection", async () => {
    const accept = { accept: "application/activity+json" };
    const event = await (await fetch(incident.objectId, { headers: accept })).json();
    expect(event.taggedItems).toBe(`${incident.objectId}/items`);
    const items = await (await fetch(event.taggedItems, { headers: accept })).json();
    const ids = (items.items ?? items.orderedItems).map((item: { id: string }) => item.id);
    expect(ids.sort()).toEqual([...tagged].sort());
  });

  it("fills the late joiner's board with every tagged need posted before it joined", async () => {
    const lateId = await join(late);
    await expect
      .poll(async () => (await board(late, lateId)).sort(), { timeout: 20_000 })
      .toEqual([...tagged].sort());
  });
});
