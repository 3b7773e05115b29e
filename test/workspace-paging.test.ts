import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerFollowing, upsertFollowing } from "../src/db/following.repo.ts";
import { findGroupByHandle } from "../src/db/groups.repo.ts";
import { insertNotification } from "../src/db/notifications.repo.ts";
import { insertPledge } from "../src/db/pledges.repo.ts";
import { storeRemoteProposal } from "../src/db/remote-proposals.repo.ts";
import { newId } from "../src/domain/ids.ts";
import { WORKSPACE_PAGE_SIZE } from "../src/web/paging.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * The workspace's long lists page with plain links: every item exactly once
 * across the pages, in order, and a cursor that is not ours is refused.
 */
describe("paging in the workspace", () => {
  let instance: TestInstance;
  let cookie: string;
  const COUNT = WORKSPACE_PAGE_SIZE + 3;
  const AUTHOR = "https://b.example/groups/food";
  const T0 = Temporal.Instant.from("2026-12-01T08:00:00Z");

  const get = async (path: string, extra = "") => {
    const res = await fetch(new URL(path, instance.config.origin), {
      headers: { cookie: `${cookie}${extra}` },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text() };
  };
  /** The older-page link's path and query, decoded from the HTML. */
  const olderLink = (html: string) =>
    /<a href="([^"]+)" class="button secondary" rel="next">/
      .exec(html)?.[1]
      ?.replaceAll("&amp;", "&");

  /** Follows the "older" links from the first page, collecting what `pick` finds on each. */
  const walk = async (path: string, pick: (html: string) => string[]) => {
    const pages: string[][] = [];
    let next: string | undefined = path;
    while (next !== undefined) {
      const page = await get(next);
      expect(page.status).toBe(200);
      if (pages.length > 0) expect(page.body).toContain(`href="${path}"`);
      pages.push(pick(page.body));
      next = olderLink(page.body);
      expect(pages.length).toBeLessThan(5);
    }
    return pages;
  };

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food" });
    const group = (await findGroupByHandle(instance.database.db, "food"))!;
    const db = instance.database.db;
    const following = await upsertFollowing(
      db,
      {
        id: newId(),
        groupId: group.id,
        actorId: AUTHOR,
        inboxUrl: `${AUTHOR}/inbox`,
        sharedInboxUrl: null,
        followActivityId: "https://a.example/groups/food#follows/1",
      },
      T0,
    );
    await answerFollowing(
      db,
      { followActivityId: following.followActivityId, actorId: AUTHOR, state: "accepted" },
      T0,
    );
    for (let i = 0; i < COUNT; i++) {
      // Two at a time share a publication instant: the id breaks the tie.
      const at = T0.add({ minutes: Math.floor(i / 2) });
      await storeRemoteProposal(
        db,
        {
          objectId: `https://b.example/objects/${i}`,
          originActorId: AUTHOR,
          kind: "proposal",
          purpose: "request",
          title: `Remote need ${i}`,
          summaryText: "",
          category: "food",
          categoryUri: null,
          quantity: null,
          remainingAmount: null,
          quantityStep: null,
          intentId: `https://b.example/objects/${i}#primary`,
          location: null,
          urgency: "normal",
          status: "open",
          expiresAt: null,
          url: null,
          publishedAt: at,
          updatedAt: at,
        },
        newId(),
        at,
      );
      await insertNotification(
        db,
        group.id,
        { kind: "response", subjectId: newId(), message: { key: "text", text: `Notice ${i}` } },
        T0.add({ seconds: i }),
      );
      const pledgeAt = T0.add({ seconds: i });
      await insertPledge(db, {
        id: newId(pledgeAt.epochMilliseconds),
        groupId: group.id,
        objectId: `https://b.example/objects/${i}`,
        intentId: `https://b.example/objects/${i}#primary`,
        targetActorId: AUTHOR,
        offerId: `https://a.example/pledges/${i}`,
        quantity: null,
        message: `Pledge ${i}`,
        state: "pending",
        reason: null,
        agreementId: null,
        createdAt: pledgeAt,
        updatedAt: pledgeAt,
      });
    }
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group: "food" })
    ).json();
    const res = await postForm(new URL(invitation.url), {
      username: "maria",
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    cookie = [res.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
  });
  afterAll(async () => {
    await instance?.stop();
  });

  const newestFirst = (label: string) =>
    Array.from({ length: COUNT }, (_, i) => `${label} ${COUNT - 1 - i}`);

  it("pages the notifications, newest first, each once", async () => {
    const pages = await walk("/workspace/groups/food/notifications", (html) =>
      [...html.matchAll(/<p>(Notice \d+)<\/p>/g)].map((m) => m[1]!),
    );
    expect(pages.map((p) => p.length)).toEqual([WORKSPACE_PAGE_SIZE, COUNT - WORKSPACE_PAGE_SIZE]);
    expect(pages.flat()).toEqual(newestFirst("Notice"));
  });

  it("pages our pledges, newest first, each once", async () => {
    const pages = await walk("/workspace/groups/food/pledges", (html) =>
      [...html.matchAll(/<p>(Pledge \d+)<\/p>/g)].map((m) => m[1]!),
    );
    expect(pages.map((p) => p.length)).toEqual([WORKSPACE_PAGE_SIZE, COUNT - WORKSPACE_PAGE_SIZE]);
    expect(pages.flat()).toEqual(newestFirst("Pledge"));
  });

  it("pages the allied groups' feed across equal publication times, each once", async () => {
    const pages = await walk("/workspace/groups/food/network", (html) =>
      [...html.matchAll(/<strong>(Remote need \d+)<\/strong>/g)].map((m) => m[1]!),
    );
    expect(pages.map((p) => p.length)).toEqual([WORKSPACE_PAGE_SIZE, COUNT - WORKSPACE_PAGE_SIZE]);
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(COUNT);
    // Newest minute first; within a minute, whichever id sorts higher.
    const minutes = seen.map((title) => Math.floor(Number(title.split(" ").at(-1)) / 2));
    expect(minutes).toEqual([...minutes].sort((x, y) => y - x));
  });

  it("names the links in the reader's language and refuses a cursor that is not ours", async () => {
    const first = await get("/workspace/groups/food/notifications", "; lang=es");
    expect(first.body).toContain('aria-label="Páginas"');
    expect(first.body).toContain("Anteriores");
    expect(first.body).not.toContain("Volver a lo más reciente");
    for (const path of [
      "/workspace/groups/food/notifications?before=nope",
      "/workspace/groups/food/pledges?before=1%27%20OR%201=1",
      "/workspace/groups/food/network?after=bm90LWEtY3Vyc29y",
    ]) {
      expect((await get(path)).status).toBe(404);
    }
  });
});
