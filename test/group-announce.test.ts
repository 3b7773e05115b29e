import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/domain/ids.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";

const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

interface NetworkItem {
  objectId: string;
  group: string;
  kind: string;
  summary: string;
  sharedBy: string[];
}

/**
 * FEP-1b12 groups (Lemmy and others) announce the whole activity,
 * `Announce(Create(Note))`, not the object's id. A real instance receives
 * them from a plain-Fedify server on another loopback address whose actor
 * alice stands for such a group, over HTTP with verified signatures.
 */
describe("Announce of a whole Create or Update (FEP-1b12)", () => {
  let a: TestInstance;
  let lemmy: RemoteActor;
  /** Another server, for activities that speak of what is not theirs. */
  let elsewhere: RemoteActor;
  let inbox: URL;
  let carol: string;

  async function network(): Promise<NetworkItem[]> {
    const res = await a.api("GET", "/api/v1/groups/food/network", undefined, null);
    expect(res.status).toBe(200);
    return (await res.json()).items;
  }
  const itemOf = async (objectId: string) =>
    (await network()).find((item) => item.objectId === objectId);
  const drained = () =>
    expect
      .poll(
        async () => (await a.database.db.selectFrom("fedify_queue").select("id").execute()).length,
        {
          timeout: 15_000,
        },
      )
      .toBe(0);

  beforeAll(async () => {
    [a, lemmy, elsewhere] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startRemoteActor("127.0.0.7"),
      startRemoteActor("127.0.0.8"),
    ]);
    await a.api("POST", "/api/v1/groups", { handle: "food", name: "City A Food" });
    const group = await a.database.db
      .selectFrom("groups")
      .select("id")
      .where("handle", "=", "food")
      .executeTakeFirstOrThrow();
    const now = new Date();
    // A's food group follows the remote group (accepted).
    await a.database.db
      .insertInto("following")
      .values({
        id: newId(),
        group_id: group.id,
        actor_id: lemmy.actorId.href,
        inbox_url: lemmy.inbox.href,
        shared_inbox_url: lemmy.sharedInbox.href,
        follow_activity_id: `${a.config.origin.origin}/groups/food#follows/lemmy`,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();
    inbox = new URL("/inbox", a.config.origin);
    carol = new URL("/users/carol", lemmy.origin).href;
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), lemmy?.close(), elsewhere?.close()]);
  });

  /** Announce(activity) by the followed group, the activity embedded or by id. */
  const announce = (n: string, activity: Record<string, unknown> | string) =>
    lemmy.postSigned(inbox, {
      "@context": AS_CONTEXT,
      id: new URL(`/announces/${n}`, lemmy.origin).href,
      type: "Announce",
      actor: lemmy.actorId.href,
      to: [PUBLIC],
      object: activity,
    });

  it("stores the inner object, fetched from its origin, as shared by the group", async () => {
    const note = lemmy.publish("/post/1", {
      "@context": AS_CONTEXT,
      id: new URL("/post/1", lemmy.origin).href,
      type: "Note",
      attributedTo: carol,
      to: [PUBLIC],
      content: "<p>A generator for the shelter on 5th street</p>",
    });
    const res = await announce("1", {
      id: new URL("/activities/create/1", lemmy.origin).href,
      type: "Create",
      actor: carol,
      to: [PUBLIC],
      // The embedded copy is not trusted: the stored text comes from the origin.
      object: { id: note.href, type: "Note", attributedTo: carol, content: "FORGED" },
    });
    expect(res.status).toBe(202);
    await expect.poll(() => itemOf(note.href), { timeout: 15_000 }).toBeDefined();
    expect(await itemOf(note.href)).toMatchObject({
      kind: "post",
      group: carol,
      summary: "A generator for the shelter on 5th street",
      sharedBy: [lemmy.actorId.href],
    });
  });

  it("reads an announced Update the same way, from the origin", async () => {
    const id = new URL("/post/2", lemmy.origin).href;
    lemmy.publish("/post/2", {
      "@context": AS_CONTEXT,
      id,
      type: "Note",
      attributedTo: carol,
      to: [PUBLIC],
      content: "Sandbags, 200",
    });
    const res = await announce("2", {
      id: new URL("/activities/update/2", lemmy.origin).href,
      type: "Update",
      actor: carol,
      object: { id, type: "Note", attributedTo: carol, content: "FORGED" },
    });
    expect(res.status).toBe(202);
    await expect.poll(() => itemOf(id), { timeout: 15_000 }).toBeDefined();
    expect((await itemOf(id))?.summary).toBe("Sandbags, 200");
  });

  it("stores nothing when the inner object cannot be fetched from its origin, whatever is embedded", async () => {
    const before = (await network()).length;
    const missing = new URL("/post/missing", lemmy.origin).href;
    expect(
      (
        await announce("3", {
          id: new URL("/activities/create/3", lemmy.origin).href,
          type: "Create",
          actor: carol,
          to: [PUBLIC],
          object: { id: missing, type: "Note", attributedTo: carol, content: "FORGED" },
        })
      ).status,
    ).toBe(202);
    // An inner id on this instance's own origin is no remote share at all.
    const elsewhere = new URL("/objects/elsewhere", a.config.origin).href;
    expect(
      (
        await announce("4", {
          id: new URL("/activities/create/4", lemmy.origin).href,
          type: "Create",
          actor: carol,
          object: { id: elsewhere, type: "Note", attributedTo: carol, content: "FORGED" },
        })
      ).status,
    ).toBe(202);
    await drained();
    const items = await network();
    expect(items).toHaveLength(before);
    expect(items.map((item) => item.summary)).not.toContain("FORGED");
  });

  /** A public Note served at `path` on `server`. */
  const note = (server: RemoteActor, path: string, attributedTo: string, content: string) =>
    server.publish(path, {
      "@context": AS_CONTEXT,
      id: new URL(path, server.origin).href,
      type: "Note",
      attributedTo,
      to: [PUBLIC],
      content,
    }).href;
  /** An activity served at `path` on `server` (its id is its URL unless said otherwise). */
  const activity = (server: RemoteActor, path: string, fields: Record<string, unknown>) =>
    server.publish(path, {
      "@context": AS_CONTEXT,
      id: new URL(path, server.origin).href,
      to: [PUBLIC],
      ...fields,
    }).href;

  it("dereferences an announced Create given by id, and reads its object from the origin", async () => {
    const id = note(lemmy, "/post/10", carol, "Water filters for the evacuation centre");
    const create = activity(lemmy, "/activities/create/10", {
      type: "Create",
      actor: carol,
      // Even fetched from its origin, the activity's copy of the object is not used.
      object: { id, type: "Note", attributedTo: carol, content: "FORGED" },
    });
    expect((await announce("10", create)).status).toBe(202);
    await expect.poll(() => itemOf(id), { timeout: 15_000 }).toBeDefined();
    expect(await itemOf(id)).toMatchObject({
      kind: "post",
      group: carol,
      summary: "Water filters for the evacuation centre",
      sharedBy: [lemmy.actorId.href],
    });
  });

  it("reads an announced Update given by id, naming its object by id", async () => {
    const id = note(lemmy, "/post/11", carol, "Blankets, 40");
    const update = activity(lemmy, "/activities/update/11", {
      type: "Update",
      actor: carol,
      object: id,
    });
    expect((await announce("11", update)).status).toBe(202);
    await expect.poll(() => itemOf(id), { timeout: 15_000 }).toBeDefined();
    expect((await itemOf(id))?.summary).toBe("Blankets, 40");
  });

  it("stores nothing from an announced activity by id that is not what it says, or not its origin's", async () => {
    const before = await network();
    const dave = new URL("/users/dave", lemmy.origin).href;
    const stranger = elsewhere.actorId.href;
    const refused: string[] = [];
    const cases: (string | (() => string))[] = [
      // The document at the id claims another id.
      () => {
        const id = note(lemmy, "/post/20", carol, "Claims another id");
        refused.push(id);
        return lemmy.publish("/activities/create/20", {
          "@context": AS_CONTEXT,
          id: new URL("/activities/create/other", lemmy.origin).href,
          type: "Create",
          actor: carol,
          object: id,
        }).href;
      },
      // The activity speaks for another server's actor and object.
      () => {
        const id = note(elsewhere, "/post/21", stranger, "Another server's object");
        refused.push(id);
        return activity(lemmy, "/activities/create/21", {
          type: "Create",
          actor: stranger,
          object: id,
        });
      },
      // Its object is attributed to someone other than its actor.
      () => {
        const id = note(lemmy, "/post/22", dave, "Someone else's object");
        refused.push(id);
        return activity(lemmy, "/activities/create/22", {
          type: "Create",
          actor: carol,
          object: id,
        });
      },
      // One level only: a Create naming a Create is not followed further.
      () => {
        const id = note(lemmy, "/post/23", carol, "Two levels down");
        refused.push(id);
        const inner = activity(lemmy, "/activities/create/23-inner", {
          type: "Create",
          actor: carol,
          object: id,
        });
        return activity(lemmy, "/activities/create/23", {
          type: "Create",
          actor: carol,
          object: inner,
        });
      },
      // Another kind of activity.
      () => {
        const id = note(lemmy, "/post/24", carol, "Deleted, not shared");
        refused.push(id);
        return activity(lemmy, "/activities/delete/24", {
          type: "Delete",
          actor: carol,
          object: id,
        });
      },
      // Nothing at the id.
      new URL("/activities/create/missing", lemmy.origin).href,
    ];
    let n = 20;
    for (const make of cases) {
      const url = typeof make === "string" ? make : make();
      expect((await announce(String(n++), url)).status).toBe(202);
    }
    await drained();
    const items = await network();
    expect(items.map((item) => item.objectId).sort()).toEqual(
      before.map((item) => item.objectId).sort(),
    );
    for (const id of refused) expect(items.map((item) => item.objectId)).not.toContain(id);
    // Each object was fine in itself: announced directly, every one is stored.
    for (const id of refused) expect((await announce(String(n++), id)).status).toBe(202);
    await expect
      .poll(async () => (await network()).filter((item) => refused.includes(item.objectId)), {
        timeout: 15_000,
      })
      .toHaveLength(refused.length);
  });
});
