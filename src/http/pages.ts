import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { findGroupByHandle, findGroupById, listGroups } from "../db/groups.repo.ts";
import { findProposal, listProposals } from "../db/proposals.repo.ts";
import { categoryBySlug } from "../domain/categories.ts";
import { isId } from "../domain/ids.ts";
import type { Proposal, Purpose } from "../domain/proposal.ts";
import { describeQuantity } from "../domain/units.ts";
import type { InstanceUrls } from "../urls.ts";

/**
 * Small server-rendered pages, enough for a person who opens a group's or a
 * need's link from Mastodon. Every value goes through hono/html's escaping.
 * Each page links its ActivityPub document so fediverse software can find it.
 */

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;color:#1a1a1a}
a{color:#0b5394}h1{font-size:1.5rem}ul{padding-left:1.2rem}.meta{color:#444}.status{font-weight:bold}`;

function layout(
  title: string,
  alternate: URL | null,
  body: HtmlEscapedString | Promise<HtmlEscapedString>,
) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title>
${alternate === null ? "" : html`<link rel="alternate" type="application/activity+json" href="${alternate.href}">`}
<style>${raw(STYLE)}</style></head>
<body><main>${body}</main></body></html>`;
}

function proposalItem(p: Proposal, urls: InstanceUrls) {
  return html`<li><a href="${urls.proposalPage(p.purpose, p.id).href}">${p.title}</a>
<span class="meta">— ${categoryBySlug(p.category).label}, ${p.urgency} urgency, ${p.status}</span></li>`;
}

export function registerPages(
  app: OpenAPIHono,
  deps: { db: Kysely<Database>; urls: InstanceUrls },
): void {
  const { db, urls } = deps;

  app.get("/", async (c) => {
    const groups = await listGroups(db);
    return c.html(
      layout(
        "Bayanihan",
        null,
        html`<h1>Mutual aid collectives on ${urls.origin.host}</h1>
<ul>${groups.map((g) => html`<li><a href="${urls.group(g.handle).href}">${g.name}</a> (@${g.handle}@${urls.origin.host})</li>`)}</ul>`,
      ),
    );
  });

  app.get("/groups/:handle", async (c) => {
    c.header("Vary", "Accept");
    const group = await findGroupByHandle(db, c.req.param("handle"));
    if (group === null) return c.html(layout("Not found", null, html`<h1>No such group</h1>`), 404);
    const lists = await Promise.all(
      (["request", "offer"] as Purpose[]).map((purpose) =>
        listProposals(db, {
          groupId: group.id,
          purpose,
          status: "open",
          includeFollowersOnly: false,
          limit: 50,
        }),
      ),
    );
    const [needs, offers] = lists as [Proposal[], Proposal[]];
    return c.html(
      layout(
        group.name,
        urls.group(group.handle),
        html`<h1>${group.name}</h1>
<p class="meta">@${group.handle}@${urls.origin.host} — follow this account from Mastodon or any fediverse server to see its needs and offers.</p>
<p>${group.summary}</p>
<h2>Open needs</h2><ul>${needs.length === 0 ? html`<li>None right now.</li>` : needs.map((p) => proposalItem(p, urls))}</ul>
<h2>Open offers</h2><ul>${offers.length === 0 ? html`<li>None right now.</li>` : offers.map((p) => proposalItem(p, urls))}</ul>`,
      ),
    );
  });

  const proposalPage = (purpose: Purpose) => async (c: Context) => {
    c.header("Vary", "Accept");
    const id = c.req.param("id") ?? "";
    const found = isId(id) ? await findProposal(db, id) : ({ state: "missing" } as const);
    if (found.state === "deleted")
      return c.html(layout("Removed", null, html`<h1>This was removed</h1>`), 410);
    if (
      found.state !== "live" ||
      found.proposal.purpose !== purpose ||
      found.proposal.audience !== "public"
    ) {
      return c.html(layout("Not found", null, html`<h1>Not found</h1>`), 404);
    }
    const p = found.proposal;
    const group = await findGroupById(db, p.groupId);
    if (group === null) return c.html(layout("Not found", null, html`<h1>Not found</h1>`), 404);
    const noun = purpose === "request" ? "Need" : "Offer";
    return c.html(
      layout(
        `${noun}: ${p.title}`,
        urls.proposalObject(p.id),
        html`<h1>${noun}: ${p.title}</h1>
<p class="status">Status: ${p.status}</p>
${p.description.split(/\n\s*\n/).map((para) => html`<p>${para}</p>`)}
<ul>
<li>Category: ${categoryBySlug(p.category).label}</li>
${p.quantity === null ? "" : html`<li>Quantity: ${describeQuantity(p.quantity.amount, p.quantity.unit)}</li>`}
${p.location === null ? "" : html`<li>Where: ${p.location.name}</li>`}
<li>Urgency: ${p.urgency}</li>
${p.expiresAt === null ? "" : html`<li>${purpose === "request" ? "Needed by" : "Available until"}: ${p.expiresAt.toString()}</li>`}
</ul>
<p>Posted by <a href="${urls.group(group.handle).href}">${group.name}</a>. To help, reply to this post from your fediverse account.</p>`,
      ),
    );
  };
  app.get("/needs/:id", proposalPage("request"));
  app.get("/offers/:id", proposalPage("offer"));

  // Fedify serves live objects; it passes here for the rest. An object id
  // opened in a browser goes to its page; a deleted one tells ActivityPub
  // clients it is gone (a Tombstone), so they drop their copy.
  app.get("/objects/:id", async (c) => {
    c.header("Vary", "Accept");
    const id = c.req.param("id");
    const found = isId(id) ? await findProposal(db, id) : ({ state: "missing" } as const);
    const wantsActivityPub = /application\/(activity|ld)\+json/.test(c.req.header("accept") ?? "");
    if (wantsActivityPub) {
      c.header("Content-Type", "application/activity+json");
      if (found.state === "deleted") {
        return c.body(
          JSON.stringify({
            "@context": "https://www.w3.org/ns/activitystreams",
            id: urls.proposalObject(id).href,
            type: "Tombstone",
          }),
          410,
        );
      }
      return c.body(JSON.stringify({ error: "not_found", message: "No such object" }), 404);
    }
    if (found.state !== "live")
      return c.html(layout("Not found", null, html`<h1>Not found</h1>`), 404);
    return c.redirect(urls.proposalPage(found.proposal.purpose, id).href, 303);
  });
}
