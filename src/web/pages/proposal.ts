import { jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import type { Proposal } from "../../domain/proposal.ts";
import type { PageContext } from "../context.ts";
import { formatInstant, formatQuantity } from "../format.ts";
import { Layout } from "../layout.ts";

export function ProposalPage({
  page,
  proposal: p,
  group,
}: {
  page: PageContext;
  proposal: Proposal;
  group: Group;
}) {
  const { t, locale, urls } = page;
  const noun = p.purpose === "request" ? t.need : t.offer;
  const fact = (term: string, value: string) => [h("dt", null, term), h("dd", null, value)];
  return Layout({
    page,
    title: `${noun}: ${p.title}`,
    alternate: urls.proposalObject(p.id),
    children: [
      h("h1", null, `${noun}: ${p.title}`),
      h(
        "dl",
        { class: "facts" },
        fact(t.status, t.statuses[p.status]),
        fact(t.category, t.categories[p.category]),
        p.quantity === null
          ? null
          : fact(t.quantity, formatQuantity(p.quantity.amount, p.quantity.unit, locale)),
        p.location === null ? null : fact(t.where, p.location.name),
        fact(t.urgency, t.urgencies[p.urgency]),
        p.expiresAt === null
          ? null
          : fact(
              p.purpose === "request" ? t.neededBy : t.availableUntil,
              formatInstant(p.expiresAt, locale),
            ),
        fact(t.postedOn, formatInstant(p.createdAt, locale)),
      ),
      p.description
        .split(/\n\s*\n/)
        .filter((para) => para.trim() !== "")
        .map((para) => h("p", null, para)),
      h(
        "p",
        null,
        `${t.postedBy} `,
        h("a", { href: urls.group(group.handle).pathname }, group.name),
        ".",
      ),
      h("p", { class: "notice" }, t.helpLater),
    ],
  });
}
