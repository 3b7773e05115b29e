import { jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import type { Purpose } from "../../domain/proposal.ts";
import type { PageContext } from "../context.ts";
import { Layout } from "../layout.ts";

/** After submitting: what happens next, and the private link, shown this once. */
export function IntakeReceivedPage({
  page,
  group,
  purpose,
  statusUrl,
}: {
  page: PageContext;
  group: Group;
  purpose: Purpose;
  statusUrl: URL;
}) {
  const { t } = page;
  const heading = purpose === "request" ? t.receivedRequest : t.receivedOffer;
  return Layout({
    page,
    title: heading,
    children: [
      h("h1", null, heading),
      h("h2", null, t.whatHappensNext),
      h(
        "ol",
        null,
        h("li", null, t.nextRead(group.name)),
        h("li", null, t.nextAct),
        h("li", null, t.nextFollow),
      ),
      h("h2", { id: "private-link" }, t.privateLink),
      h("p", { class: "secret", "aria-labelledby": "private-link" }, statusUrl.href),
      h("p", null, t.privateLinkHint),
      h(
        "p",
        { class: "actions" },
        h("a", { class: "button", href: statusUrl.pathname }, t.openStatus),
      ),
    ],
  });
}
