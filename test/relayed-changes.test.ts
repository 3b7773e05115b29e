import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/domain/ids.ts";
import { type GroupNode, startGroupNodes } from "./helpers/group-network.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/**
 * A followed group that re-shares (mallory, a plain-Fedify server) relays
 * changes to an object of another instance (origin). The receiver believes
 * none of them: it asks the origin, which always wins.
 */
describe("changes relayed by a re-sharing group", () => {
  let origin: GroupNode;
  let receiver: GroupNode;
  let mallory: RemoteActor;
  let need: { id: string; objectId: string };
  let inbox: URL;
  let serial = 0;

  const announce = (object: unknown) =>
    mallory.postSigned(inbox, {
      "@context": AS_CONTEXT,
      id: new URL(`/announces/${++serial}`, mallory.origin).href,
      type: "Announce",
      actor: mallory.actorId.href,
      to: [PUBLIC],
      object,
    });
  const copy = () =>
    receiver.instance.database.db
      .selectFrom("remote_proposals")
      .select(["title", "status"])
      .where("object_id", "=", need.objectId)
      .executeTakeFirst();
  const applied = async (activityId: string) =>
    (await receiver.instance.database.db
      .selectFrom("relayed_changes")
      .select("activity_id")
      .where("activity_id", "=", activityId)
      .executeTakeFirst()) !== undefined;
  const drained = () =>
    expect
      .poll(
        async () =>
          (await receiver.instance.database.db.selectFrom("fedify_queue").select("id").execute())
            .length,
        { timeout: 15_000 },
      )
      .toBe(0);

  beforeAll(async () => {
    [[origin, receiver], mallory] = await Promise.all([
      startGroupNodes(["127.0.0.1", "127.0.0.2"]),
      startRemoteActor("127.0.0.3"),
    ]);
    inbox = new URL("/inbox", receiver.instance.config.origin);
    const db = receiver.instance.database.db;
    const group = await db
      .selectFrom("groups")
      .select("id")
      .where("handle", "=", "aid")
      .executeTakeFirstOrThrow();
    const now = new Date();
    await db
      .insertInto("following")
      .values({
        id: newId(),
        group_id: group.id,
        actor_id: mallory.actorId.href,
        inbox_url: mallory.inbox.href,
        shared_inbox_url: mallory.sharedInbox.href,
        follow_activity_id: `${receiver.actor}#follows/mallory`,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();
    need = await (
      await origin.api("POST", "/api/v1/groups/aid/needs", {
        title: "Tarpaulins",
        category: "shelter",
        urgency: "high",
      })
    ).json();
    // Mallory re-shares it: the receiver fetches it from its origin.
    if ((await announce(need.objectId)).status !== 202) throw new Error("share refused");
    await waitFor("the re-shared need on the receiver", copy);
  });
  afterAll(async () => {
    await Promise.all([origin?.instance.stop(), receiver?.instance.stop(), mallory?.close()]);
  });

  it("a relayed Update that disagrees with the origin: the origin wins", async () => {
    const activityId = `${need.objectId}#update-forged`;
    const res = await announce({
      id: activityId,
      type: "Update",
      actor: origin.actor,
      object: {
        id: need.objectId,
        type: "Note",
        attributedTo: origin.actor,
        name: "FORGED",
        content: "FORGED",
      },
    });
    expect(res.status).toBe(202);
    await expect.poll(() => applied(activityId), { timeout: 15_000 }).toBe(true);
    expect(await copy()).toMatchObject({ title: "Tarpaulins", status: "open" });
  });

  it("a relayed Delete of an object its origin still serves deletes nothing", async () => {
    const activityId = `${need.objectId}#delete`;
    expect(
      (
        await announce({
          id: activityId,
          type: "Delete",
          actor: origin.actor,
          object: need.objectId,
        })
      ).status,
    ).toBe(202);
    await drained();
    expect(await copy()).toMatchObject({ title: "Tarpaulins" });
    // Not recorded as applied: the real Delete, when it comes, still counts.
    expect(await applied(activityId)).toBe(false);
  });

  it("ignores a relayed change whose activity is not on the object's origin", async () => {
    // The object is really edited, so a change that was read would show.
    const edited = await origin.api("PATCH", `/api/v1/needs/${need.id}`, { title: "Tarps, 40" });
    expect(edited.status).toBe(200);
    const activityId = new URL("/activities/update/1", mallory.origin).href;
    expect(
      (
        await announce({
          id: activityId,
          type: "Update",
          actor: origin.actor,
          object: need.objectId,
        })
      ).status,
    ).toBe(202);
    await drained();
    expect(await applied(activityId)).toBe(false);
    expect(await copy()).toMatchObject({ title: "Tarpaulins" });
  });

  it("a relayed Delete the origin confirms removes the copy", async () => {
    expect((await origin.api("DELETE", `/api/v1/needs/${need.id}`)).status).toBe(204);
    const activityId = `${need.objectId}#delete`;
    expect(
      (
        await announce({
          id: activityId,
          type: "Delete",
          actor: origin.actor,
          object: need.objectId,
        })
      ).status,
    ).toBe(202);
    // The copy goes first, then the change is recorded as passed on.
    await expect.poll(() => applied(activityId), { timeout: 15_000 }).toBe(true);
    expect(await copy()).toBeUndefined();
  });
});
