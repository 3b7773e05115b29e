import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findGroupByHandle, findGroupById } from "../../db/groups.repo.ts";
import { findIncident, listParticipants } from "../../db/incidents.repo.ts";
import { findShortLinkTarget } from "../../db/short-links.repo.ts";
import { isCategorySlug } from "../../domain/categories.ts";
import { isId } from "../../domain/ids.ts";
import { isShortCode, remoteLinkTarget } from "../../domain/short-link.ts";
import { boardListings } from "../../services/boards.ts";
import { collectivePage, pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { renderDocument } from "../layout.ts";
import { AlliesBoardPage } from "../pages/allies-board.ts";
import type { BoardPageFilters } from "../pages/board.ts";
import { actorGroupView, IncidentPage } from "../pages/incident.ts";
import { IncidentTextPage } from "../pages/incident-text.ts";
import { notFoundPage, readNearQuery } from "./shared.ts";

/**
 * The public boards: an incident's page at its own URL (ActivityPub clients
 * got the `Event` from Fedify before this), its text page, a group's "my
 * allies" board, and the short links the text page reads out.
 */
export function registerBoardPages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;

  const notFound = (c: Context) => notFoundPage(c, urls);

  const wantsActivityPub = (c: Context) =>
    /application\/(activity|ld)\+json/.test(c.req.header("accept") ?? "");

  const loadIncident = async (c: Context) => {
    const id = c.req.param("id") ?? "";
    return isId(id) ? findIncident(db, id) : null;
  };

  app.get("/incidents/:id", async (c) => {
    c.header("Vary", "Accept");
    // Fedify serves our own incidents' Events; a copy of another instance's
    // incident is not ours to serve as an object (its id is on its origin).
    if (wantsActivityPub(c)) {
      c.header("Content-Type", "application/activity+json");
      return c.body(JSON.stringify({ error: "not_found", message: "No such object" }), 404);
    }
    const incident = await loadIncident(c);
    if (incident === null) return notFound(c);
    const filters = readFilters(c);
    const board = await boardListings(
      db,
      urls,
      { kind: "incident", incidentObjectId: incident.objectId },
      filters,
    );
    const ownGroup = incident.groupId === null ? null : await findGroupById(db, incident.groupId);
    const owner =
      ownGroup === null
        ? actorGroupView(incident.ownerActorId)
        : { label: `@${ownGroup.handle}`, href: urls.group(ownGroup.handle).pathname };
    // Pending joins are nobody else's business: the page lists accepted ones.
    const participants = (await listParticipants(db, incident.id, "accepted")).map((p) =>
      actorGroupView(p.actorId),
    );
    // Our own incident's times in its collective's zone; a copy's in the instance's.
    const page = collectivePage(pageContext(c, urls), ownGroup);
    return c.html(
      renderDocument(
        IncidentPage({
          page,
          incident,
          path: urls.incidentPage(incident.id).pathname,
          owner,
          participants,
          filters,
          items: board.items,
          truncated: board.truncated,
          mapTiles: deps.mapTiles,
        }),
      ),
    );
  });

  app.get("/incidents/:id/text", async (c) => {
    const incident = await loadIncident(c);
    if (incident === null) return notFound(c);
    const board = await boardListings(
      db,
      urls,
      { kind: "incident", incidentObjectId: incident.objectId },
      { purpose: "request" },
    );
    const ownGroup = incident.groupId === null ? null : await findGroupById(db, incident.groupId);
    const page = collectivePage(pageContext(c, urls), ownGroup);
    return c.html(
      renderDocument(IncidentTextPage({ page, incident, items: board.items, now: deps.clock() })),
    );
  });

  app.get("/groups/:handle/board", async (c) => {
    const group = await findGroupByHandle(db, c.req.param("handle"));
    if (group === null) return notFound(c);
    const filters = readFilters(c);
    const board = await boardListings(db, urls, { kind: "allies", groupId: group.id }, filters);
    const page = collectivePage(pageContext(c, urls), group);
    return c.html(
      renderDocument(
        AlliesBoardPage({
          page,
          group,
          filters,
          items: board.items,
          truncated: board.truncated,
          mapTiles: deps.mapTiles,
        }),
      ),
    );
  });

  app.get("/go/:code", async (c) => {
    const code = (c.req.param("code") ?? "").toLowerCase();
    const target = isShortCode(code) ? await findShortLinkTarget(db, code) : null;
    if (target === null) return notFound(c);
    const to =
      target.kind === "local"
        ? urls.proposalPage(target.purpose, target.id).href
        : remoteLinkTarget(target.objectId, target.url);
    if (to === null) return notFound(c);
    return c.redirect(to, 302);
  });
}

function readFilters(c: Context): BoardPageFilters {
  const purpose = c.req.query("purpose");
  const category = c.req.query("category");
  return {
    purpose: purpose === "request" || purpose === "offer" ? purpose : undefined,
    category: category !== undefined && isCategorySlug(category) ? category : undefined,
    ...readNearQuery(c),
  };
}
