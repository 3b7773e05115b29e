import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngine } from "./helpers/database.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type ReceivedMail, startSmtpServer } from "./helpers/smtp-server.ts";
import { waitFor } from "./helpers/wait.ts";

/**
 * Email for coordinators, end to end: a real SMTP server on loopback
 * receives what the instance sends, and each message is parsed and read.
 */
describe(`email for coordinators (${testEngine})`, () => {
  let instance: TestInstance;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let maria: string;
  let mariaId: string;
  // A clock the test moves: digests go out when their hour has passed.
  let now = Temporal.Instant.from("2026-12-10T02:10:00Z");

  const url = (path: string) => new URL(path, instance.config.origin);
  const get = async (cookie: string | null, path: string) => {
    const res = await fetch(url(path), {
      headers: cookie === null ? {} : { cookie },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text(), location: res.headers.get("location") };
  };
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const post = async (
    cookie: string,
    path: string,
    fields: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) => {
    const csrf = csrfIn((await get(cookie, "/workspace")).body);
    return postForm(url(path), { _csrf: csrf, ...fields }, { cookie, ...headers });
  };
  const cookieOf = (res: { headers: Record<string, string | string[] | undefined> }) =>
    [res.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
  const mailTo = (address: string, subject: RegExp | string, after = 0) =>
    waitFor<ReceivedMail | undefined>(`an email "${subject}" to ${address}`, () =>
      smtp.mails
        .slice(after)
        .find(
          (m) =>
            m.envelopeTo.includes(address) &&
            (typeof subject === "string"
              ? m.parsed.subject === subject
              : subject.test(m.parsed.subject ?? "")),
        ),
    ) as Promise<ReceivedMail>;
  const linkIn = (mail: ReceivedMail, path: string) => {
    const escaped = path.replaceAll("/", "\\/");
    return new RegExp(`${instance.config.origin.origin}${escaped}[A-Za-z0-9_.\\-/]+`).exec(
      mail.parsed.text ?? "",
    )?.[0];
  };
  /** A header as sent (mailparser folds List-* headers into one object of its own). */
  const header = (mail: ReceivedMail, name: string) => {
    const line = mail.parsed.headerLines.find((h) => h.key === name.toLowerCase())?.line;
    return line
      ?.slice(line.indexOf(":") + 1)
      .replace(/\r?\n\s+/g, " ")
      .trim();
  };
  const ask = async (title: string) => {
    const res = await postForm(url("/groups/food/ask"), {
      title,
      category: "water",
      urgency: "high",
      contact: "Ana, 0917 000 0000",
      quantityAmount: "20",
      quantityUnit: "one",
      place: "Cubao",
      neededBy: "",
      description: "",
      website: "",
    });
    expect(res.status).toBe(303);
  };
  const preferences = async () =>
    instance.database.db
      .selectFrom("email_preferences")
      .select(["kind", "frequency"])
      .where("account_id", "=", mariaId)
      .orderBy("kind")
      .execute();
  const eventsFannedOut = () =>
    waitFor("recorded events to be handled", async () => {
      const rows = await instance.database.db.selectFrom("email_events").select("id").execute();
      return rows.length === 0;
    });

  beforeAll(async () => {
    smtp = await startSmtpServer();
    instance = await startTestInstance({
      clock: () => now,
      env: { SMTP_URL: smtp.url, MAIL_FROM: "Ayuda <ayuda@aid.example>" },
      messaging: { outbox: { pollIntervalMs: 100 } },
    });
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group: "food" })
    ).json();
    const res = await postForm(new URL(invitation.url), {
      username: "maria",
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    maria = cookieOf(res);
    mariaId = (
      await instance.database.db
        .selectFrom("accounts")
        .select("id")
        .where("username", "=", "maria")
        .executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(async () => {
    await instance?.stop();
    await smtp?.stop();
  });

  it("confirms an address by a link sent to it, in the language chosen", async () => {
    const page = await get(maria, "/workspace/account/email");
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="address"');
    expect(page.body).toContain('name="new-request" value="hourly"');

    const saved = await post(maria, "/workspace/account/email", {
      address: "Maria@Example.ORG",
      language: "es",
    });
    expect(saved.status).toBe(303);
    const mail = await mailTo("Maria@example.org", "Confirma tu dirección de correo");
    expect(mail.parsed.from?.value).toEqual([{ name: "Ayuda", address: "ayuda@aid.example" }]);
    expect(mail.parsed.headers.get("content-language")).toBe("es");
    expect(mail.parsed.html).toContain('<html lang="es">');
    // Made from the outbox row's id: a resend is the same message.
    const row = await instance.database.db
      .selectFrom("outbound_messages")
      .select(["id", "status"])
      .where("recipient", "=", "Maria@example.org")
      .executeTakeFirstOrThrow();
    expect(mail.parsed.messageId).toBe(`<${row.id}@127.0.0.1>`);
    await waitFor("the message marked sent", async () => {
      const r = await instance.database.db
        .selectFrom("outbound_messages")
        .select("status")
        .where("id", "=", row.id)
        .executeTakeFirstOrThrow();
      return r.status === "sent";
    });
    // A transactional email: nothing to unsubscribe from.
    expect(header(mail, "List-Unsubscribe")).toBeUndefined();
    const link = linkIn(mail, "/email/confirm/")!;
    expect(link).toBeDefined();
    expect(mail.parsed.html).toContain(`href="${link}"`);

    // Nothing but the confirmation goes out before the link is opened.
    await ask("Drinking water before confirming");
    await eventsFannedOut();
    expect(smtp.mails.filter((m) => m.parsed.text?.includes("before confirming"))).toEqual([]);

    const confirmed = await get(null, new URL(link).pathname);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toContain("Email address confirmed.");
    expect((await get(null, new URL(link).pathname)).status).toBe(404);
    const settings = await get(maria, "/workspace/account/email?lang=es");
    expect(settings.body).toContain("Los correos van a Maria@example.org.");
  });

  it("refuses a malformed address or an unknown choice and changes nothing", async () => {
    const before = await instance.database.db
      .selectFrom("account_emails")
      .selectAll()
      .executeTakeFirstOrThrow();
    const json = await post(
      maria,
      "/workspace/account/email",
      { address: "maria@example.org\r\nBcc: everyone@example.org", language: "es" },
      { accept: "application/json" },
    );
    expect(json.status).toBe(400);
    expect(JSON.parse(json.body)).toMatchObject({
      error: "invalid_request",
      details: { address: expect.any(String) },
    });
    const html = await post(maria, "/workspace/account/email", {
      address: "not an address",
      language: "es",
    });
    expect(html.status).toBe(400);
    expect(html.body).toContain('id="address-error"');
    expect(
      await instance.database.db.selectFrom("account_emails").selectAll().executeTakeFirstOrThrow(),
    ).toEqual(before);

    const prefsBefore = await preferences();
    for (const fields of [
      { "new-request": "sometimes" } as Record<string, string>,
      { "new-request": "hourly", "lunar-eclipse": "daily" },
    ]) {
      const res = await post(maria, "/workspace/account/email/preferences", fields);
      expect(res.status).toBe(400);
      expect(res.headers["content-type"]).toContain("application/json");
      expect(JSON.parse(res.body).error).toBe("invalid_request");
    }
    expect(await preferences()).toEqual(prefsBefore);
  });

  it("emails a new request at once, in Spanish, with a one-click unsubscribe", async () => {
    await ask("Agua para 20 familias");
    const mail = await mailTo("Maria@example.org", "Food collective: Solicitud nueva");
    // The sentence is the catalog's Spanish one, not an English line with a title in it.
    expect(mail.parsed.text).toContain(
      "Alguien pide ayuda; espera en Pedidos nuevos: “Agua para 20 familias”",
    );
    expect(mail.parsed.text).toContain(
      `${instance.config.origin.origin}/workspace/groups/food/triage`,
    );
    expect(mail.parsed.html).toContain("Agua para 20 familias");
    expect(mail.parsed.text).toContain("Recibes esto porque la cuenta maria");
    expect(header(mail, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    const unsubscribe = /^<([^>]+)>$/.exec(header(mail, "List-Unsubscribe") ?? "")![1]!;
    expect(unsubscribe).toBe(linkIn(mail, "/email/unsubscribe/"));

    // Opening the link only asks; a mail program's one-click POST (no
    // session, no origin) stops that kind.
    const asked = await get(null, new URL(unsubscribe).pathname + "?lang=es");
    expect(asked.status).toBe(200);
    expect(asked.body).toContain("Solicitud nueva");
    expect((await preferences()).find((p) => p.kind === "new-request")?.frequency).not.toBe(
      "never",
    );
    const oneClick = await postForm(new URL(unsubscribe), { "List-Unsubscribe": "One-Click" });
    expect(oneClick.status).toBe(200);
    expect((await preferences()).find((p) => p.kind === "new-request")?.frequency).toBe("never");
    // A forged token changes nothing.
    const forged = `${new URL(unsubscribe).pathname.slice(0, -3)}AAA`;
    expect((await postForm(url(forged), {})).status).toBe(404);

    const sentBefore = smtp.mails.length;
    await ask("Not emailed any more");
    await eventsFannedOut();
    const written = await instance.database.db
      .selectFrom("outbound_messages")
      .select("id")
      .where("body_text", "like", "%Not emailed any more%")
      .execute();
    expect(written).toEqual([]);
    expect(smtp.mails.length).toBe(sentBefore);
  });

  it("gathers events into an hourly digest sent once the hour is over", async () => {
    const saved = await post(maria, "/workspace/account/email/preferences", {
      "new-request": "hourly",
    });
    expect(saved.status).toBe(303);
    const start = smtp.mails.length;
    await ask("Rice for the evacuation centre");
    await ask("Blankets for the night");
    await eventsFannedOut();
    const entries = await instance.database.db.selectFrom("digest_entries").select("id").execute();
    expect(entries).toHaveLength(2);
    expect(smtp.mails.length).toBe(start);

    now = now.add({ hours: 1 });
    const digest = await mailTo("Maria@example.org", /resumen de la hora/, start);
    expect(digest.parsed.subject).toBe("2 novedades (resumen de la hora)");
    expect(digest.parsed.text).toContain(
      "- Alguien pide ayuda; espera en Pedidos nuevos: “Rice for the evacuation centre”",
    );
    expect(digest.parsed.text).toContain(
      "- Alguien pide ayuda; espera en Pedidos nuevos: “Blankets for the night”",
    );
    expect(digest.parsed.html).toContain("<ul>");
    expect(header(digest, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    expect(await instance.database.db.selectFrom("digest_entries").select("id").execute()).toEqual(
      [],
    );
  });

  it("emails an answer to a need at once, without the private contact of the person helping", async () => {
    const need = await (
      await instance.api("POST", "/api/v1/groups/food/needs", {
        title: "Water containers",
        category: "water",
      })
    ).json();
    const start = smtp.mails.length;
    const res = await postForm(url(`/needs/${need.id}/help`), {
      message: "I have ten jerrycans",
      contact: "Ben, 0918 111 2222",
    });
    expect(res.status).toBe(201);
    const mail = await mailTo(
      "Maria@example.org",
      "Food collective: Respuesta o compromiso",
      start,
    );
    expect(mail.parsed.text).toContain("Nueva respuesta a “Water containers”");
    expect(mail.parsed.text).toMatch(
      new RegExp(`${instance.config.origin.origin}/workspace/groups/food/responses/[0-9a-f-]{36}`),
    );
    expect(mail.raw).not.toContain("0918 111 2222");
  });

  it("sends a password reset link to a confirmed address", async () => {
    const start = smtp.mails.length;
    const asked = await postForm(url("/password-reset"), { account: "maria" });
    expect(asked.status).toBe(303);
    // The same answer for an account that has no address.
    expect((await postForm(url("/password-reset"), { account: "nobody" })).status).toBe(303);
    const mail = await mailTo("Maria@example.org", "Elige una contraseña nueva", start);
    const link = linkIn(mail, "/password-reset/")!;
    const page = await get(null, new URL(link).pathname);
    expect(page.status).toBe(200);
    const reset = await postForm(new URL(link), {
      password: "a brand new passphrase",
      passwordAgain: "a brand new passphrase",
    });
    expect(reset.status).toBe(303);
    const login = await postForm(url("/login"), {
      username: "maria",
      password: "a brand new passphrase",
      next: "/workspace",
    });
    expect(login.status).toBe(303);
  });

  it("shows admins whether email is configured and sends them a test message", async () => {
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { admin: true })
    ).json();
    const root = cookieOf(
      await postForm(new URL(invitation.url), {
        username: "root",
        password: "an admin passphrase",
        passwordAgain: "an admin passphrase",
      }),
    );
    const page = await get(root, "/workspace/admin/messaging");
    expect(page.status).toBe(200);
    expect(page.body).toContain(
      "Email is configured: messages are sent from Ayuda &lt;ayuda@aid.example&gt;.",
    );
    // The reset above ended maria's sign-ins: she signs in again.
    const again = cookieOf(
      await postForm(url("/login"), {
        username: "maria",
        password: "a brand new passphrase",
        next: "/workspace",
      }),
    );
    // As every admin page to a coordinator: not found.
    expect((await get(again, "/workspace/admin/messaging")).status).toBe(404);

    const bad = await post(root, "/workspace/admin/messaging/test-email", { address: "root@" });
    expect(bad.status).toBe(400);
    const start = smtp.mails.length;
    // The mail server is busy the first time: the message waits and is tried again.
    smtp.refuse(1);
    const sent = await post(root, "/workspace/admin/messaging/test-email", {
      address: "root@example.org",
    });
    expect(sent.status).toBe(303);
    const refused = await waitFor("the refused attempt recorded", async () =>
      instance.database.db
        .selectFrom("outbound_messages")
        .select(["status", "attempts", "last_error"])
        .where("recipient", "=", "root@example.org")
        .where("attempts", "=", 1)
        .where("last_error", "is not", null)
        .executeTakeFirst(),
    );
    expect(refused?.status).toBe("pending");
    expect(refused?.last_error).toContain("451");
    const waiting = await get(root, "/workspace/admin/messaging");
    expect(waiting.body).toContain("Email outbox: 1 waiting, 0 given up.");
    now = now.add({ minutes: 1 });
    const mail = await mailTo("root@example.org", "Test email from Bayanihan", start);
    expect(mail.parsed.text).toContain("email from this instance reaches this address");
  });
});
