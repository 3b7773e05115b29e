import { type Child, jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import type { Pledge } from "../../domain/pledge.ts";
import { isFullyCovered, type QuantityProblem } from "../../domain/pledging.ts";
import type { StoredRemoteProposal } from "../../domain/remote-proposal.ts";
import { isUnit } from "../../domain/units.ts";
import { zoneOf } from "../context.ts";
import { formatInstant } from "../format.ts";
import { StaleMark } from "./board.ts";
import { ConfirmStepPage } from "./confirm-step.ts";
import { quantityProblemText, quantityText } from "./responses.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** Another server's address, linked only when it is a web address (never `javascript:`). */
function webHref(value: string | null): string | null {
  return value !== null && /^https?:\/\//i.test(value) ? value : null;
}

/** A refused pledge, shown again at its item with what was typed. */
export interface PledgeProblem {
  readonly objectId: string;
  readonly problem: QuantityProblem | "not-open";
  readonly quantity: string;
  readonly message: string;
}

/** Whether an allied group's need or offer still takes pledges: live, and not all pledged. */
const takesPledges = (item: StoredRemoteProposal) =>
  item.kind === "proposal" &&
  (item.status === "open" || item.status === "pledged") &&
  !isFullyCovered(item.remainingAmount);

/** The needs and offers of groups this one follows, each with a pledge form while open. */
export function NetworkPage({
  page,
  account,
  csrf,
  group,
  items,
  shared,
  problem,
  notice,
  pager,
}: WorkspaceView & {
  group: Group;
  items: readonly StoredRemoteProposal[];
  /** The object ids this group has already re-shared. */
  shared: ReadonlySet<string>;
  problem?: PledgeProblem | undefined;
  notice?: string | undefined;
  /** Links to older and newer pages. */
  pager?: Child;
}) {
  const { t, locale } = page;
  const zone = zoneOf(page, group);
  const heading = t.networkHeading(group.name);
  const action = `/workspace/groups/${group.handle}/pledges`;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: heading,
    notice,
    actions: [
      { href: `/workspace/groups/${group.handle}/following`, text: t.following },
      { href: `/workspace/groups/${group.handle}/pledges`, text: t.ourPledges },
    ],
    children: [
      problem?.problem === "not-open"
        ? h("p", { class: "notice problem", role: "alert" }, t.pledgeNotOpen)
        : null,
      items.length === 0
        ? h("p", null, t.networkEmpty)
        : h(
            "ul",
            { class: "items" },
            items.map((item, index) =>
              h(
                "li",
                null,
                item.url === null
                  ? h("strong", null, item.title)
                  : h("a", { href: item.url }, item.title),
                h(
                  "div",
                  { class: "meta" },
                  item.purpose === null
                    ? ""
                    : `${item.purpose === "request" ? t.need : t.offer} · `,
                  `${t.status}: `,
                  h("span", { "data-status": item.status }, t.statuses[item.status]),
                  item.remainingAmount === null || item.quantity === null
                    ? null
                    : isFullyCovered(item.remainingAmount)
                      ? ` · ${item.purpose === "offer" ? t.board.fullyTaken : t.board.fullyPledged}`
                      : ` · ${t.stillNeeded(quantityText(page, item.remainingAmount, item.quantity.unit))}`,
                  ` · ${formatInstant(item.publishedAt, locale, zone)}`,
                  StaleMark({ page, since: item.stale ? item.confirmedAt : null }),
                ),
                item.summaryText === "" ? null : h("p", null, item.summaryText),
                ShareControl(item),
                takesPledges(item)
                  ? PledgeForm({
                      item,
                      index,
                      problem: problem?.objectId === item.objectId ? problem : undefined,
                    })
                  : null,
              ),
            ),
          ),
      pager ?? null,
    ],
  });

  /** Re-sharing sends an Announce to our followers, once per object. */
  function ShareControl(item: StoredRemoteProposal) {
    if (shared.has(item.objectId)) {
      return h("p", { class: "meta", "data-shared": "true" }, t.sharedAlready);
    }
    return h(
      "form",
      { method: "post", action: `/workspace/groups/${group.handle}/shares`, class: "actions" },
      csrfInput(csrf),
      h("input", { type: "hidden", name: "objectId", value: item.objectId }),
      h(
        "button",
        { type: "submit", class: "secondary", "aria-label": t.shareNamed(item.title) },
        t.shareButton,
      ),
    );
  }

  function PledgeForm({
    item,
    index,
    problem,
  }: {
    item: StoredRemoteProposal;
    index: number;
    problem: PledgeProblem | undefined;
  }) {
    const unit = item.quantity?.unit ?? null;
    const q = `pq-${index}`;
    const m = `pm-${index}`;
    const error =
      problem === undefined || problem.problem === "not-open"
        ? null
        : quantityProblemText(page, problem.problem, {
            unit,
            remaining: item.remainingAmount,
            step: item.quantityStep,
          });
    return h(
      "form",
      { method: "post", action, class: "stack" },
      csrfInput(csrf),
      h("input", { type: "hidden", name: "objectId", value: item.objectId }),
      unit === null
        ? null
        : h(
            "div",
            null,
            h("label", { for: q }, t.pledgeQuantity(isUnit(unit) ? t.units[unit] : unit)),
            h("input", {
              id: q,
              name: "quantity",
              type: "text",
              inputmode: "decimal",
              value: problem?.quantity ?? "",
              "aria-invalid": error === null ? undefined : "true",
              "aria-describedby": error === null ? undefined : `${q}-error`,
            }),
            error === null ? null : h("p", { class: "error", id: `${q}-error` }, error),
          ),
      problem?.problem === "exceeds-remaining"
        ? h(
            "div",
            null,
            h("input", { id: `px-${index}`, name: "allowExcess", type: "checkbox", value: "1" }),
            " ",
            h("label", { for: `px-${index}`, class: "choice" }, t.allowExcess),
          )
        : null,
      h(
        "div",
        null,
        h("label", { for: m }, t.pledgeMessage),
        h("textarea", { id: m, name: "message", rows: 2, maxlength: 5000 }, problem?.message ?? ""),
      ),
      h("div", null, h("button", { type: "submit" }, t.pledgeButton)),
    );
  }
}

/** Our pledges to allied groups, newest first, with their answer. */
export function PledgesPage({
  page,
  account,
  csrf,
  group,
  pledges,
  titles,
  notice,
  pager,
}: WorkspaceView & {
  group: Group;
  pledges: readonly Pledge[];
  /** The pledged-to need's title by object id, when it is still stored here. */
  titles: ReadonlyMap<string, string>;
  notice?: string | undefined;
  /** Links to older and newer pages. */
  pager?: Child;
}) {
  const { t, locale } = page;
  const zone = zoneOf(page, group);
  const heading = t.pledgesHeading(group.name);
  return WorkspacePage({
    page,
    account,
    csrf,
    title: heading,
    notice,
    actions: [{ href: `/workspace/groups/${group.handle}/network`, text: t.network }],
    children: [
      pledges.length === 0
        ? h("p", null, t.pledgesEmpty)
        : h(
            "ul",
            { class: "items" },
            pledges.map((p) =>
              h(
                "li",
                { id: `pl-${p.id}` },
                webHref(p.objectId) === null
                  ? h("strong", null, titles.get(p.objectId) ?? p.objectId)
                  : h("a", { href: webHref(p.objectId) }, titles.get(p.objectId) ?? p.objectId),
                h(
                  "div",
                  { class: "meta" },
                  `${formatInstant(p.createdAt, locale, zone)} · `,
                  h("span", { "data-state": p.state }, t.pledgeStates[p.state]),
                  p.quantity === null
                    ? null
                    : ` · ${t.quantity}: ${quantityText(page, p.quantity.amount, p.quantity.unit)}`,
                ),
                p.message === "" ? null : h("p", null, p.message),
                p.reason === null ? null : h("p", null, `${t.theirReason}: ${p.reason}`),
                p.state === "pending" || p.state === "accepted"
                  ? h(
                      "p",
                      null,
                      h(
                        "a",
                        { href: `/workspace/groups/${group.handle}/pledges/${p.id}/withdraw` },
                        t.pledgeWithdrawLink,
                      ),
                    )
                  : null,
              ),
            ),
          ),
      pager ?? null,
    ],
  });
}

/** The step before withdrawing a pledge: the proposer is told, and it cannot be undone. */
export function WithdrawPledgePage({
  group,
  pledge,
  title,
  notConfirmed,
  ...view
}: WorkspaceView & {
  group: Group;
  pledge: Pledge;
  /** The need's title when it is still stored here, else its id. */
  title: string;
  notConfirmed: boolean;
}) {
  const { t } = view.page;
  const base = `/workspace/groups/${group.handle}/pledges`;
  return ConfirmStepPage({
    ...view,
    title: t.pledgeWithdrawHeading(title),
    text: t.pledgeWithdrawText,
    action: `${base}/${pledge.id}/withdraw`,
    box: {
      id: "withdraw-confirm",
      label: t.pledgeWithdrawConfirm,
      notTicked: t.pledgeWithdrawNotConfirmed,
    },
    notConfirmed,
    button: t.pledgeWithdrawButton,
    cancel: { href: base, text: t.pledgeWithdrawCancel },
  });
}
