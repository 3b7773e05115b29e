import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eraseOldContacts } from "../src/services/intake.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import {
  androidWebhook,
  type FakeSmsGateway,
  startFakeSmsGateway,
  twilioWebhook,
} from "./helpers/sms-gateway.ts";
import { startSmtpServer } from "./helpers/smtp-server.ts";
import { waitFor } from "./helpers/wait.ts";

/**
 * Help asked for by text message, through a gateway server in the test that
 * speaks both documented protocols: it signs webhooks into the instance and
 * takes the texts the instance sends back.
 */
describe("requests by SMS", () => {
  let instance: TestInstance;
  let gateway: FakeSmsGateway;
  let cookie: string;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  const mailTo = (address: string, subject: string, text = "") =>
    waitFor(`an email "${subject}"`, () =>
      smtp.mails.find(
        (m) =>
          m.envelopeTo.includes(address) &&
          m.parsed.subject === subject &&
          (m.parsed.text ?? "").includes(text),
      ),
    );
  const ANDROID_NUMBER = "+639170000001";
  const ANDROID_KEY = "android-signing-key-1";
  const TWILIO_NUMBER = "+15005550006";
  const TWILIO_SID = "AC0123456789abcdef0123456789abcdef";
  const TWILIO_TOKEN = "twilio-auth-token-1";
  const androidUrl = (number = ANDROID_NUMBER) =>
    new URL(`/webhooks/sms/android/${number.slice(1)}`, instance.config.origin).href;
  const twilioUrl = () => new URL("/webhooks/sms/twilio", instance.config.origin).href;
  const post = (url: string, signed: { body: string; headers: Record<string, string> }) =>
    fetch(url, { method: "POST", headers: signed.headers, body: signed.body });
  const counts = async () => {
    const db = instance.database.db;
    const [requests, inbound] = await Promise.all([
      db
        .selectFrom("intake_requests")
        .select(db.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom("sms_inbound")
        .select(db.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
    ]);
    return { requests: Number(requests.n), inbound: Number(inbound.n) };
  };
  let sequence = 0;
  const android = (from: string, text: string, timestamp?: number) =>
    post(
      androidUrl(),
      androidWebhook(ANDROID_KEY, { id: `event-${++sequence}`, from, text }, timestamp),
    );
  const twilio = (from: string, text: string, to = TWILIO_NUMBER, token = TWILIO_TOKEN) => {
    const params = {
      MessageSid: `SM${String(++sequence).padStart(32, "0")}`,
      SmsSid: `SM${String(sequence).padStart(32, "0")}`,
      AccountSid: TWILIO_SID,
      From: from,
      To: to,
      Body: text,
      NumMedia: "0",
    };
    return post(twilioUrl(), twilioWebhook(token, twilioUrl(), params));
  };
  const textsTo = (number: string) => gateway.sent.filter((m) => m.to === number);

  beforeAll(async () => {
    gateway = await startFakeSmsGateway({
      android: { username: "sms", password: "phone-password" },
      twilio: { accountSid: TWILIO_SID, authToken: TWILIO_TOKEN },
    });
    smtp = await startSmtpServer();
    instance = await startTestInstance({
      env: { SMTP_URL: smtp.url, MAIL_FROM: "Ayuda <ayuda@aid.example>" },
      messaging: { outbox: { pollIntervalMs: 100 } },
    });
    for (const [handle, name] of [
      ["comedor", "Comedor Cubao"],
      ["tubig", "Tubig collective"],
    ] as const) {
      expect((await instance.api("POST", "/api/v1/groups", { handle, name })).status).toBe(201);
    }
    // Cubao is a district the offline gazetteer lacks: the collective names it.
    const place = { name: "Cubao", latitude: 14.6196, longitude: 121.0537 };
    expect((await instance.api("POST", "/api/v1/groups/comedor/places", place)).status).toBe(201);
    const setAndroid = await instance.api("PUT", "/api/v1/groups/comedor/sms", {
      protocol: "android",
      phoneNumber: ANDROID_NUMBER,
      webhookSecret: ANDROID_KEY,
      apiUrl: gateway.url,
      apiUsername: "sms",
      apiPassword: "phone-password",
    });
    expect(setAndroid.status).toBe(200);
    const setTwilio = await instance.api("PUT", "/api/v1/groups/tubig/sms", {
      protocol: "twilio",
      phoneNumber: TWILIO_NUMBER,
      webhookSecret: TWILIO_TOKEN,
      apiUrl: gateway.url,
      apiUsername: TWILIO_SID,
    });
    expect(setTwilio.status).toBe(200);

    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group: "comedor" })
    ).json();
    const created = await postForm(new URL(invitation.url), {
      username: "rosa",
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    cookie = [created.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
    // The coordinator reads email in Spanish.
    const workspace = await (
      await fetch(new URL("/workspace", instance.config.origin), { headers: { cookie } })
    ).text();
    const saved = await postForm(
      new URL("/workspace/account/email", instance.config.origin),
      {
        _csrf: /name="_csrf" value="([^"]+)"/.exec(workspace)![1]!,
        address: "rosa@example.org",
        language: "es",
      },
      { cookie },
    );
    expect(saved.status).toBe(303);
    const confirmation = await mailTo("rosa@example.org", "Confirma tu dirección de correo");
    const link = /http:\/\/\S+\/email\/confirm\/[A-Za-z0-9_.\-/]+/.exec(
      confirmation!.parsed.text ?? "",
    )![0];
    expect((await fetch(link)).status).toBe(200);
  });
  afterAll(async () => {
    await instance?.stop();
    await gateway?.close();
    await smtp?.stop();
  });

  it("shows the gateway to coordinators without its secrets", async () => {
    const res = await instance.api("GET", "/api/v1/groups/comedor/sms");
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      protocol: "android",
      phoneNumber: ANDROID_NUMBER,
      webhookUrl: androidUrl(),
    });
    expect(JSON.stringify(body)).not.toContain(ANDROID_KEY);
    expect(JSON.stringify(body)).not.toContain("phone-password");
    const refused = await instance.api("PUT", "/api/v1/groups/tubig/sms", {
      protocol: "android",
      phoneNumber: ANDROID_NUMBER,
      webhookSecret: "another-key-1",
      apiUrl: gateway.url,
      apiUsername: "sms",
      apiPassword: "x",
    });
    expect(refused.status).toBe(409);
  });

  it("says on the pages which collectives take texts", async () => {
    const page = async (path: string, headers: Record<string, string> = {}) =>
      (await fetch(new URL(path, instance.config.origin), { headers })).text();
    const form = await page("/groups/comedor/ask?lang=es");
    expect(form).toContain(
      `¿Sin datos? Envía un mensaje de texto (SMS) al ${ANDROID_NUMBER}, por ejemplo: NECESITO agua 20 Cubao`,
    );
    expect(
      (await instance.api("POST", "/api/v1/groups", { handle: "plain", name: "P" })).status,
    ).toBe(201);
    expect(form).toContain('name="smsUpdates"');
    const plainForm = await page("/groups/plain/ask");
    expect(plainForm).not.toContain('id="sms-channel"');
    expect(plainForm).not.toContain('name="smsUpdates"');

    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { admin: true })
    ).json();
    const created = await postForm(new URL(invitation.url), {
      username: "root",
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    const admin = [created.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
    const collectives = await page("/workspace/admin/groups", { cookie: admin });
    expect(collectives).toContain(`SMS: Android gateway, ${ANDROID_NUMBER}`);
    expect(collectives).toContain(`SMS: Twilio gateway, ${TWILIO_NUMBER}`);
    expect(collectives).toContain("SMS: not configured");
    expect(collectives).not.toContain(ANDROID_KEY);
  });

  it("texts a web request's updates to the number its sender left, with their consent", async () => {
    const ask = (fields: Record<string, string>) =>
      postForm(new URL("/groups/comedor/ask", instance.config.origin), {
        title: "Rice for two families",
        category: "food",
        urgency: "normal",
        contact: "Lea, at the chapel",
        ...fields,
      });
    const before = await counts();
    const bad = await ask({ smsUpdates: "917 22" });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain("Write the whole number with its country code");
    expect(bad.body).toContain('value="917 22"');
    expect(await counts()).toEqual(before);

    const sent = await ask({ smsUpdates: "+63 917 222 3333" });
    expect(sent.status).toBe(303);
    const token = /^\/requests\/([A-Za-z0-9_-]{43})/.exec(sent.headers.location as string)![1]!;
    const text = await waitFor("the web request's text", () => textsTo("+639172223333")[0]);
    expect(text.text).toContain(`Comedor Cubao: we got your request. Follow it here:`);
    expect(text.text).toContain(`/requests/${token}?lang=en`);
  });

  it("turns 'NECESITO agua 20 Cubao' into a request in triage and texts back its link", async () => {
    const from = "+639171234567";
    const signed = androidWebhook(ANDROID_KEY, {
      id: "event-cubao",
      from,
      text: "NECESITO agua 20 Cubao",
    });
    const res = await post(androidUrl(), signed);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "accepted", duplicate: false });

    const row = await instance.database.db
      .selectFrom("intake_requests")
      .innerJoin("groups", "groups.id", "intake_requests.group_id")
      .select([
        "groups.handle",
        "intake_requests.state",
        "intake_requests.category",
        "intake_requests.quantity_amount",
        "intake_requests.quantity_unit",
        "intake_requests.location_name",
        "intake_requests.location_latitude",
        "intake_requests.location_longitude",
        "intake_requests.description",
        "intake_requests.contact",
        "intake_requests.language",
      ])
      .where("intake_requests.contact", "=", from)
      .executeTakeFirstOrThrow();
    expect({ ...row, quantity_amount: Number(row.quantity_amount) }).toEqual({
      handle: "comedor",
      state: "new",
      category: "water",
      quantity_amount: 20,
      quantity_unit: "one",
      location_name: "Cubao",
      location_latitude: 14.6196,
      location_longitude: 121.0537,
      description: "NECESITO agua 20 Cubao",
      contact: from,
      language: "es",
    });

    // The coordinator is told by email, in Spanish: the sentence, not only the subject.
    const mail = await mailTo(
      "rosa@example.org",
      "Comedor Cubao: Solicitud nueva",
      "Alguien pide ayuda; espera en Pedidos nuevos: “NECESITO agua 20 Cubao”",
    );
    expect(mail!.parsed.html).toContain(
      "Alguien pide ayuda; espera en Pedidos nuevos: “NECESITO agua 20 Cubao”",
    );
    expect(mail!.parsed.text).toContain("/workspace/groups/comedor/triage");

    // The coordinators' triage page lists it with its place.
    const triage = await fetch(
      new URL("/workspace/groups/comedor/triage", instance.config.origin),
      {
        headers: { cookie },
      },
    );
    const html = await triage.text();
    expect(html).toContain("NECESITO agua 20 Cubao");
    expect(html).toContain("Cubao (14.6196, 121.0537)");

    // The reply, in Spanish, with the private status link that works.
    const reply = await waitFor("the reply text", () => textsTo(from)[0]);
    expect(reply.via).toBe("android");
    expect(reply.text).toContain("Comedor Cubao: recibimos tu solicitud");
    const link = /(http:\/\/\S+\/requests\/[A-Za-z0-9_-]{43}\?lang=es)/.exec(reply.text)![1]!;
    const status = await fetch(link);
    expect(status.status).toBe(200);
    const statusPage = await status.text();
    expect(statusPage).toContain("NECESITO agua 20 Cubao");
    expect(statusPage).toContain("las novedades también llegan por mensaje de texto");

    // The gateway sends the same webhook again (it got no answer in time): nothing new.
    const before = await counts();
    const again = await post(androidUrl(), signed);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: "accepted", duplicate: true });
    expect(await counts()).toEqual(before);

    // Publishing the need texts the person its short link; pledging it too.
    const { id } = await instance.database.db
      .selectFrom("intake_requests")
      .select("id")
      .where("contact", "=", from)
      .executeTakeFirstOrThrow();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    const places = await (await instance.api("GET", "/api/v1/groups/comedor/places")).json();
    const published = await postForm(
      new URL(`/workspace/groups/comedor/triage/${id}/publish`, instance.config.origin),
      {
        _csrf: csrf,
        title: "Agua para una familia",
        description: "",
        category: "water",
        quantityAmount: "20",
        quantityUnit: "one",
        place: "Cubao",
        placePick: `s:${places.items[0].id}`,
        urgency: "normal",
        neededBy: "",
        contact: "",
      },
      { cookie },
    );
    expect(published.status).toBe(303);
    const needs = await (await instance.api("GET", "/api/v1/groups/comedor/needs")).json();
    const need = needs.items.find((n: { title: string }) => n.title === "Agua para una familia");
    expect(need.location).toMatchObject({ latitude: 14.6196, longitude: 121.0537 });
    const publishedText = await waitFor(
      "the published text",
      () => textsTo(from).find((m) => m.text.includes("ya es pública")) ?? null,
    );
    const shortLink = /(http:\/\/\S+\/go\/[0-9a-f]{10})/.exec(publishedText!.text)![1]!;
    const go = await fetch(shortLink, { redirect: "manual" });
    expect(go.status).toBeGreaterThanOrEqual(300);
    expect(go.headers.get("location")).toContain(need.id);

    const pledged = await instance.api("PATCH", `/api/v1/needs/${need.id}`, { status: "pledged" });
    expect(pledged.status).toBe(200);
    await waitFor("the pledged text", () =>
      textsTo(from).find((m) => m.text.includes("alguien se comprometió")),
    );
    const fulfilled = await instance.api("PATCH", `/api/v1/needs/${need.id}`, {
      status: "fulfilled",
    });
    expect(fulfilled.status).toBe(200);
    await waitFor("the fulfilled text", () =>
      textsTo(from).find((m) => m.text.includes("marcada como cumplida")),
    );
    expect(textsTo(from).filter((m) => m.text.includes("recibimos"))).toHaveLength(1);
  });

  it("texts a declined request's reason in the sender's language", async () => {
    const from = "+639171110000";
    expect((await android(from, "NEED shelter 2 Cubao")).status).toBe(200);
    const { id } = await instance.database.db
      .selectFrom("intake_requests")
      .select("id")
      .where("contact", "=", from)
      .executeTakeFirstOrThrow();
    const triage = await fetch(
      new URL("/workspace/groups/comedor/triage", instance.config.origin),
      {
        headers: { cookie },
      },
    );
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await triage.text())![1]!;
    const declined = await postForm(
      new URL(`/workspace/groups/comedor/triage/${id}/decline`, instance.config.origin),
      { _csrf: csrf, reason: "outside-area", note: "Try Project 4", confirming: "1", confirm: "1" },
      { cookie },
    );
    expect(declined.status).toBe(303);
    const text = await waitFor(
      "the declined text",
      () => textsTo(from).find((m) => m.text.includes("cannot take")) ?? null,
    );
    expect(text!.text).toBe(
      "Comedor Cubao cannot take your request. It is outside the area the collective serves. Try Project 4",
    );

    // Its contact is erased on the usual schedule, and the number leaves the outbox with it.
    const later = Temporal.Now.instant().add({ hours: 24 * 31 });
    await eraseOldContacts(
      { db: instance.database.db, clock: () => later },
      Temporal.Duration.from({ hours: 24 * 30 }),
    );
    const texts = await instance.database.db
      .selectFrom("outbound_messages")
      .select(["recipient", "dedupe_key"])
      .where("dedupe_key", "like", `sms:intake:${id}:%`)
      .execute();
    expect(texts.map((m) => m.recipient)).toEqual(["", ""]);
    // A request still waiting keeps its number for its texts.
    const others = await instance.database.db
      .selectFrom("outbound_messages")
      .select("recipient")
      .where("recipient", "=", "+639172223333")
      .execute();
    expect(others.length).toBeGreaterThan(0);
  });

  it("takes Twilio's signed webhooks and replies through Twilio's API from the collective's number", async () => {
    const from = "+14155550100";
    const res = await twilio(from, "KAILANGAN tubig 5");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/xml");
    const row = await instance.database.db
      .selectFrom("intake_requests")
      .select(["category", "quantity_amount", "language"])
      .where("contact", "=", from)
      .executeTakeFirstOrThrow();
    expect(row.category).toBe("water");
    expect(Number(row.quantity_amount)).toBe(5);
    const reply = await waitFor("the Twilio reply", () => textsTo(from)[0]);
    expect(reply).toMatchObject({ via: "twilio", from: TWILIO_NUMBER });
    // Asked in Filipino (KAILANGAN), answered in Filipino.
    expect(reply.text).toMatch(
      /Tubig collective: natanggap namin ang hiling mo\. Subaybayan dito: http:\/\/\S+\/requests\//,
    );
  });

  it("refuses unsigned, stale, misaddressed and over-long texts, storing nothing", async () => {
    const before = await counts();
    const from = "+639175550000";
    const forged = androidWebhook("not-the-key-1", { id: "forged", from, text: "NEED water 1" });
    const badSignature = await post(androidUrl(), forged);
    expect(badSignature.status).toBe(401);
    expect((await badSignature.json()).error).toBe("unauthorized");

    const unsigned = await fetch(androidUrl(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: forged.body,
    });
    expect(unsigned.status).toBe(401);

    const stale = await android(from, "NEED water 1", Math.floor(Date.now() / 1000) - 600);
    expect(stale.status).toBe(401);
    expect((await stale.json()).message).toContain("X-Timestamp");

    // The body changed after signing: the signature no longer matches.
    const signed = androidWebhook(ANDROID_KEY, { id: "tampered", from, text: "NEED water 1" });
    const tampered = await post(androidUrl(), {
      ...signed,
      body: signed.body.replace("NEED water 1", "NEED water 9"),
    });
    expect(tampered.status).toBe(401);

    const unknownNumber = await post(
      androidUrl("+639990000000"),
      androidWebhook(ANDROID_KEY, { id: "elsewhere", from, text: "NEED water 1" }),
    );
    // An unknown number answers as a bad signature: which numbers exist cannot be probed.
    expect(unknownNumber.status).toBe(401);
    expect(await unknownNumber.json()).toEqual(await (await post(androidUrl(), forged)).json());
    const unknownTwilio = await twilio(from, "NEED water 1", "+15005550009");
    expect(unknownTwilio.status).toBe(403);
    const badTwilio = await twilio(from, "NEED water 1", TWILIO_NUMBER, "wrong-token-1");
    expect(badTwilio.status).toBe(403);
    expect(await unknownTwilio.json()).toEqual(await badTwilio.json());

    const long = "NEED water 1 ".padEnd(10_000, "x");
    const longAndroid = await android(from, long);
    expect(longAndroid.status).toBe(413);
    expect((await longAndroid.json()).error).toBe("payload_too_large");
    expect((await twilio(from, long)).status).toBe(413);
    // Far past any text: refused before it is read.
    const huge = await android(from, "x".repeat(100_000));
    expect(huge.status).toBe(413);

    expect(await counts()).toEqual(before);
    expect(textsTo(from)).toEqual([]);
  });

  it("refuses a replayed Twilio webhook, which carries no signed time, by its MessageSid", async () => {
    const from = "+14155550199";
    const signedTwice = (body: string, sid: string) => {
      const params = {
        MessageSid: sid,
        AccountSid: TWILIO_SID,
        From: from,
        To: TWILIO_NUMBER,
        Body: body,
        NumMedia: "0",
      };
      return twilioWebhook(TWILIO_TOKEN, twilioUrl(), params);
    };
    // An accepted text sent again (Twilio retrying, or someone replaying it): the same answer, nothing new.
    const accepted = signedTwice("NEED water 3", `SM${"a".repeat(32)}`);
    expect((await post(twilioUrl(), accepted)).status).toBe(200);
    const before = await counts();
    expect((await post(twilioUrl(), accepted)).status).toBe(200);
    expect(await counts()).toEqual(before);
    expect(textsTo(from).length).toBeLessThanOrEqual(1);
    // A refused one replayed is refused as a replay, and does not count against the number again.
    const empty = signedTwice("   ", `SM${"b".repeat(32)}`);
    expect((await post(twilioUrl(), empty)).status).toBe(422);
    const replayed = await post(twilioUrl(), empty);
    expect(replayed.status).toBe(409);
    expect((await replayed.json()).error).toBe("conflict");
    expect(await counts()).toEqual(before);
  });

  it("emails a web request's link and updates to the address its sender left, in their language", async () => {
    const ask = (fields: Record<string, string>) =>
      postForm(new URL("/groups/comedor/ask?lang=es", instance.config.origin), {
        title: "Leche para un bebé",
        category: "food",
        urgency: "normal",
        contact: "Marta, junto a la capilla",
        ...fields,
      });
    const form = await (
      await fetch(new URL("/groups/comedor/ask?lang=es", instance.config.origin))
    ).text();
    expect(form).toContain("Correo electrónico para recibir novedades (opcional)");
    expect(form).toContain("se borra junto con tu contacto");
    const before = await counts();
    const bad = await ask({ emailUpdates: "marta@" });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain("Esto no es una dirección de correo.");
    expect(await counts()).toEqual(before);

    const sent = await ask({ emailUpdates: "Marta@Example.ORG" });
    expect(sent.status).toBe(303);
    const token = /^\/requests\/([A-Za-z0-9_-]{43})/.exec(sent.headers.location as string)![1]!;
    const received = await mailTo(
      "Marta@example.org",
      "Comedor Cubao: tu solicitud",
      "Comedor Cubao: recibimos tu solicitud. Síguela aquí:",
    );
    expect(received!.parsed.text).toContain(`/requests/${token}?lang=es`);
    expect(received!.parsed.text).toContain("Se borra junto con tu contacto.");
    expect(received!.parsed.html).toContain(
      `href="${instance.config.origin.origin}/requests/${token}?lang=es"`,
    );

    // Published: the short link to the public need, by email too.
    const { id } = await instance.database.db
      .selectFrom("intake_requests")
      .select("id")
      .where("title", "=", "Leche para un bebé")
      .executeTakeFirstOrThrow();
    const triage = await fetch(
      new URL("/workspace/groups/comedor/triage", instance.config.origin),
      { headers: { cookie } },
    );
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await triage.text())![1]!;
    const published = await postForm(
      new URL(`/workspace/groups/comedor/triage/${id}/publish`, instance.config.origin),
      {
        _csrf: csrf,
        title: "Leche para un bebé",
        description: "",
        category: "food",
        quantityAmount: "",
        quantityUnit: "one",
        place: "",
        urgency: "normal",
        neededBy: "",
        contact: "",
      },
      { cookie },
    );
    expect(published.status).toBe(303);
    const publishedMail = await mailTo(
      "Marta@example.org",
      "Comedor Cubao: tu solicitud",
      "Comedor Cubao: tu solicitud ya es pública:",
    );
    expect(publishedMail!.parsed.text).toMatch(/http:\/\/\S+\/go\/[0-9a-f]{10}/);
    const request = await instance.database.db
      .selectFrom("intake_requests")
      .select(["proposal_id", "state"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(request.state).toBe("published");
    expect(request.proposal_id).not.toBeNull();
    // Pledged and fulfilled, each once.
    for (const [status, words] of [
      ["pledged", "alguien se comprometió"],
      ["fulfilled", "marcada como cumplida"],
    ] as const) {
      const res = await instance.api("PATCH", `/api/v1/needs/${request.proposal_id}`, { status });
      expect(res.status).toBe(200);
      await mailTo("Marta@example.org", "Comedor Cubao: tu solicitud", words);
    }
    const emails = await instance.database.db
      .selectFrom("outbound_messages")
      .select(["dedupe_key", "recipient"])
      .where("dedupe_key", "like", `email:intake:${id}:%`)
      .orderBy("dedupe_key")
      .execute();
    expect(emails.map((m) => m.dedupe_key.split(":").at(-1))).toEqual([
      "fulfilled",
      "pledged",
      "published",
      "received",
    ]);

    // Declined, with its reason, in the sender's language.
    const other = await ask({ title: "Pañales", emailUpdates: "lola@example.org" });
    expect(other.status).toBe(303);
    const otherId = (
      await instance.database.db
        .selectFrom("intake_requests")
        .select("id")
        .where("title", "=", "Pañales")
        .executeTakeFirstOrThrow()
    ).id;
    const declined = await postForm(
      new URL(`/workspace/groups/comedor/triage/${otherId}/decline`, instance.config.origin),
      { _csrf: csrf, reason: "outside-area", note: "", confirming: "1", confirm: "1" },
      { cookie },
    );
    expect(declined.status).toBe(303);
    await mailTo(
      "lola@example.org",
      "Comedor Cubao: tu solicitud",
      "Comedor Cubao no puede atender tu solicitud.",
    );

    // The address is erased with the contact, as a number is.
    const later = Temporal.Now.instant().add({ hours: 24 * 31 });
    await eraseOldContacts(
      { db: instance.database.db, clock: () => later },
      Temporal.Duration.from({ hours: 24 * 30 }),
    );
    const kept = await instance.database.db
      .selectFrom("outbound_messages")
      .select("recipient")
      .where("dedupe_key", "like", `email:intake:${otherId}:%`)
      .execute();
    expect(kept.map((m) => m.recipient)).toEqual(["", ""]);
    const subscriptions = await instance.database.db
      .selectFrom("email_subscriptions")
      .select("address")
      .execute();
    expect(subscriptions.map((r) => r.address)).not.toContain("lola@example.org");
  });

  it("limits a flood from one number, storing nothing past the limit", async () => {
    const from = "+639178888888";
    const before = await counts();
    const answers: number[] = [];
    for (let i = 0; i < 13; i++) answers.push((await android(from, `NEED food ${i + 1}`)).status);
    expect(answers.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(answers.slice(10)).toEqual([429, 429, 429]);
    const limited = await android(from, "NEED food 14");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await counts()).toEqual({
      requests: before.requests + 10,
      inbound: before.inbound + 10,
    });
    // Another number is not held back by it.
    expect((await android("+639177777777", "NEED food 1")).status).toBe(200);
  });
});
