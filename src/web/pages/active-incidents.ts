import { jsx as h } from "hono/jsx";
import type { StoredIncident } from "../../db/incidents.repo.ts";
import type { PageContext } from "../context.ts";
import { formatInstant } from "../format.ts";

/** Where a need's incident tag leads: the incident's page here, and its name. */
export interface IncidentLink {
  readonly href: string;
  readonly name: string;
}

/** The incident tag of a need or offer as a link, for its page and the lists. */
export function IncidentTag({ page, link }: { page: PageContext; link: IncidentLink }) {
  return h(
    "span",
    { class: "incident-tag" },
    `${page.t.taggedIncident}: `,
    h("a", { href: link.href }, link.name),
  );
}

/**
 * The open incidents a visitor may be looking for, each leading to its page
 * and board; nothing when there is none.
 */
export function ActiveIncidents({
  page,
  incidents,
}: {
  page: PageContext;
  incidents: readonly StoredIncident[];
}) {
  const { t, locale, urls } = page;
  if (incidents.length === 0) return null;
  return h(
    "section",
    { "aria-labelledby": "active-incidents" },
    h("h2", { id: "active-incidents" }, t.activeIncidents),
    h(
      "ul",
      { class: "items" },
      incidents.map((incident) =>
        h(
          "li",
          null,
          h("a", { href: urls.incidentPage(incident.id).pathname }, incident.name),
          h(
            "div",
            { class: "meta" },
            t.incidentSince(formatInstant(incident.startsAt, locale, page.timeZone)),
          ),
        ),
      ),
    ),
  );
}
