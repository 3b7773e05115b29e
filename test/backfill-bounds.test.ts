import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKFILL_LIMITS } from "../federation/inbox/backfill.ts";
import { type GroupNode, startGroupNodes } from "./helpers/group-network.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";

/**
 * A followed server whose outbox is cyclic, endless, oversized or malformed:
 * the back-fill reads it within its bounds, stores what is valid, and never
 * fails the follow. Each scenario re-publishes the outbox and answers the
 * follow again (a repeated Accept reads the outbox again).
 */
describe("back-fill from a hostile outbox", () => {
  let author: GroupNode;
  let b: GroupNode;
  let mallory: RemoteActor;
  let template: Record<string, unknown>;
  let followActivityId: string;
  let accepts = 0;

  const url = (path: string) => new URL(path, mallory.origin).href;
  /** A need on mallory's server, attributed to alice, built from a real one. */
  function publishNeed(path: string, title: string): string {
    const id = url(path);
    mallory.publish(path, {
      ...template,
      id,
      attributedTo: mallory.actorId.href,
      url: id,
      cc: [],
      name: title,
    });
    return id;
  }
  const create = (objectId: string) => ({
    type: "Create",
    actor: mallory.actorId.href,
    object: objectId,
  });
  const page = (path: string, items: unknown[], next?: string) =>
    mallory.publish(path, {
      "@context": AS_CONTEXT,
      id: url(path),
      type: "OrderedCollectionPage",
      orderedItems: items,
      ...(next === undefined ? {} : { next: url(next) }),
    });
  const outbox = (first: unknown) =>
    mallory.publish("/outbox", {
      "@context": AS_CONTEXT,
      id: url("/outbox"),
      type: "OrderedCollection",
      first,
    });
  const stored = async () =>
    (
      await b.instance.database.db
        .selectFrom("remote_proposals")
        .select("object_id")
        .where("origin_actor_id", "=", mallory.actorId.href)
        .execute()
    )
      .map((r) => new URL(r.object_id).pathname)
      .sort();
  const fetchesOf = (path: string) => mallory.gets.filter((p) => p === path).length;

  /** Answers B's follow again and waits until B has handled it. */
  async function acceptAgain(): Promise<void> {
    mallory.gets.length = 0;
    const res = await mallory.postSigned(new URL("/inbox", b.instance.config.origin), {
      "@context": AS_CONTEXT,
      id: url(`/accepts/${++accepts}`),
      type: "Accept",
      actor: mallory.actorId.href,
      object: followActivityId,
    });
    expect(res.status).toBe(202);
    await expect
      .poll(
        async () =>
          (await b.instance.database.db.selectFrom("fedify_queue").select("id").execute()).length,
        { timeout: 20_000 },
      )
      .toBe(0);
    expect(mallory.gets).toContain("/outbox");
  }

  beforeAll(async () => {
    [[author, b], mallory] = await Promise.all([
      startGroupNodes(["127.0.0.1", "127.0.0.2"]),
      startRemoteActor("127.0.0.3"),
    ]);
    const need = await (
      await author.api("POST", "/api/v1/groups/aid/needs", { title: "Template", category: "food" })
    ).json();
    template = (await mallory.fetchJson(need.objectId)).json as Record<string, unknown>;
    // Alice's own actor document, with an outbox.
    const actor = (await mallory.fetchJson(mallory.actorId)).json as Record<string, unknown>;
    mallory.publish(mallory.actorId.pathname, { ...actor, outbox: url("/outbox") });
    outbox(null);
    const res = await b.api("POST", "/api/v1/groups/aid/following", {
      account: mallory.actorId.href,
    });
    if (res.status !== 202) throw new Error(`follow answered ${res.status}`);
    const followed = await waitFor("B's follow of alice", async () => {
      const row = await b.instance.database.db
        .selectFrom("following")
        .select("follow_activity_id")
        .where("actor_id", "=", mallory.actorId.href)
        .executeTakeFirst();
      return row?.follow_activity_id;
    });
    followActivityId = followed!;
  });
  afterAll(async () => {
    await Promise.all([author?.instance.stop(), b?.instance.stop(), mallory?.close()]);
  });

  it("reads each page of a cycle once", async () => {
    publishNeed("/objects/c1", "Cycle one");
    publishNeed("/objects/c2", "Cycle two");
    page("/cycle/1", [create(url("/objects/c1"))], "/cycle/2");
    page("/cycle/2", [create(url("/objects/c2"))], "/cycle/1");
    outbox(url("/cycle/1"));
    await acceptAgain();
    expect(await stored()).toEqual(["/objects/c1", "/objects/c2"]);
    expect([fetchesOf("/cycle/1"), fetchesOf("/cycle/2")]).toEqual([1, 1]);
    const following = await b.instance.database.db
      .selectFrom("following")
      .select("state")
      .where("actor_id", "=", mallory.actorId.href)
      .executeTakeFirstOrThrow();
    expect(following.state).toBe("accepted");
  });

  it("stops an endless chain of pages at the page limit", async () => {
    for (let i = 1; i <= 15; i++) {
      publishNeed(`/objects/e${i}`, `Endless ${i}`);
      page(`/endless/${i}`, [create(url(`/objects/e${i}`))], `/endless/${i + 1}`);
    }
    outbox(url("/endless/1"));
    await acceptAgain();
    const max = BACKFILL_LIMITS.maxPages;
    expect(fetchesOf(`/endless/${max}`)).toBe(1);
    expect(fetchesOf(`/endless/${max + 1}`)).toBe(0);
    expect((await stored()).filter((p) => p.startsWith("/objects/e"))).toHaveLength(max);
  });

  it("reads at most the item limit of a long page, and skips what is not the author's", async () => {
    const items: unknown[] = [
      42,
      "not an activity",
      { type: "Announce", actor: mallory.actorId.href, object: url("/objects/a1") },
      create("https://elsewhere.example/objects/1"),
      { type: "Create", object: { id: url("/objects/embedded") } },
    ];
    publishNeed("/objects/embedded", "Embedded reference");
    publishNeed("/objects/a1", "Announced");
    for (let i = 0; i < 250; i++) items.push(create(url(`/objects/missing-${i}`)));
    page("/long/1", items);
    outbox(url("/long/1"));
    await acceptAgain();
    expect(await stored()).toContain("/objects/embedded");
    expect(await stored()).not.toContain("/objects/a1");
    const missing = new Set(mallory.gets.filter((p) => p.startsWith("/objects/missing-"))).size;
    // Five odd items, then missing-0 … missing-194: 200 items read in all.
    expect(missing).toBe(BACKFILL_LIMITS.maxItemsPerPage - 5);
  });

  it("stops at a page over the size cap, keeping the pages before it", async () => {
    publishNeed("/objects/h1", "Before the huge page");
    page("/huge/1", [create(url("/objects/h1"))], "/huge/2");
    mallory.publish("/huge/2", {
      "@context": AS_CONTEXT,
      id: url("/huge/2"),
      type: "OrderedCollectionPage",
      orderedItems: [create(url("/objects/h2"))],
      padding: "x".repeat(1_100_000),
    });
    publishNeed("/objects/h2", "After the huge page");
    outbox({ type: "OrderedCollectionPage", id: url("/huge/1") });
    await acceptAgain();
    expect(await stored()).toContain("/objects/h1");
    expect(await stored()).not.toContain("/objects/h2");
  });

  it("shrugs off a malformed outbox", async () => {
    outbox(42);
    await acceptAgain();
    mallory.publish("/outbox", "not json at all");
    await acceptAgain();
    mallory.publish("/outbox", {
      "@context": AS_CONTEXT,
      type: "OrderedCollection",
      first: url("/nowhere"),
    });
    await acceptAgain();
    expect(await stored()).toContain("/objects/c1");
  });
});
