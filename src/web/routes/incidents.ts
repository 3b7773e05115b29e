import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findIncident } from "../../db/incidents.repo.ts";
import type { Group } from "../../domain/group.ts";
import { isId } from "../../domain/ids.ts";
import { collectiveZone } from "../../domain/time-zone.ts";
import { closeOwnIncident, type IncidentDeps, joinIncident } from "../../services/incidents.ts";
import {
  EMPTY_INCIDENT_FORM,
  groupIncidentEntries,
  INCIDENT_FORM_FIELDS,
  type IncidentFormInput,
  type IncidentFormProblems,
  openIncidentFromForm,
} from "../../services/workspace-incidents.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import {
  CloseIncidentPage,
  IncidentsPage,
  type JoinProblem,
  OpenIncidentPage,
} from "../pages/incidents.ts";
import {
  doneNotice,
  formField,
  formGuards,
  groupCoordinators,
  messagePage,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

const JOIN_STATUS = {
  format: 422,
  refused: 403,
  "not-found": 404,
  "not-incident": 422,
  closed: 409,
  own: 422,
  conflict: 409,
} as const satisfies Record<JoinProblem, number>;

/** What the join box accepts: a web address, as the API's `incidentId`. */
function joinTarget(text: string): URL | null {
  if (!URL.canParse(text)) return null;
  const url = new URL(text);
  return url.protocol === "https:" || url.protocol === "http:" ? url : null;
}

/**
 * A group's incidents: opening, joining and closing them with the services
 * the API's incident routes call, with form fields in and messages next to
 * the field out. (The public incident page and its board are elsewhere.)
 */
export function registerIncidentPages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const serviceDeps: IncidentDeps = {
    ...deps,
    incidentObjectIdOf: (id) => urls.incidentObject(id).href,
    localIncidentIdOf: (objectId) => urls.incidentIdOf(objectId),
  };
  const coordinators = groupCoordinators(deps);

  const renderList = async (
    c: Context,
    group: Group,
    extra: { notice?: string; problem?: JoinProblem; input?: string } = {},
    status: 200 | 403 | 404 | 409 | 422 = 200,
  ) => {
    const entries = await groupIncidentEntries(db, group);
    return workspaceHtml(c, urls, IncidentsPage, { group, entries, ...extra }, status);
  };

  app.get("/workspace/groups/:handle/incidents", ...coordinators, async (c) => {
    const { t } = pageContext(c, urls);
    const notice = doneNotice(c, {
      opened: t.incidentOpened,
      closed: t.incidentClosed,
      joined: t.joinAccepted,
      "join-sent": t.joinSent,
    });
    return renderList(c, c.get("group"), { notice });
  });

  const renderOpenForm = (
    c: Context,
    group: Group,
    values: IncidentFormInput,
    problems: IncidentFormProblems,
  ) => {
    return workspaceHtml(
      c,
      urls,
      OpenIncidentPage,
      { group, values, problems, defaultZone: collectiveZone(group, deps.timeZone) },
      Object.keys(problems).length === 0 ? 200 : 422,
    );
  };

  app.get("/workspace/groups/:handle/incidents/new", ...coordinators, async (c) =>
    renderOpenForm(c, c.get("group"), EMPTY_INCIDENT_FORM, {}),
  );

  app.post("/workspace/groups/:handle/incidents/new", ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const form = await c.req.parseBody();
    const values = Object.fromEntries(
      INCIDENT_FORM_FIELDS.map((k) => [k, formField(form, k)]),
    ) as unknown as IncidentFormInput;
    const result = await openIncidentFromForm(
      serviceDeps,
      group,
      values,
      collectiveZone(group, deps.timeZone),
    );
    if (!result.ok) return renderOpenForm(c, group, values, result.problems);
    return c.redirect(`/workspace/groups/${group.handle}/incidents?done=opened`, 303);
  });

  app.post("/workspace/groups/:handle/incidents/join", ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const input = formField(await c.req.parseBody(), "incident")
      .trim()
      .slice(0, 2048);
    const target = joinTarget(input);
    if (target === null) return renderList(c, group, { problem: "format", input }, 422);
    const result = await joinIncident(serviceDeps, group, target);
    if (!result.ok) {
      return renderList(c, group, { problem: result.error, input }, JOIN_STATUS[result.error]);
    }
    const done = result.state === "accepted" ? "joined" : "join-sent";
    return c.redirect(`/workspace/groups/${group.handle}/incidents?done=${done}`, 303);
  });

  /** An open or closed incident the route's group owns. */
  const ownIncident = async (c: Context) => {
    const group = c.get("group");
    const id = c.req.param("id") ?? "";
    const incident = isId(id) ? await findIncident(db, id) : null;
    return incident === null || incident.groupId !== group.id ? null : { group, incident };
  };

  const renderClose = (
    c: Context,
    found: NonNullable<Awaited<ReturnType<typeof ownIncident>>>,
    notConfirmed: boolean,
  ) => {
    return workspaceHtml(
      c,
      urls,
      CloseIncidentPage,
      { ...found, notConfirmed },
      notConfirmed ? 422 : 200,
    );
  };

  app.get("/workspace/groups/:handle/incidents/:id/close", ...coordinators, async (c) => {
    const found = await ownIncident(c);
    if (found === null) return notFoundPage(c, urls);
    if (found.incident.status !== "open") {
      const { t } = pageContext(c, urls);
      return messagePage(c, urls, t.incidents, t.incidentAlreadyClosed, 409);
    }
    return renderClose(c, found, false);
  });

  app.post(
    "/workspace/groups/:handle/incidents/:id/close",
    ...guards,
    ...coordinators,
    async (c) => {
      const found = await ownIncident(c);
      if (found === null) return notFoundPage(c, urls);
      if (formField(await c.req.parseBody(), "confirm") !== "1") return renderClose(c, found, true);
      const result = await closeOwnIncident(serviceDeps, found.incident);
      if (!result.ok) {
        const { t } = pageContext(c, urls);
        if (result.error === "not-owner") return notFoundPage(c, urls);
        const text =
          result.error === "already-closed" ? t.incidentAlreadyClosed : t.incidentChanged;
        return messagePage(c, urls, t.incidents, text, 409);
      }
      return c.redirect(`/workspace/groups/${found.group.handle}/incidents?done=closed`, 303);
    },
  );
}
