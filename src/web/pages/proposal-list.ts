import { jsx as h } from "hono/jsx";
import { isFullyPledged } from "../../domain/pledging.ts";
import type { Proposal } from "../../domain/proposal.ts";
import type { PageContext } from "../context.ts";
import { formatDeadline, formatKm, formatQuantity } from "../format.ts";
import { type IncidentLink, IncidentTag } from "./active-incidents.ts";

/**
 * One line per need or offer: what, how much, how urgent, until when, and
 * how far when the list was asked `near` a place (`distances` by id, km).
 * Fully pledged ones say so instead of their urgency and come after the
 * ones that still need help, in the order given otherwise.
 */
export function ProposalList({
  page,
  items,
  distances,
  incidents,
}: {
  page: PageContext;
  items: readonly Proposal[];
  distances?: ReadonlyMap<string, number> | undefined;
  /** Where each incident tag leads, by the incident's object id. */
  incidents?: ReadonlyMap<string, IncidentLink> | undefined;
}) {
  const { t, locale, urls } = page;
  if (items.length === 0) return h("p", null, t.noneRightNow);
  const incidentOf = (p: Proposal) => (p.incident == null ? undefined : incidents?.get(p.incident));
  return h(
    "ul",
    { class: "items" },
    [...items.filter((p) => !isFullyPledged(p)), ...items.filter(isFullyPledged)].map((p) =>
      h(
        "li",
        isFullyPledged(p) ? { "data-covered": "true" } : null,
        h("a", { href: urls.proposalPage(p.purpose, p.id).pathname }, p.title),
        " ",
        isFullyPledged(p)
          ? h(
              "span",
              { class: "tag covered" },
              p.purpose === "request" ? t.board.fullyPledged : t.board.fullyTaken,
            )
          : h("span", { class: `tag ${p.urgency}` }, t.urgencies[p.urgency]),
        h(
          "div",
          { class: "meta" },
          [
            t.categories[p.category],
            p.quantity === null ? null : formatQuantity(p.quantity.amount, p.quantity.unit, locale),
            p.location?.name ?? null,
            distances?.has(p.id) === true
              ? t.distanceAway(formatKm(distances.get(p.id)!, locale))
              : null,
            p.expiresAt === null
              ? null
              : `${p.purpose === "request" ? t.neededBy : t.availableUntil} ${formatDeadline({ expiresAt: p.expiresAt, expiresOn: p.expiresOn }, locale, page.timeZone)}`,
          ]
            .filter((part) => part !== null)
            .join(" · "),
        ),
        incidentOf(p) === undefined
          ? null
          : h("div", { class: "meta" }, IncidentTag({ page, link: incidentOf(p)! })),
      ),
    ),
  );
}
