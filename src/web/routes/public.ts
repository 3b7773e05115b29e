import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findContactWays } from "../../db/contact-ways.repo.ts";
import { findGroupByHandle, listGroups } from "../../db/groups.repo.ts";
import { findIncidentsByObjectIds, listActiveIncidents } from "../../db/incidents.repo.ts";
import { findProposal, listNearbyProposals, listProposals } from "../../db/proposals.repo.ts";
import { isCategorySlug } from "../../domain/categories.ts";
import type { Group } from "../../domain/group.ts";
import { isId } from "../../domain/ids.ts";
import { roundDistanceKm } from "../../domain/near.ts";
import { isFullyPledged } from "../../domain/pledging.ts";
import type { Proposal, Purpose, Urgency } from "../../domain/proposal.ts";
import type { ProposalViewer } from "../../domain/proposal-visibility.ts";
import { addressBucket } from "../../domain/rate-limit.ts";
import { findVisibleProposal } from "../../services/proposal-reads.ts";
import { remoteFollowUrl } from "../../services/remote-follow.ts";
import { createLocalResponse } from "../../services/responses.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { renderDocument } from "../layout.ts";
import type { IncidentLink } from "../pages/active-incidents.ts";
import { type GroupFilters, GroupPage, type ListedProposals, URGENCIES } from "../pages/group.ts";
import { HomePage } from "../pages/home.ts";
import { HONEYPOT_FIELD } from "../pages/intake-form.ts";
import { MessagePage } from "../pages/message.ts";
import { PrintPage } from "../pages/print.ts";
import { type HelpForm, ProposalPage } from "../pages/proposal.ts";
import { clientAddress, formBodyLimit, sameOriginForms } from "../request-guards.ts";
import { notFoundPage, readNearQuery } from "./shared.ts";

/** How many active incidents the home page and a group page list. */
const ACTIVE_INCIDENTS_LIMIT = 20;

/** How many open needs (and offers) a group page lists. */
export const GROUP_PAGE_LIMIT = 50;

/** The public pages are read as nobody in particular, even by a signed-in coordinator. */
const PUBLIC: ProposalViewer = { kind: "anonymous" };

/** The public pages: anyone, no account, no script. */
export function registerPublicPages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;

  const notFound = (c: Context) => notFoundPage(c, urls);

  app.get("/", async (c) => {
    const page = pageContext(c, urls);
    const [groups, incidents] = await Promise.all([
      listGroups(db),
      listActiveIncidents(db, {}, deps.clock(), ACTIVE_INCIDENTS_LIMIT),
    ]);
    return c.html(renderDocument(HomePage({ page, groups, incidents })));
  });

  /** Where the incident tags of these needs and offers lead: each incident's page here. */
  const incidentLinksOf = async (
    proposals: readonly Proposal[],
  ): Promise<Map<string, IncidentLink>> => {
    const tags = proposals.flatMap((p) => (p.incident == null ? [] : [p.incident]));
    const found = await findIncidentsByObjectIds(db, tags);
    return new Map(
      [...found].map(([objectId, incident]) => [
        objectId,
        { href: urls.incidentPage(incident.id).pathname, name: incident.name },
      ]),
    );
  };

  const renderGroup = async (
    c: Context,
    group: Group,
    follow?: { account: string; error: string },
  ) => {
    const page = pageContext(c, urls);
    const filters = readFilters(c);
    const list = async (purpose: Purpose): Promise<ListedProposals | null> => {
      if (filters.purpose !== undefined && filters.purpose !== purpose) return null;
      const query = {
        groupId: group.id,
        purpose,
        status: "open" as const,
        category: filters.category,
        urgency: filters.urgency,
        includeFollowersOnly: false,
        limit: GROUP_PAGE_LIMIT,
      };
      if (filters.near === undefined) return { items: await listProposals(db, query) };
      const nearby = await listNearbyProposals(db, { ...query, near: filters.near });
      return {
        items: nearby.map((n) => n.proposal),
        distances: new Map(nearby.map((n) => [n.proposal.id, roundDistanceKm(n.distanceKm)])),
      };
    };
    const [needs, offers, incidents, contactWays] = await Promise.all([
      list("request"),
      list("offer"),
      listActiveIncidents(db, { groupId: group.id }, deps.clock(), ACTIVE_INCIDENTS_LIMIT),
      findContactWays(db, group.id),
    ]);
    const incidentLinks = await incidentLinksOf([
      ...(needs?.items ?? []),
      ...(offers?.items ?? []),
    ]);
    return c.html(
      renderDocument(
        GroupPage({
          page,
          group,
          filters,
          needs,
          offers,
          follow,
          mapTiles: deps.mapTiles,
          contactWays,
          incidents,
          incidentLinks,
        }),
      ),
      follow === undefined ? 200 : 422,
    );
  };

  app.get("/groups/:handle", async (c) => {
    const group = await findGroupByHandle(db, c.req.param("handle"));
    return group === null ? notFound(c) : renderGroup(c, group);
  });

  app.post("/groups/:handle/remote-follow", formBodyLimit(urls), async (c) => {
    const group = await findGroupByHandle(db, c.req.param("handle"));
    if (group === null) return notFound(c);
    const form = await c.req.parseBody();
    const account = typeof form.account === "string" ? form.account.slice(0, 320) : "";
    const result = await remoteFollowUrl(
      deps,
      account,
      urls.group(group.handle).href,
      addressBucket(clientAddress(c, deps.trustProxy)),
    );
    if (result.ok) return c.redirect(result.url.href, 303);
    const { t } = pageContext(c, urls);
    const error =
      result.error === "format"
        ? t.followErrorFormat
        : result.error === "rate-limited"
          ? t.followRateLimited
          : t.followErrorLookup;
    return renderGroup(c, group, { account, error });
  });

  app.get("/groups/:handle/print", async (c) => {
    const group = await findGroupByHandle(db, c.req.param("handle"));
    if (group === null) return notFound(c);
    const needs = await listProposals(db, {
      groupId: group.id,
      purpose: "request",
      status: "open",
      includeFollowersOnly: false,
      limit: 200,
    });
    const page = pageContext(c, urls);
    return c.html(renderDocument(PrintPage({ page, group, needs, now: deps.clock() })));
  });

  const proposalPage = (purpose: Purpose) => async (c: Context) => {
    const found = await findVisibleProposal(db, PUBLIC, c.req.param("id") ?? "");
    if (found.state === "deleted") {
      const page = pageContext(c, urls);
      return c.html(
        renderDocument(MessagePage({ page, title: page.t.removed, text: page.t.removedText })),
        410,
      );
    }
    if (found.state !== "visible" || found.proposal.purpose !== purpose) return notFound(c);
    const { group, proposal } = found;
    const page = pageContext(c, urls);
    const incident = (await incidentLinksOf([proposal])).get(proposal.incident ?? "");
    return c.html(
      renderDocument(ProposalPage({ page, proposal, group, incident: incident ?? null })),
    );
  };
  app.get("/needs/:id", proposalPage("request"));
  app.get("/offers/:id", proposalPage("offer"));

  // "I can help": no account; the message and contact go to the coordinators only.
  const helpForm = (purpose: Purpose) => async (c: Context) => {
    const found = await findVisibleProposal(db, PUBLIC, c.req.param("id") ?? "");
    if (found.state !== "visible" || found.proposal.purpose !== purpose) return notFound(c);
    const { group, proposal } = found;
    const form = await c.req.parseBody();
    const text = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "");
    const help = { message: text("message").trim(), contact: text("contact").trim().slice(0, 500) };
    const page = pageContext(c, urls);
    const again = (extra: Partial<HelpForm>, status: 422 | 429 | 409) =>
      c.html(
        renderDocument(ProposalPage({ page, proposal, group, help: { ...help, ...extra } })),
        status,
      );
    if (text(HONEYPOT_FIELD) !== "") return again({ formError: page.t.honeypotFilled }, 422);
    if (isFullyPledged(proposal)) {
      const t = page.t;
      return again({ formError: purpose === "request" ? t.helpCovered : t.helpTaken }, 409);
    }
    if (help.message === "") return again({ problem: "required" }, 422);
    if (help.message.length > 5000) return again({ problem: "too-long" }, 422);
    const result = await createLocalResponse(deps, group, proposal, {
      content: help.message,
      contact: help.contact === "" ? null : help.contact,
      clientKey: addressBucket(clientAddress(c, deps.trustProxy)),
    });
    if (!result.ok && result.error === "rate-limited") {
      c.header("Retry-After", String(result.retryAfterSeconds));
      return again({ formError: page.t.rateLimited }, 429);
    }
    if (!result.ok) return again({ formError: page.t.helpEnded }, 409);
    return c.html(
      renderDocument(
        MessagePage({ page, title: page.t.helpThanksTitle, text: page.t.helpThanksText }),
      ),
      201,
    );
  };
  app.post("/needs/:id/help", formBodyLimit(urls), sameOriginForms(urls), helpForm("request"));
  app.post("/offers/:id/help", formBodyLimit(urls), sameOriginForms(urls), helpForm("offer"));

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
    if (found.state !== "live") return notFound(c);
    return c.redirect(urls.proposalPage(found.proposal.purpose, id).href, 303);
  });
}

function readFilters(c: Context): GroupFilters {
  const purpose = c.req.query("purpose");
  const category = c.req.query("category");
  const urgency = c.req.query("urgency");
  const { near, nearProblem, nearUnknownPlace } = readNearQuery(c);
  return {
    purpose: purpose === "request" || purpose === "offer" ? purpose : undefined,
    category: category !== undefined && isCategorySlug(category) ? category : undefined,
    urgency: URGENCIES.includes(urgency as Urgency) ? (urgency as Urgency) : undefined,
    near,
    nearProblem,
    nearUnknownPlace,
  };
}
