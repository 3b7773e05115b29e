import { jsx as h } from "hono/jsx";
import type { StoredIncident } from "../../db/incidents.repo.ts";
import type { Group } from "../../domain/group.ts";
import type { PageContext } from "../context.ts";
import { Layout } from "../layout.ts";
import { ActiveIncidents } from "./active-incidents.ts";

export function HomePage({
  page,
  groups,
  incidents,
}: {
  page: PageContext;
  groups: readonly Group[];
  /** Open incidents our collectives opened or take part in. */
  incidents: readonly StoredIncident[];
}) {
  const { t, urls } = page;
  const host = urls.origin.host;
  return Layout({
    page,
    title: t.homeHeading(host),
    children: [
      h("h1", null, t.homeHeading(host)),
      h("p", null, t.homeIntro),
      ActiveIncidents({ page, incidents }),
      incidents.length === 0 ? null : h("h2", null, t.homeCollectives),
      groups.length === 0
        ? h("p", null, t.noGroups)
        : h(
            "ul",
            { class: "items" },
            groups.map((g) =>
              h(
                "li",
                null,
                h("a", { href: urls.group(g.handle).pathname }, g.name),
                h("div", { class: "meta" }, `@${g.handle}@${host}`),
              ),
            ),
          ),
    ],
  });
}
