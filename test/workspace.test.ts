import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOGIN_FAILURES_BY_USER_AND_ADDRESS } from "../src/services/sign-in-limits.ts";
import { postForm } from "./helpers/form-post.ts";
import { ADMIN_TOKEN, startTestInstance, type TestInstance } from "./helpers/instance.ts";

/** Coordinator accounts and triage on a running instance. */
describe("coordinator workspace", () => {
  let instance: TestInstance;
  let cookie: string;
  const url = (path: string) => new URL(path, instance.config.origin);
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(url(path), { headers, redirect: "manual" });
  const post = (
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ) => postForm(url(path), fields, headers);
  const invite = async (group: string) => {
    const res = await instance.api("POST", "/api/v1/admin/invitations", { group });
    expect(res.status).toBe(201);
    return (await res.json()) as { url: string; expiresAt: string };
  };
  const cookieOf = (setCookie: string | string[] | undefined) =>
    [setCookie ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

  beforeAll(async () => {
    // A stopped clock: rate limits count in fixed windows, and a window
    // boundary passing mid-test would reset the counts being checked.
    const now = Temporal.Now.instant();
    instance = await startTestInstance({ clock: () => now });
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    await instance.api("POST", "/api/v1/groups", { handle: "other", name: "Other collective" });
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("lets only the admin create invitation links, for existing groups", async () => {
    const body = { group: "food" };
    expect((await instance.api("POST", "/api/v1/admin/invitations", body, null)).status).toBe(401);
    const missing = await instance.api("POST", "/api/v1/admin/invitations", { group: "nope" });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toBe("not_found");
    const bad = await instance.api("POST", "/api/v1/admin/invitations", { group: "Bad Handle!" });
    expect(bad.status).toBe(400);
    const invitation = await invite("food");
    expect(invitation.url).toMatch(/\/invitations\/[A-Za-z0-9_-]{43}$/);
    expect(Temporal.Instant.from(invitation.expiresAt).epochMilliseconds).toBeGreaterThan(
      Date.now(),
    );
  });

  it("creates an account from an invitation, once, with a hashed password and a session", async () => {
    const { url: link } = await invite("food");
    const path = new URL(link).pathname;
    const page = await get(path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Coordinate Food collective");

    const bad = await post(path, { username: "X", password: "short", passwordAgain: "short" });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('id="username-error"');
    expect(bad.body).toContain("Use at least 10 characters.");
    expect(bad.body).toContain('value="X"');
    const mismatch = await post(path, {
      username: "maria",
      password: "a long passphrase",
      passwordAgain: "another long one",
    });
    expect(mismatch.body).toContain("The two passwords are not the same.");

    const ok = await post(path, {
      username: "Maria",
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe("/workspace");
    const setCookie = [ok.headers["set-cookie"] ?? []].flat().join("\n");
    expect(setCookie).toMatch(/^session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    expect(setCookie).not.toContain("Secure");
    cookie = cookieOf(ok.headers["set-cookie"]);

    const account = await instance.database.db
      .selectFrom("accounts")
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(account.username).toBe("maria");
    expect(account.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    const sessions = await instance.database.db.selectFrom("sessions").selectAll().execute();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.id_digest).not.toBe(cookie.split("=")[1]);

    const again = await post(path, {
      username: "maria2",
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    expect(again.status).toBe(410);
    expect((await get(path)).status).toBe(410);
  });

  it("sends visitors without a session to the sign-in page", async () => {
    const res = await get("/workspace/groups/food/triage");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?next=%2Fworkspace%2Fgroups%2Ffood%2Ftriage");
    const forged = await get("/workspace", {
      cookie: "session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    });
    expect(forged.status).toBe(303);
  });

  it("signs in with generic failures and signs out", async () => {
    const wrong = await post("/login", { username: "maria", password: "not the password" });
    const unknown = await post("/login", { username: "nobody", password: "a long passphrase" });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const generic = "That username and password do not match an account.";
    expect(wrong.body).toContain(generic);
    expect(unknown.body).toContain(generic);
    expect(wrong.body).toContain('value="maria"');

    const ok = await post("/login", {
      username: "maria",
      password: "a long passphrase",
      next: "https://evil.example/",
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe("/workspace");
    const session = cookieOf(ok.headers["set-cookie"]);
    const home = await get("/workspace", { cookie: session });
    const html = await home.text();
    expect(html).toContain("Signed in as maria");
    expect(html).toContain('href="/workspace/groups/food/triage"');
    expect(html).not.toContain("Other collective");

    const noToken = await post("/logout", {}, { cookie: session });
    expect(noToken.status).toBe(403);
    const out = await post("/logout", { _csrf: csrfIn(html) }, { cookie: session });
    expect(out.status).toBe(303);
    expect([out.headers["set-cookie"]].flat().join()).toMatch(/session=;/);
    expect((await get("/workspace", { cookie: session })).status).toBe(303);
  });

  it("rate-limits failed sign-ins per username and address, even for the right password then", async () => {
    const { url: link } = await invite("other");
    await post(new URL(link).pathname, {
      username: "target",
      password: "target's passphrase",
      passwordAgain: "target's passphrase",
    });
    for (let i = 0; i < LOGIN_FAILURES_BY_USER_AND_ADDRESS.limit; i++) {
      expect((await post("/login", { username: "target", password: `guess ${i}` })).status).toBe(
        401,
      );
    }
    const blocked = await post("/login", { username: "target", password: "target's passphrase" });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect(blocked.body).toContain("Too many failed sign-ins");
    // Someone else is not locked out by it, even from the same address
    // (another address signing in as "target": sign-in-limits.db.test.ts).
    expect(
      (await post("/login", { username: "maria", password: "a long passphrase" })).status,
    ).toBe(303);
  });

  it("publishes a request without the person's contact, and declines another", async () => {
    const ask = async (title: string) => {
      const res = await post("/groups/food/ask", {
        title,
        category: "food",
        urgency: "high",
        contact: "Ana, 0917 111 2222",
        quantityAmount: "6",
        quantityUnit: "one",
      });
      expect(res.status).toBe(303);
      return /^\/requests\/([A-Za-z0-9_-]{43})\?received=1$/.exec(
        res.headers.location as string,
      )![1]!;
    };
    const first = await ask("Formula for a baby");
    const second = await ask("Something we cannot do");

    const triage = await get("/workspace/groups/food/triage", { cookie });
    expect(triage.headers.get("cache-control")).toBe("no-store");
    const html = await triage.text();
    expect(html).toContain("Formula for a baby");
    expect(html).toContain("Ana, 0917 111 2222");
    const csrf = csrfIn(html);
    const idOf = (title: string) =>
      new RegExp(`<li id="r-([0-9a-f-]{36})"><h2>Request for help: ${title}<`).exec(html)![1]!;
    const [firstId, secondId] = [idOf("Formula for a baby"), idOf("Something we cannot do")];

    const base = "/workspace/groups/food/triage";
    const fields = {
      title: "Baby formula, 6 tins",
      category: "food",
      urgency: "high",
      quantityAmount: "6",
      quantityUnit: "one",
      place: "",
      neededBy: "",
      description: "",
      contact: "",
    };
    expect((await post(`${base}/${firstId}/publish`, fields, { cookie })).status).toBe(403);
    const invalid = await post(
      `${base}/${firstId}/publish`,
      { ...fields, title: "", _csrf: csrf },
      { cookie },
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain(`id="p-${firstId}-title-error"`);

    const published = await post(
      `${base}/${firstId}/publish`,
      { ...fields, _csrf: csrf },
      { cookie },
    );
    expect(published.status).toBe(303);
    expect(published.headers.location).toBe(`${base}?done=published`);
    const proposal = await instance.database.db
      .selectFrom("proposals")
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(proposal).toMatchObject({
      title: "Baby formula, 6 tins",
      contact: null,
      status: "open",
    });
    const status = await (await get(`/requests/${first}`)).text();
    expect(status).toContain('data-state="published"');
    expect(status).toContain(`href="/needs/${proposal.id}"`);
    const needPage = await (await get(`/needs/${proposal.id}`)).text();
    expect(needPage).toContain("Baby formula, 6 tins");
    expect(needPage).not.toContain("Ana, 0917");

    const twice = await post(`${base}/${firstId}/publish`, { ...fields, _csrf: csrf }, { cookie });
    expect(twice.headers.location).toBe(`${base}?done=taken`);

    // A reason from the list is asked for, next to its field; nothing changes without one.
    const noReason = await post(`${base}/${secondId}/decline`, { _csrf: csrf }, { cookie });
    expect(noReason.status).toBe(422);
    expect(noReason.body).toContain(
      `<p class="error" id="d-${secondId}-reason-error">Please choose a reason from the list.</p>`,
    );
    expect(await (await get(`/requests/${second}`)).text()).toContain('data-state="new"');
    const declined = await post(
      `${base}/${secondId}/decline`,
      {
        _csrf: csrf,
        reason: "outside-area",
        note: "Try the parish kitchen on Rizal St.",
        confirm: "1",
      },
      { cookie },
    );
    expect(declined.headers.location).toBe(`${base}?done=declined`);
    const declinedPage = await (await get(`/requests/${second}`)).text();
    expect(declinedPage).toContain('data-state="declined"');
    expect(declinedPage).toContain('data-reason="outside-area"');
    expect(declinedPage).toContain("It is outside the area the collective serves.");
    expect(declinedPage).toContain("Try the parish kitchen on Rizal St.");
    expect(declinedPage).toContain('<a href="/">Other collectives on this site</a>');
    const inSpanish = await (await get(`/requests/${second}?lang=es`)).text();
    expect(inSpanish).toContain("Está fuera de la zona que atiende el colectivo.");
    expect((await post(`/requests/${second}/withdraw`, {})).status).toBe(409);
  });

  it("moves a published need's status forward from the workspace", async () => {
    const proposal = await instance.database.db
      .selectFrom("proposals")
      .select(["id"])
      .executeTakeFirstOrThrow();
    const list = await (await get("/workspace/groups/food/posts", { cookie })).text();
    expect(list).toContain('data-status="open"');
    expect(list).toContain(">Mark pledged</button>");
    const csrf = csrfIn(list);
    const base = "/workspace/groups/food/posts";
    const action = `${base}/${proposal.id}/status`;
    expect((await post(action, { status: "fulfilled" }, { cookie })).status).toBe(403);
    const done = await post(action, { status: "fulfilled", _csrf: csrf, confirm: "1" }, { cookie });
    expect(done.headers.location).toBe(`${base}?done=changed`);
    expect(await (await get(`/needs/${proposal.id}`)).text()).toContain("<dd>Fulfilled</dd>");
    const back = await post(action, { status: "pledged", _csrf: csrf }, { cookie });
    expect(back.headers.location).toBe(`${base}?done=refused`);
    const expired = await post(action, { status: "expired", _csrf: csrf }, { cookie });
    expect(expired.headers.location).toBe(`${base}?done=refused`);
    const row = await instance.database.db
      .selectFrom("proposals")
      .select("status")
      .where("id", "=", proposal.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe("fulfilled");
    const after = await (await get(`${base}?done=changed`, { cookie })).text();
    expect(after).toContain("Status changed.");
    expect(after).not.toContain(">Mark pledged</button>");
  });

  it("writes and edits needs from the workspace, keeping what the form cannot show", async () => {
    const base = "/workspace/groups/food/posts";
    const form = await (await get(`${base}/new?purpose=offer`, { cookie })).text();
    expect(form).toContain("New offer from Food collective");
    const csrf = csrfIn(form);
    const fields = {
      title: "Rides to the clinic",
      category: "transport",
      urgency: "normal",
      quantityAmount: "",
      quantityUnit: "one",
      place: "",
      neededBy: "",
      description: "Tuesdays and Thursdays.",
      contact: "Driver: Ben",
    };
    const invalid = await post(
      `${base}/new?purpose=offer`,
      { ...fields, category: "", _csrf: csrf },
      { cookie },
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain('id="f-category-error"');
    expect(invalid.body).toContain("Tuesdays and Thursdays.</textarea>");
    const created = await post(`${base}/new?purpose=offer`, { ...fields, _csrf: csrf }, { cookie });
    expect(created.headers.location).toBe(`${base}?done=saved`);
    const offer = await instance.database.db
      .selectFrom("proposals")
      .selectAll()
      .where("title", "=", "Rides to the clinic")
      .executeTakeFirstOrThrow();
    expect(offer).toMatchObject({ purpose: "offer", contact: "Driver: Ben", audience: "public" });

    // A need made through the API with coordinates and an exact deadline.
    const token = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    const apiNeed = await (
      await instance.api(
        "POST",
        "/api/v1/groups/food/needs",
        {
          title: "Tarps",
          category: "shelter",
          location: { name: "Court", latitude: 14.5, longitude: 121 },
          expiresAt: "2099-12-04T18:30:00Z",
        },
        token,
      )
    ).json();
    const editPage = await (await get(`${base}/${apiNeed.id}/edit`, { cookie })).text();
    expect(editPage).toContain('value="2099-12-04"');
    expect(editPage).toContain('value="Court"');
    const saved = await post(
      `${base}/${apiNeed.id}/edit`,
      {
        ...fields,
        title: "Tarps, 4 by 6 metres",
        category: "shelter",
        place: "Court",
        neededBy: "2099-12-04",
        description: "",
        contact: "",
        _csrf: csrf,
      },
      { cookie },
    );
    expect(saved.headers.location).toBe(`${base}?done=saved`);
    const read = await (
      await instance.api("GET", `/api/v1/needs/${apiNeed.id}`, undefined, token)
    ).json();
    expect(read).toMatchObject({
      title: "Tarps, 4 by 6 metres",
      location: { name: "Court", latitude: 14.5, longitude: 121 },
      expiresAt: "2099-12-04T18:30:00Z",
    });

    const fulfilled = await instance.database.db
      .selectFrom("proposals")
      .select("id")
      .where("status", "=", "fulfilled")
      .executeTakeFirstOrThrow();
    const refused = await post(
      `${base}/${fulfilled.id}/edit`,
      { ...fields, _csrf: csrf },
      { cookie },
    );
    expect(refused.status).toBe(409);
    expect(refused.body).toContain("cannot be edited");
  });

  it("chooses who sees a need, and deletes one only after the box is ticked", async () => {
    const base = "/workspace/groups/food/posts";
    const form = await (await get(`${base}/new?purpose=request`, { cookie })).text();
    expect(form).toContain('value="public" id="f-audience-public" checked=""');
    const csrf = csrfIn(form);
    const fields = {
      title: "Members-only blankets",
      category: "shelter",
      urgency: "normal",
      quantityAmount: "",
      quantityUnit: "one",
      place: "",
      neededBy: "",
      description: "",
      contact: "",
      audience: "followers",
    };
    const invalid = await post(
      `${base}/new?purpose=request`,
      { ...fields, title: "", _csrf: csrf },
      { cookie },
    );
    expect(invalid.status).toBe(422);
    // The choice survives the failed save.
    expect(invalid.body).toContain('value="followers" id="f-audience-followers" checked=""');
    const created = await post(
      `${base}/new?purpose=request`,
      { ...fields, _csrf: csrf },
      { cookie },
    );
    expect(created.status).toBe(303);
    const need = await instance.database.db
      .selectFrom("proposals")
      .select(["id", "audience"])
      .where("title", "=", "Members-only blankets")
      .executeTakeFirstOrThrow();
    expect(need.audience).toBe("followers");
    expect((await instance.api("GET", `/api/v1/needs/${need.id}`, undefined, null)).status).toBe(
      404,
    );
    const list = await (await get(base, { cookie })).text();
    expect(list).toContain("Only this group&#39;s followers");
    expect(list).toContain(`href="${base}/${need.id}/delete"`);

    const edit = await (await get(`${base}/${need.id}/edit`, { cookie })).text();
    expect(edit).toContain('value="followers" id="f-audience-followers" checked=""');
    const opened = await post(
      `${base}/${need.id}/edit`,
      { ...fields, audience: "public", _csrf: csrf },
      { cookie },
    );
    expect(opened.status).toBe(303);
    expect((await instance.api("GET", `/api/v1/needs/${need.id}`, undefined, null)).status).toBe(
      200,
    );

    const confirm = await get(`${base}/${need.id}/delete`, { cookie });
    expect(confirm.status).toBe(200);
    const confirmPage = await confirm.text();
    expect(confirmPage).toContain("Delete “Members-only blankets”?");
    expect(confirmPage).toContain('name="confirm"');
    const unticked = await post(`${base}/${need.id}/delete`, { _csrf: csrf }, { cookie });
    expect(unticked.status).toBe(422);
    expect(unticked.body).toContain('id="delete-confirm-error"');
    expect(unticked.body).toContain("Tick the box to confirm.");
    const forged = await post(
      `${base}/${need.id}/delete`,
      { _csrf: "forged", confirm: "1" },
      { cookie },
    );
    expect(forged.status).toBe(403);
    expect((await instance.api("GET", `/api/v1/needs/${need.id}`, undefined, null)).status).toBe(
      200,
    );

    const deleted = await post(
      `${base}/${need.id}/delete`,
      { _csrf: csrf, confirm: "1" },
      { cookie },
    );
    expect(deleted.status).toBe(303);
    expect(deleted.headers.location).toBe(`${base}?done=deleted`);
    expect(await (await get(deleted.headers.location as string, { cookie })).text()).toContain(
      "Deleted.",
    );
    const row = await instance.database.db
      .selectFrom("proposals")
      .select("deleted_at")
      .where("id", "=", need.id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    expect((await instance.api("GET", `/api/v1/needs/${need.id}`, undefined, null)).status).toBe(
      404,
    );
    expect((await get(`/needs/${need.id}`)).status).toBe(410);
    const again = await post(
      `${base}/${need.id}/delete`,
      { _csrf: csrf, confirm: "1" },
      { cookie },
    );
    expect(again.status).toBe(404);
    // Another group's need cannot be deleted from here.
    const foreign = await (
      await instance.api("POST", "/api/v1/groups/other/needs", {
        title: "Soap",
        category: "hygiene",
      })
    ).json();
    expect(foreign.id).toBeDefined();
    const refused = await post(
      `/workspace/groups/food/posts/${foreign.id}/delete`,
      { _csrf: csrf, confirm: "1" },
      { cookie },
    );
    expect(refused.status).toBe(404);
    expect(
      (await get(`/workspace/groups/other/posts/${foreign.id}/delete`, { cookie })).status,
    ).toBe(404);
  });

  it("shows a group's queue only to its coordinators", async () => {
    expect((await get("/workspace/groups/other/triage", { cookie })).status).toBe(404);
    expect((await get("/workspace/groups/other/posts", { cookie })).status).toBe(404);
  });

  it("makes instance admins, who coordinate every group and invite from a page", async () => {
    const both = await instance.api("POST", "/api/v1/admin/invitations", {
      group: "food",
      admin: true,
    });
    expect(both.status).toBe(400);
    const res = await instance.api("POST", "/api/v1/admin/invitations", { admin: true });
    expect(res.status).toBe(201);
    const invitation = await res.json();
    expect(invitation).toMatchObject({ group: null, admin: true });
    const path = new URL(invitation.url).pathname;
    expect(await (await get(path)).text()).toContain("Administer");
    const created = await post(path, {
      username: "root",
      password: "admin passphrase!",
      passwordAgain: "admin passphrase!",
    });
    expect(created.status).toBe(303);
    const admin = cookieOf(created.headers["set-cookie"]);

    const home = await (await get("/workspace", { cookie: admin })).text();
    expect(home).toContain('href="/workspace/groups/other/triage"');
    expect(home).toContain('href="/workspace/admin/invitations"');
    expect((await get("/workspace/groups/other/triage", { cookie: admin })).status).toBe(200);

    const page = await (await get("/workspace/admin/invitations", { cookie: admin })).text();
    const made = await post(
      "/workspace/admin/invitations",
      { for: "group:other", _csrf: csrfIn(page) },
      { cookie: admin },
    );
    expect(made.status).toBe(201);
    const link = /<p class="secret">([^<]+)<\/p>/.exec(made.body)![1]!;
    const invited = await (await get(new URL(link).pathname)).text();
    expect(invited).toContain("Coordinate Other collective");

    // The federation policy, from the page; the API sees the same policy.
    const fed = "/workspace/admin/federation";
    const fedPage = await (await get(fed, { cookie: admin })).text();
    const adminCsrf = csrfIn(fedPage);
    expect(fedPage).toContain('value="open" id="mode-open" checked=""');
    const mode = await post(
      `${fed}/mode`,
      { mode: "allowlist", _csrf: adminCsrf, confirm: "1" },
      { cookie: admin },
    );
    expect(mode.headers.location).toBe(`${fed}?done=saved`);
    expect((await (await instance.api("GET", "/api/v1/admin/federation")).json()).mode).toBe(
      "allowlist",
    );
    await post(`${fed}/mode`, { mode: "open", _csrf: adminCsrf }, { cookie: admin });
    const block = {
      domain: "Spam.Example",
      policy: "block",
      reason: "floods",
      _csrf: adminCsrf,
      confirm: "1",
    };
    const blocked = await post(`${fed}/domains`, block, { cookie: admin });
    expect(blocked.status).toBe(200);
    expect(blocked.body).toContain("Blocked. Removed on that server: 0 followers and 0 follows.");
    expect((await post(`${fed}/domains`, block, { cookie: admin })).status).toBe(409);
    const invalidDomain = await post(
      `${fed}/domains`,
      { ...block, domain: "not a domain!" },
      { cookie: admin },
    );
    expect(invalidDomain.status).toBe(422);
    expect(invalidDomain.body).toContain('value="not a domain!"');
    const listed = await (await instance.api("GET", "/api/v1/admin/federation/domains")).json();
    expect(listed.items).toEqual([
      expect.objectContaining({ domain: "spam.example", policy: "block", reason: "floods" }),
    ]);
    await post(
      `${fed}/domains/remove`,
      { domain: "spam.example", _csrf: adminCsrf },
      { cookie: admin },
    );
    expect(
      (await (await instance.api("GET", "/api/v1/admin/federation/domains")).json()).items,
    ).toEqual([]);
    expect((await get(fed, { cookie })).status).toBe(404);

    // A coordinator is not an admin, even with a valid form.
    expect((await get("/workspace/admin/invitations", { cookie })).status).toBe(404);
    const own = csrfIn(await (await get("/workspace", { cookie })).text());
    const refused = await post(
      "/workspace/admin/invitations",
      { for: "admin", _csrf: own },
      { cookie },
    );
    expect(refused.status).toBe(404);
    expect(
      await instance.database.db
        .selectFrom("invitations")
        .select("id")
        .where("for_admin", "=", true)
        .execute(),
    ).toHaveLength(1);
  });

  it("lets admins create collectives and take an account's access away, from pages", async () => {
    const { url: adminLink } = await (
      await instance.api("POST", "/api/v1/admin/invitations", { admin: true })
    ).json();
    const admin = cookieOf(
      (
        await post(new URL(adminLink).pathname, {
          username: "keeper",
          password: "admin passphrase!",
          passwordAgain: "admin passphrase!",
        })
      ).headers["set-cookie"],
    );
    const groupsPath = "/workspace/admin/groups";
    const page = await (await get(groupsPath, { cookie: admin })).text();
    expect(page).toContain("Food collective");
    expect(page).toContain('href="/workspace/admin/accounts"');
    const csrf = csrfIn(page);

    const invalid = await post(
      groupsPath,
      { handle: "Tool Library", name: " ", summary: "<i>kept</i>", _csrf: csrf },
      { cookie: admin },
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain('id="g-handle-error"');
    expect(invalid.body).toContain("Use 1 to 30 lowercase letters, digits or _.");
    expect(invalid.body).toContain('id="g-name-error"');
    expect(invalid.body).toContain('value="Tool Library"');
    expect(invalid.body).toContain("&lt;i&gt;kept&lt;/i&gt;</textarea>");
    const taken = await post(
      groupsPath,
      { handle: "food", name: "Another food", _csrf: csrf },
      { cookie: admin },
    );
    expect(taken.status).toBe(409);
    expect(taken.body).toContain("This handle is taken.");
    const forged = await post(
      groupsPath,
      { handle: "tools", name: "Tool library", _csrf: "forged" },
      { cookie: admin },
    );
    expect(forged.status).toBe(403);
    expect((await instance.api("GET", "/api/v1/groups/tools")).status).toBe(404);

    const created = await post(
      groupsPath,
      { handle: "tools", name: "Tool library", followPolicy: "approval", _csrf: csrf },
      { cookie: admin },
    );
    expect(created.status).toBe(303);
    expect(
      await (await get(created.headers.location as string, { cookie: admin })).text(),
    ).toContain("Tool library was created.");
    expect(await (await instance.api("GET", "/api/v1/groups/tools")).json()).toMatchObject({
      name: "Tool library",
      followPolicy: "approval",
    });
    const actor = await fetch(url("/groups/tools"), {
      headers: { accept: "application/activity+json" },
    });
    expect((await actor.json()).publicKey).toBeDefined();

    // A coordinator reaches none of it.
    expect((await get(groupsPath, { cookie })).status).toBe(404);
    expect((await get("/workspace/admin/accounts", { cookie })).status).toBe(404);
    const own = csrfIn(await (await get("/workspace", { cookie })).text());
    const notAdmin = await post(
      groupsPath,
      { handle: "mine", name: "Mine", _csrf: own },
      { cookie },
    );
    expect(notAdmin.status).toBe(404);
    expect((await instance.api("GET", "/api/v1/groups/mine")).status).toBe(404);

    // A coordinator of "other", signed in twice.
    const { url: link } = await invite("other");
    const luz = cookieOf(
      (
        await post(new URL(link).pathname, {
          username: "luz",
          password: "a long passphrase",
          passwordAgain: "a long passphrase",
        })
      ).headers["set-cookie"],
    );
    expect((await post("/login", { username: "luz", password: "a long passphrase" })).status).toBe(
      303,
    );
    const luzId = (
      await instance.database.db
        .selectFrom("accounts")
        .select("id")
        .where("username", "=", "luz")
        .executeTakeFirstOrThrow()
    ).id;
    const accountsPath = "/workspace/admin/accounts";
    const accounts = await (await get(accountsPath, { cookie: admin })).text();
    const luzItem = accounts.slice(accounts.indexOf(`id="a-${luzId}"`));
    expect(luzItem).toContain("Coordinates: Other collective");
    expect(luzItem).toContain("2 active sign-ins");
    expect(accounts).toContain("Instance admin");

    const notByCoordinator = await post(
      `${accountsPath}/${luzId}/revoke`,
      { _csrf: own },
      { cookie },
    );
    expect(notByCoordinator.status).toBe(404);

    const signedOut = await post(
      `${accountsPath}/${luzId}/sign-out`,
      { _csrf: csrf },
      { cookie: admin },
    );
    expect(signedOut.status).toBe(303);
    expect(
      await (await get(signedOut.headers.location as string, { cookie: admin })).text(),
    ).toContain("2 sign-ins were ended.");
    expect((await get("/workspace", { cookie: luz })).status).toBe(303);

    const revoked = await post(
      `${accountsPath}/${luzId}/revoke`,
      { _csrf: csrf },
      { cookie: admin },
    );
    expect(revoked.status).toBe(303);
    const after = await (await get(revoked.headers.location as string, { cookie: admin })).text();
    expect(after).toContain("Access revoked: the account is signed out");
    expect(after.slice(after.indexOf(`id="a-${luzId}"`))).toContain('data-state="revoked"');
    const locked = await post("/login", { username: "luz", password: "a long passphrase" });
    expect(locked.status).toBe(401);
    expect(locked.body).toContain("That username and password do not match an account.");

    const keeperId = (
      await instance.database.db
        .selectFrom("accounts")
        .select("id")
        .where("username", "=", "keeper")
        .executeTakeFirstOrThrow()
    ).id;
    const self = await post(
      `${accountsPath}/${keeperId}/revoke`,
      { _csrf: csrf },
      { cookie: admin },
    );
    expect(self.status).toBe(409);
    expect(self.body).toContain("You cannot revoke your own access.");
    expect((await get(accountsPath, { cookie: admin })).status).toBe(200);

    const restored = await post(
      `${accountsPath}/${luzId}/restore`,
      { _csrf: csrf },
      { cookie: admin },
    );
    expect(restored.status).toBe(303);
    const back = await post("/login", { username: "luz", password: "a long passphrase" });
    expect(back.status).toBe(303);
    const luzAgain = cookieOf(back.headers["set-cookie"]);
    expect((await get("/workspace/groups/other/triage", { cookie: luzAgain })).status).toBe(200);
  });

  it("refuses a form from another site before anything else", async () => {
    const res = await post(
      "/login",
      { username: "maria", password: "a long passphrase" },
      {
        origin: "https://evil.example",
      },
    );
    expect(res.status).toBe(403);
  });
});

describe("coordinator session cookie on an https origin", () => {
  it("is __Host- prefixed and Secure", async () => {
    const instance = await startTestInstance({ env: { ORIGIN: "https://aid.example" } });
    try {
      const direct = (path: string) => new URL(path, `http://127.0.0.1:${instance.port}`);
      await fetch(direct("/api/v1/groups"), {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ handle: "food", name: "Food" }),
      });
      const invitation = await (
        await fetch(direct("/api/v1/admin/invitations"), {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ group: "food" }),
        })
      ).json();
      expect(invitation.url).toMatch(/^https:\/\/aid\.example\/invitations\//);
      const res = await postForm(direct(new URL(invitation.url).pathname), {
        username: "maria",
        password: "a long passphrase",
        passwordAgain: "a long passphrase",
      });
      expect(res.status).toBe(303);
      const setCookie = [res.headers["set-cookie"]].flat().join();
      expect(setCookie).toMatch(/^__Host-session=[A-Za-z0-9_-]{43};/);
      expect(setCookie).toContain("Secure");
      expect(setCookie).toContain("HttpOnly");
      expect(setCookie).toContain("SameSite=Lax");
      expect(setCookie).toContain("Path=/");
    } finally {
      await instance.stop();
    }
  });
});
