import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/domain/ids.ts";
import { htmlElements, htmlTextContent, readRss } from "./helpers/feed-reader.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { waitFor } from "./helpers/wait.ts";

const LOCAL_HOSTILE = '<img src=x onerror="alert(1)"> local';
const REMOTE_HOSTILE = "<script>alert(2)</script><svg onload=alert(3)> remote";

/**
 * A's network feed read as a feed reader reads it: hostile text written on A
 * and hostile text received from B (over a signed delivery) must both come out
 * of the reader's HTML parser as text, without a single element.
 */
describe("RSS descriptions in a feed reader", () => {
  let a: TestInstance;
  let b: TestInstance;
  let remoteObjectId = "";

  const groupId = async (instance: TestInstance, handle: string) =>
    (
      await instance.database.db
        .selectFrom("groups")
        .select("id")
        .where("handle", "=", handle)
        .executeTakeFirstOrThrow()
    ).id;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
    ]);
    await a.api("POST", "/api/v1/groups", {
      handle: "food",
      name: "City A Food",
      summary: "<iframe src=//evil.example></iframe>",
    });
    await b.api("POST", "/api/v1/groups", { handle: "relief", name: "City B Relief" });
    const tokenA = (await (await a.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    const tokenB = (await (await b.api("POST", "/api/v1/groups/relief/tokens")).json()).token;
    const food = `${a.config.origin.origin}/groups/food`;
    const relief = `${b.config.origin.origin}/groups/relief`;
    const now = new Date();
    // A follows B, accepted on both sides, so B's needs reach A's network.
    await a.database.db
      .insertInto("following")
      .values({
        id: newId(),
        group_id: await groupId(a, "food"),
        actor_id: relief,
        inbox_url: `${relief}/inbox`,
        shared_inbox_url: `${b.config.origin.origin}/inbox`,
        follow_activity_id: `${food}#follows/relief`,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();
    await b.database.db
      .insertInto("followers")
      .values({
        id: newId(),
        group_id: await groupId(b, "relief"),
        actor_id: food,
        inbox_url: `${food}/inbox`,
        shared_inbox_url: `${a.config.origin.origin}/inbox`,
        follow_activity_id: null,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();

    const local = await a.api(
      "POST",
      "/api/v1/groups/food/needs",
      { title: "Water", description: LOCAL_HOSTILE, category: "water" },
      tokenA,
    );
    expect(local.status).toBe(201);
    const remote = await b.api(
      "POST",
      "/api/v1/groups/relief/needs",
      { title: "Tents", description: REMOTE_HOSTILE, category: "shelter" },
      tokenB,
    );
    expect(remote.status).toBe(201);
    remoteObjectId = (await remote.json()).objectId;
    await waitFor("B's need in A's network", async () => {
      const feed = await (
        await a.api("GET", "/api/v1/groups/food/network", undefined, null)
      ).json();
      return feed.items.some((i: { objectId: string }) => i.objectId === remoteObjectId);
    });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("finds no element in any description, local or remote, and shows the text", async () => {
    const read = async (path: string) => {
      const res = await a.api("GET", path, undefined, null);
      expect(res.status, path).toBe(200);
      return readRss(await res.text());
    };
    const own = await read("/groups/food/feed.rss");
    const network = await read("/groups/food/network/feed.rss");
    const descriptions = [...own.descriptions, ...network.descriptions];
    expect(descriptions.length).toBeGreaterThanOrEqual(2);
    for (const html of [...descriptions, own.channelDescription, network.channelDescription]) {
      expect(htmlElements(html), html).toEqual([]);
    }
    expect(own.descriptions.map(htmlTextContent).some((t) => t.includes(LOCAL_HOSTILE))).toBe(true);
    expect(network.descriptions.map(htmlTextContent).some((t) => t.includes(REMOTE_HOSTILE))).toBe(
      true,
    );
    expect(htmlTextContent(own.channelDescription)).toBe("<iframe src=//evil.example></iframe>");
  });
});
