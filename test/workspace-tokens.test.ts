import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngine } from "./helpers/database.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { signInByInvitation } from "./helpers/sign-in.ts";

/** The admins' token pages: issuing with a label, relabelling, revoking with a confirmation step. */
describe(`coordinator tokens in the workspace (${testEngine})`, () => {
  let instance: TestInstance;
  let admin: string;
  let coordinator: string;
  const base = "/workspace/admin/groups/food/tokens";

  const get = async (cookie: string, path: string) => {
    const res = await fetch(new URL(path, instance.config.origin), {
      headers: { cookie },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text(), headers: res.headers };
  };
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const post = async (cookie: string, path: string, fields: Record<string, string>) => {
    const page = await get(cookie, base);
    return postForm(
      new URL(path, instance.config.origin),
      { _csrf: csrfIn(page.body), ...fields },
      { cookie },
    );
  };
  const signIn = (body: object, username: string) => signInByInvitation(instance, body, username);
  const rows = () =>
    instance.database.db
      .selectFrom("api_tokens")
      .select(["id", "group_id", "label", "token_digest"])
      .orderBy("id")
      .execute();
  const useToken = (token: string) =>
    instance.api("GET", "/api/v1/groups/food/followers", undefined, token);

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    await instance.api("POST", "/api/v1/groups", { handle: "other", name: "Other collective" });
    admin = await signIn({ admin: true }, "root");
    coordinator = await signIn({ group: "food" }, "maria");
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("is linked from the collectives page, and only admins have it", async () => {
    const collectives = await get(admin, "/workspace/admin/groups");
    expect(collectives.body).toContain(`href="${base}"`);
    expect((await get(admin, base)).status).toBe(200);
    expect((await get(coordinator, base)).status).toBe(404);
    const refused = await postForm(
      new URL(base, instance.config.origin),
      {},
      { cookie: coordinator },
    );
    expect(refused.status).toBe(403);
    expect((await get(admin, "/workspace/admin/groups/nobody/tokens")).status).toBe(404);
    expect(await rows()).toEqual([]);
  });

  it("issues a token shown once, lists it by label, and relabels it", async () => {
    const issued = await post(admin, base, { label: "Hotline bot" });
    expect(issued.status).toBe(201);
    expect(issued.headers["cache-control"]).toBe("no-store");
    const token = /<p class="secret">(byh_[A-Za-z0-9_-]+)<\/p>/.exec(issued.body)![1]!;
    expect((await useToken(token)).status).toBe(200);

    const page = await get(admin, base);
    expect(page.body).toContain("Hotline bot");
    expect(page.body).not.toContain(token);
    const [row] = await rows();
    expect(page.body).not.toContain(row!.token_digest);
    expect(page.body).toMatch(/last used/);

    const relabelled = await post(admin, `${base}/${row!.id}/label`, { label: "Shelter bot" });
    expect(relabelled.status).toBe(303);
    expect(relabelled.headers.location).toBe(`${base}?done=labelled`);
    expect((await rows())[0]!.label).toBe("Shelter bot");
    expect((await get(admin, `${base}?done=labelled&lang=es`)).body).toContain(
      "Etiqueta guardada.",
    );
  });

  it("refuses a bad label next to its field, storing nothing", async () => {
    const before = await rows();
    const long = await post(admin, base, { label: "x".repeat(101) });
    expect(long.status).toBe(422);
    expect(long.body).toContain('id="new-token-label-error"');
    expect(long.body).toContain("Use at most 100 characters.");
    const id = before[0]!.id;
    const broken = await post(admin, `${base}/${id}/label`, { label: "two\nlines" });
    expect(broken.status).toBe(422);
    expect(broken.body).toContain(`id="label-${id}-error"`);
    expect(broken.body).toContain("Use one line, without control characters.");
    expect(await rows()).toEqual(before);
  });

  it("revokes only after the box is ticked, and the token is refused at once", async () => {
    const issued = await post(admin, base, { label: "Leaked" });
    const token = /<p class="secret">(byh_[A-Za-z0-9_-]+)<\/p>/.exec(issued.body)![1]!;
    const id = (await rows()).find((r) => r.label === "Leaked")!.id;

    const step = await get(admin, `${base}/${id}/revoke`);
    expect(step.status).toBe(200);
    expect(step.body).toContain("Revoke “Leaked”?");
    const spanish = await get(admin, `${base}/${id}/revoke?lang=es`);
    expect(spanish.body).toContain("¿Revocar «Leaked»?");

    const unticked = await post(admin, `${base}/${id}/revoke`, {});
    expect(unticked.status).toBe(422);
    expect(unticked.body).toContain('id="revoke-confirm-error"');
    expect((await useToken(token)).status).toBe(200);

    const done = await post(admin, `${base}/${id}/revoke`, { confirm: "1" });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`${base}?done=revoked`);
    expect((await useToken(token)).status).toBe(401);
    expect((await get(admin, `${base}?done=revoked`)).body).toContain("Token revoked");
    expect((await rows()).map((r) => r.id)).not.toContain(id);
  });

  it("does not reach another group's token or an unknown one", async () => {
    const theirs = await (
      await instance.api("POST", "/api/v1/groups/other/tokens", { label: "theirs" })
    ).json();
    const before = await rows();
    for (const id of [theirs.id, "00000000-0000-7000-8000-000000000000", "nonsense"]) {
      expect((await get(admin, `${base}/${id}/revoke`)).status).toBe(404);
      expect((await post(admin, `${base}/${id}/revoke`, { confirm: "1" })).status).toBe(404);
      expect((await post(admin, `${base}/${id}/label`, { label: "mine" })).status).toBe(404);
    }
    expect(await rows()).toEqual(before);
    expect(
      (await instance.api("GET", "/api/v1/groups/other/followers", undefined, theirs.token)).status,
    ).toBe(200);
  });
});
